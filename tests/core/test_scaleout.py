"""App servers hold no state of their own: two real gunicorn processes on one database share
sessions, documents and the login throttle. Also: gunicorn.conf.py, the production-shaped
environment for local trials, and the load test's guards (loopback only, accounts)."""

from __future__ import annotations

import http.client
import importlib.util
import io
import os
import runpy
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.loadtest import run as loadtest_run
from bench.loadtest.common import (
    AUTHENTICATE_PATH,
    CASE_LINK_RE,
    DOCUMENT_LINK_RE,
    LOGIN_PATH,
    Client,
    NotLoopback,
    check_login_throttle_shared,
    check_loopback_url,
    check_session_and_documents,
    read_accounts,
    totp_code,
)
from tests import factories
from tests.servers import GUNICORN_CONF, ROOT, clean_env, database_url, start_servers
from victimsupport import devenv, prodenv


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    """Two gunicorn servers on the test database, with development (test) settings.

    Per test: a server caches content type ids, which the flush after a transactional test
    renumbers.
    """
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connection

    call_command("createcachetable", "django_cache", verbosity=0)  # as the servers use it
    DatabaseCache("django_cache", {}).clear()  # no throttle left by an earlier run
    url = database_url(connection.settings_dict)
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.server_settings",
        DATABASE_URL=url,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
    )
    servers = start_servers(2, env, tmp_path)
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def north_case(transactional_db):
    team = factories.make_team("North")
    cara = factories.caseworker(team)
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    return cara, case


# --- two servers, one database ---------------------------------------------------------------


def test_sessions_documents_and_throttle_are_shared_between_servers(two_servers, north_case):
    cara, case = north_case
    one, two = (server.url for server in two_servers)

    first = Client(one)
    signed_in = first.login(cara.email, factories.PASSWORD)
    assert signed_in.status == 302
    assert not signed_in.location.startswith(LOGIN_PATH)

    # The session cookie from the first server is a session on the second.
    second = Client(two, cookies=dict(first.cookies))
    team_list = second.get("/cases/?scope=team&status=open")
    assert team_list.status == 200
    assert CASE_LINK_RE.findall(team_list.text) == [str(case.pk)]

    # A document uploaded through the first server downloads from the second.
    content = f"Statement {secrets.token_hex(8)}\n".encode()
    token = first.csrf_token(f"/cases/{case.pk}/")
    upload = first.request(
        "POST",
        f"/cases/{case.pk}/documents/",
        fields={"csrfmiddlewaretoken": token, "description": "statement"},
        files={"file": ("statement.txt", "text/plain", content)},
    )
    assert upload.status == 302, upload.text[:500]
    (document_id,) = DOCUMENT_LINK_RE.findall(second.get(f"/cases/{case.pk}/").text)
    download = second.get(f"/cases/{case.pk}/documents/{document_id}/")
    assert download.status == 200
    assert download.body == content

    # Signing out on the second server ends the session on the first.
    second.post("/accounts/logout/", {"csrfmiddlewaretoken": second.csrf_token("/cases/")})
    after = first.get("/cases/")
    assert after.status == 302
    assert after.location.startswith(LOGIN_PATH)

    # The access log names paths, never query strings.
    logs = "".join(server.log_text() for server in two_servers)
    assert '"GET /cases/ HTTP/1.1" 200' in logs
    assert "status=open" not in logs
    assert "scope=team" not in logs

    # The checks `make scaleout` prints pass too, including the shared login throttle.
    urls = [server.url for server in two_servers]
    checks = check_session_and_documents(urls, cara.email, factories.PASSWORD)
    assert [(c.name, c.ok) for c in checks] == [
        ("session shared", True),
        ("document shared", True),
        ("sign-out shared", True),
    ], checks

    throttle = check_login_throttle_shared(urls, failures_per_email=5)
    assert throttle.ok, throttle.detail


# --- production settings ------------------------------------------------------------------------


def test_gunicorn_conf_is_valid_and_logs_no_query_strings(monkeypatch):
    from gunicorn.config import Config

    def load(**env: str) -> Config:
        for name in list(os.environ):
            if name.startswith("GUNICORN_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config = Config()
        for name, value in runpy.run_path(str(GUNICORN_CONF)).items():
            if name in config.settings:
                config.set(name, value)  # gunicorn's own validation of each value
        return config

    config = load()
    assert config.bind == ["127.0.0.1:8000"]
    assert config.workers == 2 * os.cpu_count() + 1
    assert config.threads == 2
    assert config.worker_class_str == "gthread"
    assert config.timeout == 60
    assert not config.is_ssl
    assert config.forwarded_allow_ips == []
    assert config.secure_scheme_headers == {}
    assert "%(U)s" in config.access_log_format
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "{"):
        assert leaky not in config.access_log_format

    config = load(
        GUNICORN_BIND="127.0.0.1:9001",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="8",
        GUNICORN_CERTFILE="/srv/tls/cert.pem",
        GUNICORN_KEYFILE="/srv/tls/key.pem",
    )
    assert (config.bind, config.workers, config.threads) == (["127.0.0.1:9001"], 3, 8)
    assert config.is_ssl

    with pytest.raises(SystemExit, match="GUNICORN_WORKERS must be a whole number"):
        load(GUNICORN_WORKERS="many")
    with pytest.raises(SystemExit, match="both GUNICORN_CERTFILE and GUNICORN_KEYFILE"):
        load(GUNICORN_CERTFILE="/srv/tls/cert.pem")


