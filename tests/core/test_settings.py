"""Start-up refuses unsafe or malformed configuration, naming the variable; production
settings pass `check --deploy` with no warnings."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from victimsupport import environment as checks

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(b"\x05" * 32).decode()


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "FIELD_", "BLIND_", "AUDIT_", "MFA_", "SECRET", "DEBUG"))
    }
    env.update(
        ENV_FILE="",
        DJANGO_SETTINGS_MODULE="victimsupport.settings",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="casework.example.org",
        FIELD_ENCRYPTION_KEYS=f"2026a:{KEY}",
        FIELD_ENCRYPTION_ACTIVE_KEY="2026a",
        BLIND_INDEX_KEY=KEY,
        AUDIT_SEAL_KEY=KEY,
        DATABASE_URL="sqlite:///:memory:",
        EMAIL_URL="smtp+tls://casework:secret@mail.casework.example.org:587",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_check_reports_a_mail_server_nobody_configured():
    result = manage("check", "--deploy", "--fail-level", "WARNING", EMAIL_URL=None)
    assert result.returncode == 1
    assert "victimsupport.W010" in result.stderr
    result = manage("check", "--deploy", "--fail-level", "WARNING", EMAIL_URL="consolemail://")
    assert "victimsupport.W011" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS is required"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"SECURE_COOKIES": "false"}, "SECURE_COOKIES cannot be turned off"),
        ({"BREAK_GLASS_MINUTES": "100000"}, "BREAK_GLASS_MINUTES must be at most"),
    ],
)
def test_unsafe_production_start_is_refused_with_the_variable_named(env, message):
    result = manage("check", **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_dotenv_is_refused_without_echoing_the_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=abc\nthis line has a secret-ish value\n")
    result = manage("check", ENV_FILE=str(env_file))
    assert result.returncode == 2
    assert "line 2: expected NAME=value" in result.stderr
    assert "secret-ish" not in result.stderr


def test_dotenv_syntax_accepts_comments_exports_and_blanks(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\n\nexport A=1\nB=two words\n")
    checks.check_dotenv_syntax(env_file)


@pytest.mark.parametrize("line", ["SECRET_KEY = s3cret-value", "  SECRET_KEY=s3cret-value"])
def test_dotenv_lines_django_environ_would_skip_are_refused_unechoed(tmp_path, line):
    # django-environ skips such a line and logs it whole, secret and all.
    env_file = tmp_path / ".env"
    env_file.write_text(f"A=1\n{line}\n")
    with pytest.raises(ImproperlyConfigured, match="line 2") as refused:
        checks.check_dotenv_syntax(env_file)
    assert "s3cret" not in str(refused.value)


def test_dotenv_values_read_as_django_environ_reads_them(tmp_path, monkeypatch):
    import environ

    text = 'A=plain\nexport B=\'single quoted\'\nC="double \\"quoted\\""\nD=hash#kept\n'
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    for name in "ABCD":  # set then removed, so that the test's end removes them again
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    environ.Env.read_env(str(env_file))
    assert checks.parse_dotenv(text) == {name: os.environ[name] for name in "ABCD"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is required"),
        ("k1", "no ':' found"),
        ("bad id!:" + KEY, "key id must be"),
        ("k1:" + KEY + ",k1:" + KEY, "appears twice"),
        ("k1:not-base64!!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "must decode to 32 bytes"),
    ],
)
def test_key_ring_errors_name_the_variable(value, message):
    with pytest.raises(ImproperlyConfigured, match=message) as info:
        checks.parse_key_ring("FIELD_ENCRYPTION_KEYS", value)
    assert "FIELD_ENCRYPTION_KEYS" in str(info.value)
    assert KEY not in str(info.value)


def test_key_ring_keeps_order_and_accepts_urlsafe_base64():
    urlsafe = base64.urlsafe_b64encode(b"\xfb" * 32).decode()
    ring = checks.parse_key_ring("X", f"new:{urlsafe}, old:{KEY}")
    assert list(ring) == ["new", "old"]
    assert ring["new"] == b"\xfb" * 32


def test_active_key_must_be_in_the_ring():
    with pytest.raises(ImproperlyConfigured, match="not in FIELD_ENCRYPTION_KEYS"):
        checks.check_active_key("A", "k9", {"k1": b"x" * 32}, "FIELD_ENCRYPTION_KEYS")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"debug": True}, "DEBUG must be off"),
        ({"secret_key": "django-insecure-" + "x" * 60}, "development key"),
        ({"secret_key": "short"}, "shorter than 50"),
        ({"secret_key": "ab" * 30}, "fewer than 5 distinct"),
        ({"allowed_hosts": []}, "ALLOWED_HOSTS must list"),
        ({"allowed_hosts": ["*"]}, "must not contain"),
        ({"mfa_enforce": False}, "MFA_ENFORCE cannot be turned off"),
        ({"secure_cookies": False}, "SECURE_COOKIES cannot be turned off"),
        ({"ssl_redirect": False}, "TRUST_X_FORWARDED_PROTO"),
        ({"hsts_seconds": 0}, "SECURE_HSTS_SECONDS must be at least"),
    ],
)
def test_production_refusals(kwargs, message):
    good = {
        "debug": False,
        "secret_key": secrets.token_urlsafe(50),
        "allowed_hosts": ["casework.example.org"],
        "mfa_enforce": True,
    }
    with pytest.raises(ImproperlyConfigured, match=message):
        checks.check_production(**{**good, **kwargs})


def test_environment_name_is_checked():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV"):
        checks.check_environment_name("DJANGO_ENV", "prod")


def test_dev_env_writer_never_overwrites(tmp_path):
    from victimsupport.devenv import write_dev_env

    target = tmp_path / ".env"
    assert write_dev_env(target) is True
    first = target.read_text()
    assert write_dev_env(target) is False
    assert target.read_text() == first
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    values = dict(
        line.split("=", 1) for line in first.splitlines() if "=" in line and line[0] != "#"
    )
    ring = checks.parse_key_ring("FIELD_ENCRYPTION_KEYS", values["FIELD_ENCRYPTION_KEYS"])
    assert values["FIELD_ENCRYPTION_ACTIVE_KEY"] in ring
    checks.decode_key("BLIND_INDEX_KEY", values["BLIND_INDEX_KEY"])
    assert write_dev_env(tmp_path / "other") and (tmp_path / "other").read_text() != first


def test_mfa_roles_are_checked():
    from victimsupport.access import Role

    assert set(checks.ROLE_NAMES) == set(Role.values)
    assert checks.mfa_required_roles(["supervisor", " auditor "], production=False) == [
        "supervisor",
        "auditor",
    ]
    with pytest.raises(ImproperlyConfigured, match="unknown roles: supervisors"):
        checks.mfa_required_roles(["supervisors", "administrator"], production=False)
    with pytest.raises(ImproperlyConfigured, match="must include caseworker, data_protection_o"):
        checks.mfa_required_roles(["supervisor", "administrator"], production=True)
    full = list(checks.MFA_ROLES_IN_PRODUCTION)
    assert checks.mfa_required_roles(full, production=True) == full


def test_production_needs_a_second_factor_for_every_role():
    """Every role reads case data, so none may be left out in production; a role added to
    Role (and ROLE_NAMES, which a test keeps equal) is required at once."""
    from victimsupport.access import Role

    assert set(checks.MFA_ROLES_IN_PRODUCTION) == set(Role.values)
    assert set(checks.default_mfa_roles(production=True)) == set(Role.values)
    # The list production required before: caseworkers and auditors without a second factor.
    with pytest.raises(ImproperlyConfigured) as refused:
        checks.mfa_required_roles(
            ["supervisor", "data_protection_officer", "administrator"], production=True
        )
    assert "MFA_REQUIRED_ROLES must include caseworker, auditor" in str(refused.value)
    # Development keeps its looser default (and the development .env turns MFA off).
    assert "caseworker" not in checks.default_mfa_roles(production=False)
    assert checks.mfa_required_roles(["supervisor"], production=False) == ["supervisor"]


def test_production_start_refuses_a_role_list_missing_a_role_and_defaults_to_all():
    short = manage("check", MFA_REQUIRED_ROLES="supervisor,data_protection_officer,administrator")
    assert short.returncode == 2
    assert "MFA_REQUIRED_ROLES must include caseworker, auditor" in short.stderr
    assert "Traceback" not in short.stderr
    shown = manage(
        "shell", "-c", "from django.conf import settings; print(settings.MFA_REQUIRED_ROLES)"
    )
    assert shown.returncode == 0, shown.stderr
    for role in checks.ROLE_NAMES:
        assert repr(role) in shown.stdout


def test_the_development_env_still_lets_the_demo_users_in_without_a_second_factor(tmp_path):
    """`make run` writes this file: the README promises every demo role can be tried at once."""
    from victimsupport.devenv import write_dev_env

    write_dev_env(tmp_path / ".env")
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DJANGO_ENV, settings.MFA_ENFORCE)",
        ENV_FILE=str(tmp_path / ".env"),
        **dict.fromkeys(("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "MFA_ENFORCE")),
        **dict.fromkeys(("FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY")),
        **dict.fromkeys(("BLIND_INDEX_KEY", "AUDIT_SEAL_KEY")),
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-2:] == ["development", "False"]
