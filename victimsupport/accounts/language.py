"""Applying a staff member's preferred language to their browser (at sign-in and on change).

The language lives in Django's language cookie, the one the switcher sets and
LocaleMiddleware reads: a preference is where a session starts, and the switcher can still
change the language for the rest of it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation


def apply_language(response: HttpResponse, language: str) -> None:
    """Show the following pages (and the rest of this request) in ``language``; "" leaves
    the browser's own language in charge."""
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def apply_preferred_language(response: HttpResponse, user: Any) -> None:
    language = getattr(user, "preferred_language", "")
    if language:
        apply_language(response, language)
