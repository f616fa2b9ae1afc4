"""Production settings on the benchmark's database, for the saturation measure's gunicorn.

Everything production enforces (HTTPS, secure cookies, the second factor, the database cache
and task queue) is on; only the keys, the database and the URLs (the application's plus the
bench's bare page) are the benchmark's.
"""

from bench import environment

environment.apply(production=True)

from victimsupport.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"
