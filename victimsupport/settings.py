"""Settings, read from the environment (and a local .env file when present).

Every variable is listed in .env.example. Required variables have no default: a missing or
malformed one stops start-up with a message naming it.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from victimsupport import environment as checks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# ENV_FILE="" disables reading a file (the test settings do this so a developer's .env
# cannot change what the tests see). Variables already in the environment win over the file.
_env_file = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    checks.check_dotenv_syntax(Path(_env_file))
    environ.Env.read_env(_env_file, overwrite=False)


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required. See .env.example.")
    return value


def _bool(name: str, default: bool) -> bool:
    try:
        return env.bool(name, default=default)
    except (ValueError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} must be true or false.") from exc


def _int(name: str, default: int, minimum: int = 0) -> int:
    try:
        value = env.int(name, default=default)
    except (ValueError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


DJANGO_ENV = checks.check_environment_name(
    "DJANGO_ENV", os.environ.get("DJANGO_ENV", checks.PRODUCTION).strip()
)
IS_PRODUCTION = DJANGO_ENV == checks.PRODUCTION

DEBUG = _bool("DEBUG", False)
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Encryption keys (never derived from SECRET_KEY) -------------------------------------
FIELD_ENCRYPTION_KEYS = checks.parse_key_ring(
    "FIELD_ENCRYPTION_KEYS", os.environ.get("FIELD_ENCRYPTION_KEYS", "")
)
FIELD_ENCRYPTION_ACTIVE_KEY = checks.check_active_key(
    "FIELD_ENCRYPTION_ACTIVE_KEY",
    os.environ.get("FIELD_ENCRYPTION_ACTIVE_KEY", "").strip(),
    FIELD_ENCRYPTION_KEYS,
    "FIELD_ENCRYPTION_KEYS",
)
BLIND_INDEX_KEY = checks.decode_key("BLIND_INDEX_KEY", _required("BLIND_INDEX_KEY"))
AUDIT_SEAL_KEY = checks.decode_key("AUDIT_SEAL_KEY", _required("AUDIT_SEAL_KEY"))

MFA_ENFORCE = _bool("MFA_ENFORCE", True)
# Production: every role (refused if one is left out). Development: supervisors,
# data-protection officers and administrators, unless MFA_REQUIRED_ROLES says otherwise.
MFA_REQUIRED_ROLES = checks.mfa_required_roles(
    env.list("MFA_REQUIRED_ROLES", default=checks.default_mfa_roles(production=IS_PRODUCTION)),
    production=IS_PRODUCTION,
)
MFA_REQUIRED_FOR_ALL = _bool("MFA_REQUIRED_FOR_ALL", False)


# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    # Our apps come before third-party ones so that our templates and management commands
    # (for example the refusal to flush the audit log) take precedence.
    "victimsupport",
    "victimsupport.accounts",
    "cases",
    "risk",
    "referrals",
    "premises",
    "dataprotection",
    "demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "auditlog",
    # After auditlog, so that our read-only admin for the sealed entries replaces its own.
    "victimsupport.audit",
    "csp",
    # Background work: the task API and its database queue (worker: `manage.py db_worker`).
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: it marks every answer, those the other middleware give themselves included.
    "victimsupport.middleware.NoIndexMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions and before CommonMiddleware (Django's order): the language comes from the
    # switcher's cookie, else the browser's Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After sessions: after a person's write, their reads stay on the primary for a while.
    "victimsupport.dbrouter.ReplicaPinMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "victimsupport.accounts.middleware.SessionTimeoutMiddleware",
    "victimsupport.accounts.middleware.RequireMFAMiddleware",
    "victimsupport.audit.context.AuditContextMiddleware",
    "victimsupport.middleware.NoStoreMiddleware",
    # Last: it must see the view's own answer, after every other middleware let it through.
    "victimsupport.audit.refusals.RefusedAccessMiddleware",
]

ROOT_URLCONF = "victimsupport.urls"
WSGI_APPLICATION = "victimsupport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "victimsupport.context_processors.navigation",
                "victimsupport.context_processors.language_next",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
except (ValueError, KeyError, environ.ImproperlyConfigured) as exc:
    raise ImproperlyConfigured("DATABASE_URL is not a valid database URL.") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take the write lock up front, so the audit hash
    # chain is extended by one writer at a time instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection kept between requests (DATABASE_CONN_MAX_AGE seconds; 0, the default, opens one
# per request; the right choice behind PgBouncer, which keeps the server
# connections) is checked before each request reuses it: after the database restarts, the first
# request gets a new connection instead of failing on the dead one.
DATABASES["default"]["CONN_MAX_AGE"] = _int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica for the reads marked replica_reads() (victimsupport/dbrouter.py):
# dashboards, network figures, evidence pages. Writes, and a person's reads for a while after
# they changed something, stay on the primary.
READ_REPLICA_ALIAS = None
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    try:
        DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    except (ValueError, KeyError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL is not a valid database URL.") from exc
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a replica of DATABASE_URL.")
    DATABASES["replica"].update(
        ATOMIC_REQUESTS=False,
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=DATABASES["default"]["CONN_HEALTH_CHECKS"],
        TEST={"MIRROR": "default"},
    )
    READ_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["victimsupport.dbrouter.ReplicaRouter"]
REPLICA_PIN_SECONDS = _int("REPLICA_PIN_SECONDS", 15, minimum=1)
# pgbouncer-transaction: the databases are reached through PgBouncer in transaction pooling
# mode, where consecutive transactions of one connection may run on different server
# sessions: no server-side cursors (a WITH HOLD cursor outlives its transaction) and no
# prepared statements (psycopg prepares a query run often, on one session only).
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip()
if DATABASE_POOLER not in {"", "pgbouncer-transaction"}:
    raise ImproperlyConfigured("DATABASE_POOLER must be empty or pgbouncer-transaction.")
if DATABASE_POOLER:
    for _db in DATABASES.values():
        if _db["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_POOLER is for PostgreSQL databases only.")
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = None
# Backups (docs/operations.md): where `manage.py backup` writes its dumps, and where it writes
# the audit chain's head recorded with each (kept apart from the dumps; unset: beside them).
BACKUP_DIR = os.environ.get("BACKUP_DIR", "").strip()
BACKUP_ANCHOR_DIR = os.environ.get("BACKUP_ANCHOR_DIR", "").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}

# --- Accounts, sessions and authentication ------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = _int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1) * 60
SESSION_ABSOLUTE_LIFETIME = _int("SESSION_MAX_AGE_HOURS", 10, minimum=1) * 3600
# The database row and the cookie never outlive the absolute lifetime; the idle timeout is
# enforced by SessionTimeoutMiddleware without rewriting the session on every request.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # shared office computers
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

ACCOUNT_ADAPTER = "victimsupport.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# Only accounts are mailed: anyone could otherwise make the service write, in its own name, to
# any address (an inbox an abuser reads, a victim's). A reset request answers the same page for
# every address, even when the mail server fails (victimsupport/accounts/views.py).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# allauth's own generator writes an unverified e-mail row on every reset request.
_reset_tokens = "victimsupport.accounts.tokens.ReadOnlyResetTokenGenerator"
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = _reset_tokens
# Staff addresses are set by administrators, never by sign-up (there is none), so an address
# allauth has not "verified" must not stop anyone setting up their second factor.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# A cool-off, not a lockout (victimsupport/accounts/throttle.py). LOGIN_FAILURES_PER_EMAIL
# failures of one account from one browser that signed in to it before, or else from one
# network address, start a cool-off of LOGIN_COOLOFF_SECONDS, during which even the right
# password from that place waits. Wider limits (LOGIN_FAILURES_PER_ACCOUNT an hour, all
# addresses together; LOGIN_FAILURES_PER_IP failures and LOGIN_ATTEMPTS_PER_IP sign-ins a
# minute from one address, all accounts together) refuse only a wrong password: over them the
# password is still checked, and a right one signs in, so an attacker who fills them keeps no
# one out. A browser that has signed in to the account before is exempt from them.
LOGIN_KNOWN_BROWSER_DAYS = _int("LOGIN_KNOWN_BROWSER_DAYS", 90, 1)
_cooloff = f"{_int('LOGIN_FAILURES_PER_EMAIL', 5, 1)}/{_int('LOGIN_COOLOFF_SECONDS', 300, 1)}s/key"
ACCOUNT_RATE_LIMITS = {
    "login_failed": _cooloff,
    "login_failed_account": f"{_int('LOGIN_FAILURES_PER_ACCOUNT', 20, 1)}/h/key",
    "login_failed_address": f"{_int('LOGIN_FAILURES_PER_IP', 10, 1)}/m/ip",
    "login_address": f"{_int('LOGIN_ATTEMPTS_PER_IP', 30, 1)}/m/ip",
    # Counted by the adapter instead ("login_address"), where a known browser can be exempt.
    "login": "",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# Secrets of second factors are encrypted with the field-encryption key ring.
MFA_ADAPTER = "victimsupport.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Casework")
MFA_RECOVERY_CODE_COUNT = 10

BREAK_GLASS_MINUTES = _int("BREAK_GLASS_MINUTES", 60, minimum=5)
if BREAK_GLASS_MINUTES > 480:
    raise ImproperlyConfigured("BREAK_GLASS_MINUTES must be at most 480 (one working day).")
# The supervisor's dashboard lists a member of their teams who was refused access to case
# files this many times in the last 7 days (a mistyped link is once or twice, not ten times).
REFUSED_ACCESS_THRESHOLD = _int("REFUSED_ACCESS_THRESHOLD", 10, minimum=1)
# Largest document a caseworker may attach (files live encrypted in the database).
DOCUMENT_MAX_BYTES = _int("DOCUMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES
# In memory only, never a temporary file on disk (it would be unencrypted there); a file over
# the limit is counted, not kept.
FILE_UPLOAD_HANDLERS = ["victimsupport.uploads.BoundedMemoryUploadHandler"]
# Risk assessment: the instrument offered first; whether finalising without current training
# is blocked or only recorded; review intervals when an instrument does not set its own.
RISK_DEFAULT_INSTRUMENT = os.environ.get("RISK_DEFAULT_INSTRUMENT", "default")
RISK_TRAINING_GATE = os.environ.get("RISK_TRAINING_GATE", "block").strip()
if RISK_TRAINING_GATE not in {"block", "warn"}:
    raise ImproperlyConfigured("RISK_TRAINING_GATE must be block or warn.")
RISK_REVIEW_DAYS = {
    "high": _int("RISK_REVIEW_DAYS_HIGH", 7, minimum=1),
    "medium": _int("RISK_REVIEW_DAYS_MEDIUM", 30, minimum=1),
    "standard": _int("RISK_REVIEW_DAYS_STANDARD", 90, minimum=1),
}
# An unfinished intake is kept this long after its last change, then purged.
INTAKE_DRAFT_HOURS = _int("INTAKE_DRAFT_HOURS", 72, minimum=1)
# Duplicate checks at the intake's person step, per member of staff and hour: enough for a
# busy day of intakes, too few to use the check as a search engine (over it, the step saves
# without the check, and that is recorded).
INTAKE_DUPLICATE_CHECKS_PER_HOUR = _int("INTAKE_DUPLICATE_CHECKS_PER_HOUR", 30, minimum=1)

# --- Background work (django-tasks) -------------------------------------------------------
# Tasks take ids only, never content. Production refuses the immediate backend.
TASKS = {
    "default": {
        "BACKEND": checks.task_backend(
            "TASKS_BACKEND",
            os.environ.get("TASKS_BACKEND", "database"),
            production=IS_PRODUCTION,
        ),
    }
}
# A case-file PDF with at least this many timeline entries (notes, contacts, consents...) is
# produced by the worker, with its progress shown; smaller files download at once.
PDF_BACKGROUND_THRESHOLD = _int("PDF_BACKGROUND_THRESHOLD", 200, minimum=0)
# A PDF produced in the background can be downloaded for this long, then it is purged.
PDF_EXPORT_HOURS = _int("PDF_EXPORT_HOURS", 24, minimum=1)
if PDF_EXPORT_HOURS > 168:
    raise ImproperlyConfigured("PDF_EXPORT_HOURS must be at most 168 (one week).")

# --- The referral network -----------------------------------------------------------------
# Working days (Monday to Friday) a partner has to answer a referral, by its urgency, before
# `manage.py remind_referrals` (run daily from cron) reminds them and the caseworker who sent
# it. An urgent referral is about someone's safety now: one working day.

# The country's data-protection and safeguarding rules (victimsupport/country.py):
# deadlines, public holidays, retention defaults, when information must be passed on.
COUNTRY_PROFILE = os.environ.get("COUNTRY_PROFILE", "gdpr").strip() or "gdpr"

REFERRAL_RESPONSE_DAYS = {"urgent": 1, "soon": 3, "routine": 5}
# A referral's package as a password-protected PDF waits this long for its download.
PROTECTED_PACKAGE_HOURS = 2
# The address of this service as people reach it, for the links in e-mails sent without a
# request (a task, a command): "a referral is waiting for you" links to the inbox. Unset, the
# first of ALLOWED_HOSTS, over https in production (http on port 8000 in development).
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/") or (
    f"https://{ALLOWED_HOSTS[0]}" if IS_PRODUCTION else f"http://{ALLOWED_HOSTS[0]}:8000"
)

# --- Data protection: the person's own pages (issue 13, delivery) -------------------------
# Where the quick-exit button of a page the person sees (the one-time download of their copy)
# takes them: a neutral site that says nothing about why they were here.
QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "").strip() or "https://www.bbc.com/weather"
if not QUICK_EXIT_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("QUICK_EXIT_URL must be a web address (https://...).")

# --- Object permissions (django-guardian) -------------------------------------------------
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
GUARDIAN_MONKEY_PATCH_GROUP = False

# --- Audit (django-auditlog with our sealed entry model) ----------------------------------
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# django-auditlog's own migrations would create its (unused, swapped-out) entry table; our
# audit app creates the one we use.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_MASK_CALLABLE = "victimsupport.audit.redaction.redact"
AUDITLOG_DISABLE_REMOTE_ADDR = False
# "inline": each entry is sealed into the chain as it is written, under a lock held until its
# transaction commits (audited transactions run one at a time). "batch": entries are written
# with a MAC of their own and chained right after their transaction commits, many per lock
# (see docs/architecture.md, "Sealing in batches", for what the short pending window risks).
AUDIT_SEALING = env.str("AUDIT_SEALING", default="inline")
if AUDIT_SEALING not in ("inline", "batch"):
    raise ImproperlyConfigured('AUDIT_SEALING must be "inline" or "batch".')
# Behind a reverse proxy, record the address it saw (the right-most X-Forwarded-For hop).
TRUST_X_FORWARDED_FOR = _bool("TRUST_X_FORWARDED_FOR", False)
# ...and count failed sign-ins per that address too: otherwise every office behind the proxy
# would share one throttle.
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if TRUST_X_FORWARDED_FOR else 0

# --- Security headers ---------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _bool("TRUST_X_FORWARDED_PROTO", False) else None
)
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", IS_PRODUCTION)
SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", IS_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", IS_PRODUCTION)
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", IS_PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts,
# which fails CSRF checks. Nothing is sent to other sites either way.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if IS_PRODUCTION:
    checks.check_production(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        allowed_hosts=ALLOWED_HOSTS,
        mfa_enforce=MFA_ENFORCE,
        secure_cookies=SESSION_COOKIE_SECURE,
        ssl_redirect=SECURE_SSL_REDIRECT,
        hsts_seconds=SECURE_HSTS_SECONDS,
    )

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
# collectstatic writes here for production; development serves from the source folders.
STATIC_ROOT = BASE_DIR / "staticfiles" if IS_PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email --------------------------------------------------------------------------------
# Staff-only mail (password resets). Never case content; the sender name is neutral.
try:
    _email = env.email_url(
        "EMAIL_URL", default="smtp://localhost:25" if IS_PRODUCTION else "consolemail://"
    )
except (ValueError, KeyError, environ.ImproperlyConfigured) as exc:
    raise ImproperlyConfigured("EMAIL_URL is not a valid email URL.") from exc
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Casework <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Whether EMAIL_URL was given at all: in production the localhost default is a guess, which
# `check --deploy` reports (victimsupport.W010).
EMAIL_CONFIGURED = bool(os.environ.get("EMAIL_URL", "").strip())
# A mail server that does not answer must not hold a request (and a worker) until gunicorn's
# timeout: the person gets the reset page at once (which says to ask an administrator if
# nothing arrives), and the failure is logged.
EMAIL_TIMEOUT = _int("EMAIL_TIMEOUT_SECONDS", 10, minimum=1)

# --- Internationalisation -----------------------------------------------------------------
# English and French, both complete (scripts/translations_check.py keeps them so). A page is in
# the language the switcher chose (a cookie), else the browser's; a staff member's preferred
# language is applied at sign-in. What is given to a victim is in their own language.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language cookie holds nothing but the code; it lasts as long as the session cookie.
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

# --- Logging: no request bodies, no query parameters, no SQL with values -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request logger includes the path; case pages use opaque ids only.
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "weasyprint": {"level": "WARNING", "propagate": True},
        "fontTools": {"level": "WARNING", "propagate": True},
    },
}
