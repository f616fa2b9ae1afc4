"""System checks: of the deployment as a whole (run by `manage.py check --deploy`), and of
the models (every text field has a length limit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from victimsupport import limits

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


def project_app_configs(app_configs: Any = None) -> list[Any]:
    """This project's own apps, those in its source tree: not Django's, a library's, or the
    apps that exist only in tests."""
    base = Path(settings.BASE_DIR).resolve()
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    found = []
    for config in configs:
        path = Path(config.path).resolve()
        if not path.is_relative_to(base) or "site-packages" in path.parts:
            continue
        if path.is_relative_to(base / "tests"):
            continue
        found.append(config)
    return found


# Written by a library from values that are limited themselves; never typed by a person.
UNLIMITED_BY_DESIGN = frozenset(
    {
        "audit.AuditEntry.changes_text",  # django-auditlog's rendering of a change
        "audit.AuditEntry.object_repr",  # django-auditlog's str() of the changed object
    }
)


# Backends that never deliver a message. The console one is worse than silent in production:
# it writes password-reset links, which sign a person in, into the server's log.
UNDELIVERABLE_MAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def text_fields_without_limit(model_classes: Any) -> list[Any]:
    """Model fields holding free text (encrypted or not) with no length limit."""
    found = []
    for model in model_classes:
        for field in model._meta.local_fields:
            # Encrypted dates and JSON are stored in text columns but are not text; JSON
            # answers are checked by their services (limits.check_text_lengths).
            if f"{model._meta.label}.{field.name}" in UNLIMITED_BY_DESIGN:
                continue
            if limits.is_limited_text(field) and not field.max_length:
                found.append(field)
    return found


@register(Tags.models)
def check_text_limits(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every text field has a limit (victimsupport/limits.py says which)."""
    return [
        Error(
            f"{field.model._meta.label}.{field.name} is text with no max_length.",
            hint="Give it one of the limits in victimsupport/limits.py "
            "(for an encrypted field the limit applies to the plaintext).",
            obj=field,
            id="victimsupport.E020",
        )
        for field in text_fields_without_limit(
            model for config in project_app_configs(app_configs) for model in config.get_models()
        )
    ]


@register(Tags.security, deploy=True)
def check_mail_backend(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Password resets need a mail server. Only the configuration can be checked here, without
    the network: that EMAIL_URL was given and names a backend that delivers. Whether the server
    answers, accepts the sender and relays is for `manage.py sendtestemail` to show."""
    if settings.EMAIL_BACKEND in UNDELIVERABLE_MAIL_BACKENDS:
        return [
            Warning(
                f"EMAIL_URL selects {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} mail, which "
                "delivers nothing: staff cannot reset a forgotten password, and the console "
                "backend writes reset links into the log.",
                hint="Set EMAIL_URL to your mail server, e.g. "
                "smtp+tls://user:password@mail.example.org:587.",
                id="victimsupport.W011",
            )
        ]
    if not getattr(settings, "EMAIL_CONFIGURED", True):
        return [
            Warning(
                "EMAIL_URL is not set, so password-reset e-mails go to a mail server assumed "
                "to listen on localhost:25; without one, staff are told the e-mail could not "
                "be sent.",
                hint="Set EMAIL_URL to your mail server (smtp://localhost:25 if there is "
                "really one there), then try it with `manage.py sendtestemail you@example.org`.",
                id="victimsupport.W010",
            )
        ]
    return []
