"""Password reset: a request changes nothing about an account, a failing mail server is
answered clearly (the same for every address), and nothing of it can block a staff member's
two-factor set-up."""

from __future__ import annotations

import importlib
import logging
import re
import socket

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps as global_apps
from django.core import mail

from tests import factories
from tests.factories import PASSWORD
from victimsupport.access import Role
from victimsupport.accounts.models import User

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
ACTIVATE = "/accounts/2fa/totp/activate/"
NOT_SENT = "The e-mail could not be sent just now"


@pytest.fixture
def no_mail_server(settings):
    """Production's default: SMTP on localhost, where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and closed again: connections are refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port


@pytest.fixture
def sofia():
    """A new supervisor, created by an administrator; no second factor yet."""
    return factories.make_user("Sofia", role=Role.SUPERVISOR)


def page_text(response, typed: str) -> str:
    """The page without what differs between any two requests: the CSRF token, the address."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.text).replace(typed, "")


def account_state(user: User) -> tuple:
    user.refresh_from_db()
    return (user.password, user.last_login, user.email, list(EmailAddress.objects.values()))


def test_reset_request_changes_nothing_about_the_account(client, sofia):
    before = account_state(sofia)
    response = client.post(RESET, {"email": sofia.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [sofia.email]
    assert account_state(sofia) == before
    assert not EmailAddress.objects.exists()


def test_reset_link_still_works_without_the_email_row(client, sofia):
    client.post(RESET, {"email": sofia.email})
    link = next(w for w in mail.outbox[0].body.split() if "/password/reset/key/" in w)
    page = client.get(link, follow=True)
    new = "a completely new passphrase 42"
    done = client.post(page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302
    sofia.refresh_from_db()
    assert sofia.check_password(new)


def test_failing_mail_server_gives_a_clear_message_and_changes_nothing(
    client, sofia, no_mail_server, caplog
):
    before = account_state(sofia)
    with caplog.at_level(logging.ERROR):
        response = client.post(RESET, {"email": sofia.email})
    assert response.status_code == 503
    assert NOT_SENT in response.text
    assert sofia.email in response.text  # what was typed is kept
    assert account_state(sofia) == before
    assert "could not be sent" in caplog.text
    assert sofia.email not in caplog.text


def test_failing_mail_server_answers_the_same_for_an_unknown_address(client, sofia, no_mail_server):
    known = client.post(RESET, {"email": sofia.email})
    unknown = client.post(RESET, {"email": "nobody@test.example"})
    assert unknown.status_code == known.status_code == 503
    assert NOT_SENT in unknown.text
    assert page_text(known, sofia.email) == page_text(unknown, "nobody@test.example")


def test_anonymous_reset_request_cannot_lock_a_new_supervisor_out(client, sofia, no_mail_server):
    """The probe's scenario, end to end: a failed reset request, then the first sign-in."""
    assert client.post(RESET, {"email": sofia.email}).status_code == 503
    client.post("/accounts/login/", {"login": sofia.email, "password": PASSWORD})
    assert client.get("/")["Location"] == ACTIVATE
    reauth = client.get(ACTIVATE)["Location"]
    client.post(reauth, {"password": PASSWORD})
    setup = client.get(ACTIVATE)
    assert setup.status_code == 200
    assert "verify" not in setup.text.lower()
    secret = client.session["mfa.totp.secret"]
    done = client.post(ACTIVATE, {"code": factories.totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_an_unverified_row_left_by_the_old_bug_does_not_block_mfa(client, sofia):
    EmailAddress.objects.create(user=sofia, email=sofia.email, verified=False, primary=False)
    client.force_login(sofia)
    client.post(client.get(ACTIVATE)["Location"], {"password": PASSWORD})
    assert client.get(ACTIVATE).status_code == 200


def test_migration_verifies_the_users_own_address_only(sofia):
    own = EmailAddress.objects.create(user=sofia, email=sofia.email, verified=False)
    added = EmailAddress.objects.create(user=sofia, email="other@test.example", verified=False)
    migration = importlib.import_module(
        "victimsupport.accounts.migrations.0003_staff_email_addresses_verified"
    )
    migration.verify_own_addresses(global_apps, None)
    own.refresh_from_db()
    added.refresh_from_db()
    assert own.verified and own.primary
    assert not added.verified and not added.primary


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"EMAIL_CONFIGURED": False}, "victimsupport.W010"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "victimsupport.W011"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}, "victimsupport.W011"),
    ],
)
def test_deploy_check_reports_mail_that_cannot_work(settings, overrides, warning):
    from victimsupport.checks import check_mail_backend

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_CONFIGURED = True
    assert check_mail_backend() == []
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert [w.id for w in check_mail_backend()] == [warning]
