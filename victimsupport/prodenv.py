"""A production-shaped environment for local trials, derived from the development .env.

Run as ``python -m victimsupport.prodenv [--dev-env .env] [--out .prod-local]``. It writes:

- ``OUT/env`` (mode 0600): ``DJANGO_ENV=production`` with the production defaults (DEBUG off,
  two-factor authentication enforced, secure cookies, SSL redirect, HSTS, the database cache),
  ``ALLOWED_HOSTS=127.0.0.1``, and the *keys of the development .env* (``SECRET_KEY``, the field
  encryption key ring, the blind-index and audit-seal keys) plus its ``DATABASE_URL`` if it sets
  one, so the production-shaped servers read the data written under the development settings;
- ``OUT/tls/cert.pem`` and ``OUT/tls/key.pem`` (key mode 0600): a self-signed certificate for
  ``127.0.0.1``, so gunicorn itself serves HTTPS and the secure cookies, the redirect to HTTPS and
  HSTS work as they do in production, without trusting any proxy header.

Point the settings at the file with ``ENV_FILE=OUT/env``; variables already in the process
environment still win (for example ``DATABASE_URL``). ``OUT`` is git-ignored.

This is for trials on one machine only. A real deployment sets its own variables in the
service's environment (see .env.example), with its own keys, and terminates TLS with a real
certificate (in gunicorn, or in a proxy with ``TRUST_X_FORWARDED_PROTO=true``).

Like devenv, it imports nothing from Django, so it runs before the settings can load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from victimsupport.environment import parse_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / ".prod-local"

# Taken from the development .env: the keys the stored data was written under.
COPIED = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "FIELD_ENCRYPTION_ACTIVE_KEY",
    "BLIND_INDEX_KEY",
    "AUDIT_SEAL_KEY",
)
COPIED_IF_PRESENT = ("DATABASE_URL",)

# Written as they are: production values, stated explicitly so the file documents itself.
# HSTS is sent, but browsers ignore it for IP addresses, which is why only 127.0.0.1 is allowed:
# an HSTS pin on "localhost" would force every later local development server onto HTTPS.
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "MFA_ENFORCE": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_COOKIES": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "TRUST_X_FORWARDED_PROTO": "false",
    "TRUST_X_FORWARDED_FOR": "false",
    "CACHE_URL": "dbcache://django_cache",
    "TASKS_BACKEND": "database",
    # Stated, not assumed: a trial machine rarely runs a mail server, and then a password-reset
    # mail is not sent (logged; the page says to ask an administrator if nothing arrives).
    "EMAIL_URL": "smtp://127.0.0.1:25",
}

CERT_DAYS = 30


class ProdEnvError(Exception):
    """The development .env cannot give a production-shaped one. Never names a value."""


def read_dotenv(path: Path) -> dict[str, str]:
    """NAME=value lines, with optional ``export`` and matching quotes; comments skipped."""
    if not path.is_file():
        raise ProdEnvError(
            f"{path} does not exist: run `make .env` (or `make run`) to write a development one."
        )
    try:
        # The same reading as the development server's (django-environ's rules).
        return parse_dotenv(path.read_text(encoding="utf-8"), where=str(path))
    except ImproperlyConfigured as exc:
        raise ProdEnvError(str(exc)) from None


def derive(dev: dict[str, str]) -> dict[str, str]:
    missing = [name for name in COPIED if not dev.get(name, "").strip()]
    if missing:
        raise ProdEnvError(f"The development .env lacks {', '.join(missing)}.")
    env = dict(PRODUCTION)
    env.update({name: dev[name].strip() for name in COPIED})
    env.update({name: dev[name].strip() for name in COPIED_IF_PRESENT if dev.get(name, "").strip()})
    return env


def render(env: dict[str, str]) -> str:
    lines = [
        "# Production-shaped settings for LOCAL TRIALS ONLY, written by victimsupport.prodenv from",
        "# the development .env (same keys). Rewritten on every run: do not edit, never deploy.",
    ]
    lines += [f"{name}={value}" for name, value in env.items()]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only, whatever mode it had before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


def _cert_is_usable(cert_path: Path, key_path: Path) -> bool:
    from cryptography import x509

    if not (cert_path.is_file() and key_path.is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    remaining = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    return remaining > dt.timedelta(days=1)


def write_self_signed_cert(cert_path: Path, key_path: Path) -> None:
    """A P-256 certificate for 127.0.0.1 and ::1, valid CERT_DAYS days; the key is mode 0600."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1 (local trial)")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def prepare(dev_env: Path, out: Path) -> dict[str, Path]:
    """Write OUT/env and (unless a usable one exists) the TLS certificate; return the paths."""
    env = derive(read_dotenv(dev_env))
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    paths = {
        "env": out / "env",
        "cert": out / "tls" / "cert.pem",
        "key": out / "tls" / "key.pem",
    }
    _write_private(paths["env"], render(env).encode("utf-8"))
    paths["cert"].parent.mkdir(mode=0o700, exist_ok=True)
    if not _cert_is_usable(paths["cert"], paths["key"]):
        write_self_signed_cert(paths["cert"], paths["key"])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-env", type=Path, default=ROOT / ".env")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        paths = prepare(args.dev_env, args.out)
    except ProdEnvError as exc:
        print(f"prodenv: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {paths['env']} (local trials only) and the TLS certificate {paths['cert']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
