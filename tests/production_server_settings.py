"""Production settings for a server tests/core/test_scaleout.py starts, except that static files
come from the source folders (as in development), so that pages render without running
collectstatic into the working copy, and that the test settings' fast password hasher, which
wrote the test's accounts, is understood too."""

from victimsupport.settings import *  # noqa: F403
from victimsupport.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
