"""Field encryption, key ring and blind index (see DESIGN.md, invariants 1 and 2)."""

from victimsupport.crypto.keyring import DecryptionError

__all__ = ["DecryptionError"]
