"""Benchmark settings: the application's own settings on a database of fictional cases.

The keys and the database are the benchmark's own (bench/environment.py). The URLs are the
application's plus the bare page the benchmark measures the case page against (bench/urls.py);
the production URLs never have it.
"""

from bench import environment

environment.apply(production=False)

from victimsupport.settings import *  # noqa: E402, F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
# Server time only: nothing printed per request.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
