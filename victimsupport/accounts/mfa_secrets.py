"""Second-factor secrets under the field-encryption key ring.

allauth keeps each authenticator's secrets in ``Authenticator.data`` (JSON): the TOTP secret,
the recovery-code seed, and recovery codes carried over from another library. A copy of the
database holding them in the clear would let anyone make second factors for every user, so
each secret is stored as a key-ring token (``v1.<key_id>.<b64>``), bound by its associated
data to this one purpose. allauth encrypts and decrypts through our MFA adapter
(``victimsupport.accounts.adapter.MFAAdapter``); the data migration and key rotation use the
helpers below on the stored JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction

from victimsupport.crypto import keyring

# The table and column, as for an encrypted model field ("app_label.model.field"): a token
# copied here from any other column, or from here to another, fails to decrypt.
AAD = "mfa.authenticator.data"

# Where secrets sit in each authenticator type's data: single values, and lists of values.
# WebAuthn data holds public credentials only (and the type is not enabled).
SECRET_VALUES: dict[str, tuple[str, ...]] = {"totp": ("secret",), "recovery_codes": ("seed",)}
SECRET_LISTS: dict[str, tuple[str, ...]] = {"recovery_codes": ("migrated_codes",)}


def encrypt_secret(text: str, *, key_id: str | None = None) -> str:
    return keyring.encrypt(text.encode("utf-8"), AAD, key_id=key_id)


def decrypt_secret(token: str) -> str:
    """The secret in ``token``; raises DecryptionError (never returns a guess), so a
    tampered, misplaced or plaintext value fails closed."""
    if not isinstance(token, str):
        raise keyring.DecryptionError(f"{AAD}: stored secret is not a token")
    try:
        return keyring.decrypt(token, AAD).decode("utf-8")
    except UnicodeDecodeError:
        raise keyring.DecryptionError(f"{AAD}: stored secret is not text") from None


def is_token(value: Any) -> bool:
    """Whether ``value`` has the shape of a key-ring token. TOTP secrets are base32, seeds hex
    and recovery codes digits: none of them contains a dot, so none looks like a token."""
    if not isinstance(value, str):
        return False
    try:
        keyring.token_key_id(value)
    except keyring.DecryptionError:
        return False
    return True


def map_secrets(kind: str, data: Any, change: Callable[[str], str]) -> Any:
    """A copy of ``data`` with ``change`` applied to every secret in it."""
    if not isinstance(data, dict):
        return data
    new = dict(data)
    for name in SECRET_VALUES.get(kind, ()):
        if isinstance(new.get(name), str):
            new[name] = change(new[name])
    for name in SECRET_LISTS.get(kind, ()):
        if isinstance(new.get(name), list):
            new[name] = [change(v) if isinstance(v, str) else v for v in new[name]]
    return new


def secrets_in(kind: str, data: Any) -> list[str]:
    found: list[str] = []
    map_secrets(kind, data, lambda value: found.append(value) or value)
    return found


def encrypt_plaintext(kind: str, data: Any) -> Any:
    """Encrypt the secrets still in the clear; tokens are left as they are (idempotent)."""
    return map_secrets(kind, data, lambda v: v if is_token(v) else encrypt_secret(v))


def decrypt_to_plaintext(kind: str, data: Any) -> Any:
    """The reverse of ``encrypt_plaintext``: only for migrating back to code that stored
    secrets in the clear."""
    return map_secrets(kind, data, lambda v: decrypt_secret(v) if is_token(v) else v)


def reencrypt(kind: str, data: Any, *, key_id: str) -> Any:
    """Every secret re-encrypted under ``key_id`` (those already under it are kept)."""
    return map_secrets(
        kind,
        data,
        lambda v: (
            v
            if keyring.token_key_id(v) == key_id
            else encrypt_secret(decrypt_secret(v), key_id=key_id)
        ),
    )


class AuthenticatorStore:
    """The secrets in allauth's authenticator table, for ``rotate_keys`` and its census."""

    label = "mfa.Authenticator"

    @staticmethod
    def _model() -> Any:
        from allauth.mfa.models import Authenticator

        return Authenticator

    def count(self) -> int:
        return self._model().objects.count()

    def key_ids(self) -> Iterator[str]:
        rows = self._model().objects.values_list("type", "data").order_by("pk")
        for kind, data in rows.iterator(chunk_size=1000):
            for token in secrets_in(kind, data):
                yield keyring.token_key_id(token)

    def decrypt_all(self, *, using: str) -> tuple[int, list[str]]:
        """Decrypt every secret in database ``using`` (the backup drill): how many did, and
        what failed (where, never what)."""
        decrypted, problems = 0, []
        rows = self._model().objects.using(using).values_list("pk", "type", "data")
        for pk, kind, data in rows.order_by("pk"):
            for token in secrets_in(kind, data):
                try:
                    decrypt_secret(token)
                except keyring.DecryptionError as exc:
                    problems.append(f"authenticator id {pk}: {exc}")
                else:
                    decrypted += 1
        return decrypted, problems

    def rotate(
        self, *, active: str, batch_size: int, progress: Any, before: Counter[str]
    ) -> Iterator[None]:
        model = self._model()
        last = 0
        while True:
            # Locked while rewritten, as allauth locks a row to mark a recovery code used: a
            # code used meanwhile is not undone by writing back an older copy of the data.
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")[:batch_size]
                )
                if not rows:
                    return
                for authenticator in rows:
                    stale = 0
                    for token in secrets_in(authenticator.type, authenticator.data):
                        key_id = keyring.token_key_id(token)
                        before[key_id] += 1
                        stale += key_id != active
                    if stale:
                        authenticator.data = reencrypt(
                            authenticator.type, authenticator.data, key_id=active
                        )
                        authenticator.save(update_fields=["data"])
                        progress.rewritten += stale
                    progress.checked += 1
                last = rows[-1].pk
            yield