@pytest.fixture
def trial_env(tmp_path) -> dict[str, Path]:
    dev = tmp_path / "dev.env"
    devenv.write_dev_env(dev)
    return prodenv.prepare(dev, tmp_path / "prod")


def test_production_env_for_trials_passes_the_deploy_check(trial_env, tmp_path):
    for path in (trial_env["env"], trial_env["key"]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = trial_env["env"].read_text()
    assert "DJANGO_ENV=production" in text
    assert "MFA_ENFORCE=true" in text
    dev = prodenv.read_dotenv(tmp_path / "dev.env")
    assert f"BLIND_INDEX_KEY={dev['BLIND_INDEX_KEY']}" in text  # the same data stays readable

    def deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=clean_env(
                ENV_FILE=str(trial_env["env"]),
                DJANGO_SETTINGS_MODULE="victimsupport.settings",
                DATABASE_URL="sqlite:///:memory:",
                **env,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

    # A cache of its own in each process would multiply the login throttle's allowance.
    result = deploy_check(CACHE_URL="locmemcache://")
    assert result.returncode == 1
    assert "victimsupport.W001" in result.stderr


def test_production_env_needs_the_development_keys(tmp_path):
    dev = tmp_path / "dev.env"
    dev.write_text("SECRET_KEY=abc\nFIELD_ENCRYPTION_KEYS=dev1:AAAA\n")
    with pytest.raises(prodenv.ProdEnvError) as error:
        prodenv.prepare(dev, tmp_path / "prod")
    message = str(error.value)
    assert "FIELD_ENCRYPTION_ACTIVE_KEY, BLIND_INDEX_KEY, AUDIT_SEAL_KEY" in message
    assert "abc" not in message
    assert not (tmp_path / "prod" / "env").exists()


def test_production_server_serves_https_only(
    trial_env, django_db_setup, django_db_blocker, tmp_path
):
    """gunicorn with DJANGO_ENV=production and the trial's certificate: HTTPS with HSTS."""
    from django.db import connection

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    env = clean_env(
        ENV_FILE=str(trial_env["env"]),
        DJANGO_SETTINGS_MODULE="victimsupport.settings",
        DATABASE_URL=url,
        GUNICORN_WORKERS="1",
        GUNICORN_CERTFILE=str(trial_env["cert"]),
        GUNICORN_KEYFILE=str(trial_env["key"]),
    )
    (server,) = start_servers(1, env, tmp_path, scheme="https", cafile=str(trial_env["cert"]))
    try:
        health = Client(server.url, cafile=str(trial_env["cert"])).get("/healthz")
        assert health.status == 200
        assert health.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        # Plain HTTP gets no answer from the TLS listener.
        with pytest.raises((OSError, http.client.HTTPException)):
            Client(server.url.replace("https:", "http:"), timeout=5).get("/healthz")
    finally:
        server.stop()


# --- the load test's guards -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1:8001", "http://localhost:8000/", "http://[::1]:8000", "http://127.0.0.2"],
)
def test_loopback_addresses_are_accepted(url):
    assert check_loopback_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://casework.example.org",
        "https://10.0.0.5:8000",
        "https://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "127.0.0.1:8000",
    ],
)
def test_the_runner_refuses_other_hosts(url, capsys):
    with pytest.raises(NotLoopback):
        check_loopback_url(url)
    with pytest.raises(SystemExit) as exit_:
        loadtest_run.parse_args(["--host", url])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "not a loopback address" in error or "not an http(s) address" in error


def test_the_runner_keeps_sign_ins_under_the_rate_limit(capsys):
    assert loadtest_run.parse_args(["--users", "20"]).spawn_rate == 2.0
    assert loadtest_run.parse_args(["--users", "100"]).spawn_rate <= 25 / 60
    with pytest.raises(SystemExit):
        loadtest_run.parse_args(["--users", "100", "--spawn-rate", "5"])
    assert "login rate limit" in capsys.readouterr().err


locust_missing = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="locust is in the 'load' extra"
)


