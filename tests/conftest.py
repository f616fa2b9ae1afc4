from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import trans_real
from hypothesis import HealthCheck, settings

from tests import factories

# Property tests (tests/**/test_properties_*.py). "ci": the same examples on every run, few
# enough to keep the suite quick; "thorough" (make fuzz): many, new ones each run.
# The function-scoped fixtures they use (db, client, users) hold for every example of a test:
# the properties compare the database before and after each example, not with a fresh one.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=15,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@receiver(setting_changed)
def _forget_language_lookups(*, setting: str, **kwargs) -> None:
    """Django forgets its catalogues when a test changes LANGUAGES, but not its cached
    lookups of the supported languages: after a test offering "en", every later request
    would be answered in "en" instead of "en-gb". Forget them too."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE"}:
        for lookup in ("get_languages", "_get_supported_language_variant"):
            getattr(trans_real, lookup).cache_clear()


LOCALE = Path(__file__).resolve().parent.parent / "locale"


def pytest_configure(config):
    # The compiled catalogues are built, not committed (make translations); a test run started
    # without make builds the ones that are missing or older than their .po.
    msgfmt = shutil.which("msgfmt")
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if msgfmt and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Login rate limits live in the cache; one test's failures must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clear_key_caches():
    from victimsupport.crypto import keyring

    keyring.clear_caches()
    yield
    keyring.clear_caches()


# The team and caseworker most tests start from; a test file defines its own to differ.
@pytest.fixture
def north():
    return factories.make_team("North")


@pytest.fixture
def cara(north):
    return factories.caseworker(north)


@pytest.fixture
def client_cara(client, cara):
    """A browser session signed in as Cara, the North caseworker."""
    client.force_login(cara)
    return client
