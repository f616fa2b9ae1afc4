"""Test settings: the real settings with fixed test keys, plus a small app of test models."""

import base64
import os
import tempfile
from pathlib import Path


def _key(n: int) -> str:
    return base64.b64encode(bytes([n]) * 32).decode()


# Never read a developer's .env: tests must see the same configuration everywhere.
os.environ["ENV_FILE"] = ""
os.environ["DJANGO_ENV"] = "development"
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x7Qp2" * 10)
os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
os.environ["FIELD_ENCRYPTION_KEYS"] = f"k1:{_key(1)}"
os.environ["FIELD_ENCRYPTION_ACTIVE_KEY"] = "k1"
os.environ["BLIND_INDEX_KEY"] = _key(2)
os.environ["AUDIT_SEAL_KEY"] = _key(3)
os.environ["MFA_ENFORCE"] = "true"

from victimsupport.settings import *  # noqa: E402, F403
from victimsupport.settings import DATABASES, INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]

# A file, not memory: the canary test reads the raw SQLite bytes, and the browser tests'
# live server shares the database with the test.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"victimsupport-test-{os.getpid()}.sqlite3")
    }

# A second alias on the same test database, as a streaming replica would be: the router
# sends reads there only where a test turns READ_REPLICA_ALIAS on (tests/core/test_dbrouter.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# The alias backup_check connects to the restored scratch database under, declared here so
# that a test may allow it (tests/core/test_backup.py); it is never routed to.
DATABASES["backup_check"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TEST_KEY = _key

# In-process cache: rate-limit state is cleared between tests without touching the database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
