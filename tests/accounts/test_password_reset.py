"""Password reset: a request changes nothing about an account, only accounts are mailed, every
request gets the same answer (known address or not, mail server working or not), and nothing
of it can block a staff member's two-factor set-up."""

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
DONE = "/accounts/password/reset/done/"
ON_ITS_WAY = "If this address belongs to an account here"
ASK = "ask your administrator: e-mail may not be working just now"


@pytest.fixture
def no_mail_server(settings):
    """Production's default: SMTP on localhost, where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free, and closed again: connections are refused


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


def test_unknown_addresses_are_not_mailed(client):
    response = client.post(RESET, {"email": "someone.else@test.example"})
    assert response.status_code == 302 and response["Location"] == DONE
    assert mail.outbox == []


def test_the_answer_says_honestly_what_may_have_happened(client, sofia):
    page = client.post(RESET, {"email": sofia.email}, follow=True)
    assert ON_ITS_WAY in page.text
    assert ASK in page.text
    assert "We have sent you an email" not in page.text


def test_failing_mail_server_gets_the_same_answer_and_changes_nothing(
    client, sofia, no_mail_server, caplog
):
    before = account_state(sofia)
    with caplog.at_level(logging.ERROR):
        response = client.post(RESET, {"email": sofia.email})
    assert response.status_code == 302 and response["Location"] == DONE
    assert account_state(sofia) == before
    assert "could not be sent" in caplog.text
    assert sofia.email not in caplog.text


def test_failing_mail_server_answers_the_same_for_an_unknown_address(client, sofia, no_mail_server):
    known = client.post(RESET, {"email": sofia.email}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@test.example"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(DONE, 302)]
    assert known.status_code == unknown.status_code == 200
    assert page_text(known, sofia.email) == page_text(unknown, "nobody@test.example")


def test_a_mail_that_went_and_one_that_failed_get_the_same_page(client, sofia, settings):
    sent = client.post(RESET, {"email": sofia.email}, follow=True)
    assert len(mail.outbox) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    failed = client.post(RESET, {"email": sofia.email}, follow=True)
    assert sent.redirect_chain == failed.redirect_chain == [(DONE, 302)]
    assert page_text(sent, sofia.email) == page_text(failed, sofia.email)


def test_anonymous_reset_request_cannot_lock_a_new_supervisor_out(client, sofia, no_mail_server):
    """The probe's scenario, end to end: a failed reset request, then the first sign-in."""
    assert client.post(RESET, {"email": sofia.email})["Location"] == DONE
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
