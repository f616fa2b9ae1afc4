"""The benchmark's environment, shared by its two settings modules.

The benchmark database holds only generated data, so it has fixed keys of its own (never a
real deployment's) and is chosen by BENCH_DATABASE_URL, never by a developer's .env. The
in-process measures use ``bench.settings``; the servers of the saturation measure use
``bench.prodsettings`` (production settings, the same keys and database). Like the settings'
own environment checks, this module imports nothing from Django.
"""

from __future__ import annotations

import base64
import os

from victimsupport import prodenv

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/victimsupport_bench"


def _key(n: int) -> str:
    return base64.b64encode(bytes([0xB0 + n]) * 32).decode()


def apply(*, production: bool) -> None:
    """Set the variables the application's settings read, before they are imported."""
    env = os.environ
    env["ENV_FILE"] = ""
    env["DEBUG"] = "false"
    # The servers of the saturation measure take the keys of the process that starts them
    # (bench/saturation.py): a session made there is valid on them, and its data readable.
    if env.get("BENCH_INHERIT_KEYS") != "1":
        env["SECRET_KEY"] = "bench-only-secret-key-" + "Zq8v3" * 10
        env["FIELD_ENCRYPTION_KEYS"] = f"b1:{_key(1)}"
        env["FIELD_ENCRYPTION_ACTIVE_KEY"] = "b1"
        env["BLIND_INDEX_KEY"] = _key(2)
        env["AUDIT_SEAL_KEY"] = _key(3)
    # The intake is measured with its duplicate check every time: repeated runs by the one
    # bench caseworker within an hour must not fall under the per-hour limit and skip it.
    env["INTAKE_DUPLICATE_CHECKS_PER_HOUR"] = "100000"
    env["DATABASE_URL"] = env.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if production:
        # As victimsupport.prodenv writes them for a local production trial.
        env.update(prodenv.PRODUCTION)
    else:
        env["DJANGO_ENV"] = "development"
        env["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
        # Supervisors are measured without the second-factor prompt (force_login has no
        # device).
        env["MFA_ENFORCE"] = "false"
