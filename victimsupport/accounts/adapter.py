from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from victimsupport.accounts import mfa_secrets


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by administrators only: there is no self sign-up."""

    def is_open_for_signup(self, request: Any) -> bool:
        return False


class MFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets are stored as key-ring tokens, never in the clear.

    allauth passes every TOTP secret and recovery-code seed through ``encrypt`` before it
    saves an authenticator, and through ``decrypt`` when it reads one. A value that does not
    decrypt raises DecryptionError: the sign-in fails rather than trusting it.
    """

    def encrypt(self, text: str) -> str:
        return mfa_secrets.encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.decrypt_secret(encrypted_text)
