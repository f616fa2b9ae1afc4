"""Reading and validating the process environment for settings.

Every failure raises ImproperlyConfigured with a message that names the variable (never its
value: the value may be a key). Settings call these helpers; they are plain functions so the
rules can be tested without reloading Django.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# django-environ's own rule for a .env line, exactly: any line it does not take it skips,
# logging the whole line (with whatever secret it holds). Checked first, so that never happens.
DOTENV_LINE_RE = re.compile(r"\A(?:export )?([A-Za-z_0-9]+)=(.*)\Z")

PRODUCTION = "production"
DEVELOPMENT = "development"
ENVIRONMENTS = (PRODUCTION, DEVELOPMENT)


def check_dotenv_syntax(path: Path) -> None:
    """Refuse a malformed .env file before django-environ silently skips its bad lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ImproperlyConfigured(f"{path} is not valid UTF-8 text.") from exc
    parse_dotenv(text, where=str(path))


def parse_dotenv(text: str, *, where: str = ".env") -> dict[str, str]:
    """NAME=value lines read as django-environ reads them (quotes included); a line it would
    skip is refused, naming its number but never echoing it (it may hold a secret)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = DOTENV_LINE_RE.match(line)
        if match is None:
            raise ImproperlyConfigured(
                f"{where}, line {number}: expected NAME=value (no spaces around '=', nothing "
                "before the name but 'export '). Fix or remove that line."
            )
        name, value = match.groups()
        if single := re.match(r"\A'(.*)'\Z", value):
            value = single.group(1)
        if double := re.match(r'\A"(.*)"\Z', value):
            value = re.sub(
                r"\\(.)", lambda m: "\\" + m[1] if m[1] in "rnt" else m[1], double.group(1)
            )
        values[name] = value
    return values


def decode_key(name: str, value: str) -> bytes:
    """A 256-bit key given as standard or URL-safe base64."""
    value = value.strip()
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name} must decode to 32 bytes (a 256-bit key); it decodes to {len(raw)}."
        )
    return raw


def parse_key_ring(name: str, value: str) -> dict[str, bytes]:
    """Parse ``id:base64key,id2:base64key`` into an ordered mapping of key id to key bytes."""
    if not value or not value.strip():
        raise ImproperlyConfigured(
            f"{name} is required (format: keyid:base64key[,keyid:base64key])."
        )
    ring: dict[str, bytes] = {}
    for position, item in enumerate(value.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise ImproperlyConfigured(
                f"{name}, entry {position}: expected keyid:base64key (no ':' found)."
            )
        key_id = key_id.strip()
        if not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"{name}, entry {position}: key id must be 1-32 letters, digits, '-' or '_'."
            )
        if key_id in ring:
            raise ImproperlyConfigured(f"{name}: key id {key_id!r} appears twice.")
        ring[key_id] = decode_key(f"{name} (key {key_id!r})", encoded)
    if not ring:
        raise ImproperlyConfigured(f"{name} is required and holds no keys.")
    return ring


def check_active_key(name: str, active: str, ring: dict[str, bytes], ring_name: str) -> str:
    if not active:
        raise ImproperlyConfigured(f"{name} is required: the id of the key new values use.")
    if active not in ring:
        raise ImproperlyConfigured(f"{name} names key {active!r}, which is not in {ring_name}.")
    return active


def check_environment_name(name: str, value: str) -> str:
    if value not in ENVIRONMENTS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(ENVIRONMENTS)}.")
    return value


def secret_key_problem(secret_key: str) -> str | None:
    """Why a SECRET_KEY is too weak for production, or None. Mirrors Django's own deploy check."""
    if secret_key.startswith("django-insecure-"):
        return "it is a generated development key (starts with 'django-insecure-')"
    if len(secret_key) < 50:
        return "it is shorter than 50 characters"
    if len(set(secret_key)) < 5:
        return "it has fewer than 5 distinct characters"
    return None


