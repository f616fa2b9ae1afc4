"""Settings for the app servers tests/core/test_scaleout.py starts: the test settings, with the
database cache every process shares, as in production (the test settings' in-process cache
would give each server its own login throttle)."""

from tests.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
    }
}
