"""AES-256-GCM tokens under a key ring from the environment, and HKDF per-purpose subkeys.

Token format: ``v1.<key_id>.<base64url(nonce || ciphertext || tag)>``. The associated data
binds a token to the model and field it was written for, so a token copied into another
column fails to decrypt. Every failure raises DecryptionError: we fail closed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

TOKEN_VERSION = "v1"  # noqa: S105 (a format tag, not a secret)
NONCE_BYTES = 12
_INFO_FIELD = b"victimsupport/field-encryption/v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted: tampered, misplaced, or under an unknown key.

    The message names where the value was stored and the key id, never any content.
    """


def derive_subkey(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@cache
def _cipher(key_id: str) -> AESGCM:
    master = settings.FIELD_ENCRYPTION_KEYS.get(key_id)
    if master is None:
        raise DecryptionError(f"unknown encryption key id {key_id!r}")
    return AESGCM(derive_subkey(master, _INFO_FIELD))


def active_key_id() -> str:
    return settings.FIELD_ENCRYPTION_ACTIVE_KEY


def encrypt(plaintext: bytes, aad: str, *, key_id: str | None = None) -> str:
    key_id = key_id or active_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key_id).encrypt(nonce, plaintext, aad.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{TOKEN_VERSION}.{key_id}.{body}"


def token_key_id(token: str) -> str:
    """The key id a token was written under (raises DecryptionError for a malformed token)."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not parts[1]:
        raise DecryptionError("malformed encrypted value")
    return parts[1]


def decrypt(token: str, aad: str) -> bytes:
    key_id = token_key_id(token)
    body = token.split(".", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError(f"malformed encrypted value in {aad}") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError(f"truncated encrypted value in {aad}")
    try:
        cipher = _cipher(key_id)
    except DecryptionError as exc:
        raise DecryptionError(f"{aad}: written under unknown key id {key_id!r}") from exc
    try:
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode())
    except InvalidTag as exc:
        raise DecryptionError(
            f"{aad}: value failed authentication (tampered, or copied from another field)"
        ) from exc


@cache
def blind_index_key(column: str) -> bytes:
    return derive_subkey(settings.BLIND_INDEX_KEY, b"victimsupport/blind-index/" + column.encode())


def blind_digest(column: str, normalised: str) -> str:
    return hmac.new(blind_index_key(column), normalised.encode(), hashlib.sha256).hexdigest()


@cache
def audit_seal_key() -> bytes:
    return derive_subkey(settings.AUDIT_SEAL_KEY, b"victimsupport/audit-seal/v1")


def clear_caches() -> None:
    _cipher.cache_clear()
    blind_index_key.cache_clear()
    audit_seal_key.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: object) -> None:
    if setting in {
        "FIELD_ENCRYPTION_KEYS",
        "FIELD_ENCRYPTION_ACTIVE_KEY",
        "BLIND_INDEX_KEY",
        "AUDIT_SEAL_KEY",
    }:
        clear_caches()