@locust_missing
def test_locustfile_loads_and_refuses_other_hosts(tmp_path):
    # In a subprocess: importing locust patches the whole process for gevent.
    passwords = tmp_path / "passwords"
    passwords.write_text("cara@test.example\tnot-used\n")
    env = clean_env(LOADTEST_PASSWORD_FILE=str(passwords))
    command = [sys.executable, "-m", "locust", "-f", "bench/loadtest/locustfile.py"]
    listed = subprocess.run(
        [*command, "--list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert "Caseworker" in listed.stdout

    refused = subprocess.run(
        [*command, "--headless", "-u", "1", "-t", "2s", "--host", "https://casework.example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "is not a loopback address" in refused.stderr


# --- load-test accounts --------------------------------------------------------------------------


@pytest.mark.django_db
def test_loadtest_accounts_are_caseworkers_spread_over_teams(tmp_path):
    from django.contrib.auth import authenticate

    north, south = factories.make_team("North"), factories.make_team("South")
    path = tmp_path / "secrets" / "passwords"
    call_command("loadtest_accounts", "--count", "4", "--password-file", str(path), stdout=None)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    accounts = read_accounts(path)
    assert len(accounts) == 4
    users = [authenticate(username=email, password=pw) for email, pw, _secret in accounts]
    assert all(u is not None and u.is_active and not u.is_staff for u in users)
    assert {g.name for u in users for g in u.groups.all()} == {"caseworker"}
    assert [list(u.teams.all()) for u in users] == [[north], [south], [north], [south]]

    # Running it again resets the passwords: the old ones stop working.
    call_command("loadtest_accounts", "--count", "4", "--password-file", str(path), stdout=None)
    email, old_password, old_secret = accounts[0]
    assert authenticate(username=email, password=old_password) is None
    assert read_accounts(path)[0][0] == email
    # Each account has one authenticator app, and a reset replaces it.
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    totp = Authenticator.objects.get(user__email=email, type="totp")
    assert not TOTP(totp).validate_code(totp_code(old_secret))
    assert TOTP(totp).validate_code(totp_code(read_accounts(path)[0][2]))


def test_the_load_tests_codes_are_the_authenticator_apps_codes():
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    secret = generate_totp_secret()
    assert totp_code(secret) == factories.totp_code(secret)


def test_a_load_test_caseworker_signs_in_with_a_code_on_a_production_server(
    trial_env, transactional_db, tmp_path
):
    """Production asks caseworkers for a second factor: the load test's accounts have one."""
    from django.conf import settings
    from django.db import connection

    call_command("createcachetable", "django_cache", verbosity=0)
    factories.make_team("North")
    path = tmp_path / "passwords"
    call_command("loadtest_accounts", count=1, password_file=path, stdout=io.StringIO())
    ((email, password, secret),) = read_accounts(path)
    env = clean_env(
        ENV_FILE=str(trial_env["env"]),
        DJANGO_SETTINGS_MODULE="tests.production_server_settings",
        DATABASE_URL=database_url(connection.settings_dict),
        # The test database's keys, so the server reads what this test wrote.
        FIELD_ENCRYPTION_KEYS=f"k1:{settings.TEST_KEY(1)}",
        FIELD_ENCRYPTION_ACTIVE_KEY="k1",
        BLIND_INDEX_KEY=settings.TEST_KEY(2),
        AUDIT_SEAL_KEY=settings.TEST_KEY(3),
        GUNICORN_WORKERS="1",
        GUNICORN_CERTFILE=str(trial_env["cert"]),
        GUNICORN_KEYFILE=str(trial_env["key"]),
    )
    cafile = str(trial_env["cert"])
    (server,) = start_servers(1, env, tmp_path, scheme="https", cafile=cafile)
    try:
        without_code = Client(server.url, cafile=cafile).login(email, password)
        assert without_code.location.startswith(AUTHENTICATE_PATH)  # the password is not enough
        browser = Client(server.url, cafile=cafile).logged_in(email, password, secret)
        assert browser.get("/cases/").status == 200
    finally:
        server.stop()


@pytest.mark.django_db
def test_loadtest_accounts_refuses_production_and_tracked_files(tmp_path, settings):
    factories.make_team("North")
    with pytest.raises(CommandError, match="inside the repository and not ignored"):
        call_command("loadtest_accounts", "--password-file", str(ROOT / "passwords.txt"))
    assert not (ROOT / "passwords.txt").exists()

    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refused when DJANGO_ENV=production"):
        call_command("loadtest_accounts", "--password-file", str(tmp_path / "passwords"))
    assert not (tmp_path / "passwords").exists()


@pytest.mark.django_db
def test_loadtest_accounts_change_nothing_when_the_file_cannot_be_written(tmp_path):
    from django.core.management import CommandError, call_command

    from victimsupport.accounts.models import User

    factories.make_team("North")
    good = tmp_path / "passwords"
    call_command("loadtest_accounts", count=2, password_file=good, stdout=io.StringIO())
    before = dict(
        User.objects.filter(email__endswith="@loadtest.invalid").values_list("email", "password")
    )
    with pytest.raises(CommandError, match="No account was changed"):
        call_command("loadtest_accounts", count=2, password_file=tmp_path, stdout=io.StringIO())
    after = dict(
        User.objects.filter(email__endswith="@loadtest.invalid").values_list("email", "password")
    )
    assert after == before  # the passwords in the file still work
    assert good.read_text().count("@loadtest.invalid") == 2
