"""Write a development .env with fresh random keys, unless one exists.

Run as ``python -m victimsupport.devenv [PATH]``; it imports nothing from Django so it works
before the settings can load. The file is created with mode 0600 and never overwritten.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def render() -> str:
    key_id = "dev1"
    return f"""# Development settings written by `make run` on first use. Local trials only:
# never use this file, or these keys, for real case data. See .env.example for every variable.
DJANGO_ENV=development
DEBUG=false
SECRET_KEY={secrets.token_urlsafe(50)}
ALLOWED_HOSTS=127.0.0.1,localhost
FIELD_ENCRYPTION_KEYS={key_id}:{_key()}
FIELD_ENCRYPTION_ACTIVE_KEY={key_id}
BLIND_INDEX_KEY={_key()}
AUDIT_SEAL_KEY={_key()}
# Relaxed so the demo users can sign in at once; production always enforces two-factor
# authentication for every role.
MFA_ENFORCE=false
"""


def write_dev_env(path: Path) -> bool:
    """Create ``path``; return False (and change nothing) if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(render())
    return True


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".env")
    if write_dev_env(path):
        print(f"Wrote {path} with fresh random development keys.")
    else:
        print(f"{path} exists; left unchanged.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
