"""Benchmark settings: the application's own settings on a database of fictional cases.

The benchmark database holds only generated data, so it has fixed keys of its own (never a
real deployment's) and is chosen by BENCH_DATABASE_URL, never by a developer's .env.
"""

import base64
import os


def _key(n: int) -> str:
    return base64.b64encode(bytes([0xB0 + n]) * 32).decode()


os.environ["ENV_FILE"] = ""
os.environ["DJANGO_ENV"] = "development"
os.environ["DEBUG"] = "false"
os.environ["SECRET_KEY"] = "bench-only-secret-key-" + "Zq8v3" * 10
os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
os.environ["FIELD_ENCRYPTION_KEYS"] = f"b1:{_key(1)}"
os.environ["FIELD_ENCRYPTION_ACTIVE_KEY"] = "b1"
os.environ["BLIND_INDEX_KEY"] = _key(2)
os.environ["AUDIT_SEAL_KEY"] = _key(3)
# Supervisors are measured without the second-factor prompt (force_login has no device).
os.environ["MFA_ENFORCE"] = "false"
# The intake is measured with its duplicate check every time: repeated runs by the one bench
# caseworker within an hour must not fall under the per-hour limit and skip it.
os.environ["INTAKE_DUPLICATE_CHECKS_PER_HOUR"] = "100000"
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/victimsupport_bench"
)

from victimsupport.settings import *  # noqa: E402, F403

DEBUG = False
# Server time only: nothing printed per request.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
