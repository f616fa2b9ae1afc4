"""The password-reset token, computed without writing anything."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class ReadOnlyResetTokenGenerator(PasswordResetTokenGenerator):
    """allauth's EmailAwarePasswordResetTokenGenerator, minus its side effect.

    allauth's generator first "syncs" the user's e-mail into an unverified EmailAddress row, so
    an anonymous reset request used to leave that row behind, and the row then blocked the
    user's two-factor set-up. The hash is the same (the user's address plus every stored one),
    so links already sent keep working.
    """

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        from allauth.account.models import EmailAddress

        emails = {user.email} if user.email else set()
        emails.update(EmailAddress.objects.filter(user_id=user.pk).values_list("email", flat=True))
        return super()._make_hash_value(user, timestamp) + "|".join(sorted(emails))