# The role names (victimsupport.access.Role, which settings cannot import); a test keeps the
# two equal. Every role reads case data (caseworkers and supervisors their teams' cases, the
# data-protection officer and auditors the audit log and evidence, administrators the people
# and their roles), so in production every role needs a second factor: a role added here is
# required at once. MFA_REQUIRED_ROLES may only add to this list (there is nothing left to
# add today), never leave a role out.
ROLE_NAMES = (
    "caseworker",
    "supervisor",
    "data_protection_officer",
    "auditor",
    "administrator",
    "partner",
)
MFA_ROLES_IN_PRODUCTION = ROLE_NAMES
# Development's looser default, so that the demo's caseworkers can be tried without an
# authenticator app when MFA_ENFORCE is on (the development .env turns it off altogether).
MFA_ROLES_IN_DEVELOPMENT = ("supervisor", "data_protection_officer", "administrator")


def default_mfa_roles(*, production: bool) -> list[str]:
    return list(MFA_ROLES_IN_PRODUCTION if production else MFA_ROLES_IN_DEVELOPMENT)


def mfa_required_roles(names: list[str], *, production: bool) -> list[str]:
    """MFA_REQUIRED_ROLES, checked: a misspelt role would silently need no second factor,
    and production refuses a list that leaves out any role that can read case data."""
    names = [n.strip() for n in names if n.strip()]
    unknown = sorted(set(names) - set(ROLE_NAMES))
    if unknown:
        raise ImproperlyConfigured(
            f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)} "
            f"(roles: {', '.join(ROLE_NAMES)})."
        )
    missing = [r for r in MFA_ROLES_IN_PRODUCTION if r not in names]
    if production and missing:
        raise ImproperlyConfigured(
            f"MFA_REQUIRED_ROLES must include {', '.join(missing)} when DJANGO_ENV=production: "
            "everyone who can read case data needs a second factor. Leave MFA_REQUIRED_ROLES "
            f"unset, or list every role: {','.join(MFA_ROLES_IN_PRODUCTION)}."
        )
    return names


def check_production(
    *,
    debug: bool,
    secret_key: str,
    allowed_hosts: list[str],
    mfa_enforce: bool,
    secure_cookies: bool = True,
    ssl_redirect: bool = True,
    hsts_seconds: int = 31536000,
) -> None:
    """Refuse to start a production process with unsafe settings."""
    if debug:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
    problem = secret_key_problem(secret_key)
    if problem:
        raise ImproperlyConfigured(f"SECRET_KEY is too weak for production: {problem}.")
    if not allowed_hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list this service's host names.")
    if "*" in allowed_hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must not contain '*' in production.")
    if not mfa_enforce:
        raise ImproperlyConfigured("MFA_ENFORCE cannot be turned off when DJANGO_ENV=production.")
    if not secure_cookies:
        raise ImproperlyConfigured(
            "SECURE_COOKIES cannot be turned off when DJANGO_ENV=production."
        )
    if not ssl_redirect:
        raise ImproperlyConfigured(
            "SECURE_SSL_REDIRECT cannot be turned off when DJANGO_ENV=production "
            "(behind a TLS proxy, set TRUST_X_FORWARDED_PROTO=true instead)."
        )
    if hsts_seconds < 31536000:
        raise ImproperlyConfigured(
            "SECURE_HSTS_SECONDS must be at least 31536000 (one year) in production."
        )


# Background work (django-tasks). ``database`` is the real queue, run by `manage.py db_worker`;
# ``immediate`` runs each task inside the request that enqueued it, which is only acceptable in
# development and tests.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}


def task_backend(name: str, value: str, *, production: bool) -> str:
    """The django-tasks backend class for ``value`` (``database`` or ``immediate``).

    Production refuses ``immediate``: it would render large exports inside web requests, the
    very thing the worker is there to avoid, and hide a missing worker until the load arrives.
    """
    value = value.strip().lower()
    if value not in TASK_BACKENDS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(TASK_BACKENDS)}.")
    if production and value != "database":
        raise ImproperlyConfigured(
            f"{name} must be database when DJANGO_ENV=production (run `manage.py db_worker`)."
        )
    return TASK_BACKENDS[value]
