"""System checks of the deployment as a whole (run by `manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Caches that live inside one process: each gunicorn worker, and each app server, has its own.
PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The login throttle counts failures in the default cache; it must be one for all."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            "The default cache is not shared between processes, so every gunicorn worker and "
            "every app server keeps its own count of failed sign-ins: the login throttle "
            "allows several times the attempts it should.",
            hint="Use the database cache (CACHE_URL=dbcache://django_cache, then "
            "`manage.py createcachetable`) or a shared Redis or Memcached.",
            id="victimsupport.W001",
        )
    ]
