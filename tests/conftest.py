from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import factories


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
