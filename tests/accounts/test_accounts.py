"""Signing in: email and password, throttling as a cool-off, two-factor authentication,
no self sign-up, sessions that end."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests import factories
from tests.factories import PASSWORD
from victimsupport.access import Role
from victimsupport.accounts.middleware import SEEN_KEY, STARTED_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def login(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


@pytest.fixture
def cara():
    return factories.caseworker(factories.make_team("North"))


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_caseworker_signs_in_with_email_and_password(client, cara):
    response = login(client, cara.email.upper())
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "My cases" in home.text


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, cara):
    response = login(client, cara.email, "wrong password")
    assert response.status_code == 200
    assert "not correct" in response.text
    unknown = login(client, "nobody@test.example", "wrong password")
    assert unknown.status_code == 200
    assert client.get("/").status_code == 302


def test_repeated_failures_cool_off_but_do_not_lock_the_account(client, cara, settings):
    for _ in range(5):
        login(client, cara.email, "wrong password")
    throttled = login(client, cara.email)  # even the right password waits
    assert throttled.status_code in (200, 429)
    assert "Too many failed" in throttled.text
    assert client.get("/").status_code == 302
    # A cool-off, not a lockout: once the window has passed, the right password works.
    from django.core.cache import cache

    cache.clear()
    assert login(client, cara.email).status_code == 302
    cara.refresh_from_db()
    assert cara.is_active


def test_there_is_no_self_sign_up(client):
    from victimsupport.accounts.models import User

    response = client.post(
        "/accounts/signup/",
        {"email": "new@test.example", "password1": "x" * 20, "password2": "x" * 20},
    )
    assert response.status_code == 200
    assert "closed" in response.text.lower()
    assert not User.objects.filter(email="new@test.example").exists()


def test_supervisor_without_authenticator_must_set_one_up(client):
    sofia = factories.make_user("Sofia", role=Role.SUPERVISOR)
    login(client, sofia.email)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before any change to sign-in methods.
    reauth = client.get("/accounts/2fa/totp/activate/")
    assert reauth["Location"].startswith("/accounts/reauthenticate/")
    client.post(reauth["Location"], {"password": PASSWORD})
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    assert "Authenticator" in setup.text
    assert client.get("/cases/").status_code == 302  # nothing else until it is done


@pytest.mark.parametrize("role", [Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR])
def test_other_roles_that_require_mfa(client, role):
    client.force_login(factories.make_user("X", role=role))
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"


def test_caseworkers_need_no_mfa_by_default_but_can_be_required(client, cara, settings):
    client.force_login(cara)
    assert client.get("/").status_code == 200
    settings.MFA_REQUIRED_FOR_ALL = True
    assert client.get("/").status_code == 302


def test_mfa_can_be_relaxed_only_outside_production(client, settings):
    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Sofia", role=Role.SUPERVISOR))
    assert client.get("/").status_code == 200


def test_sign_in_with_authenticator_code(client):
    sofia = factories.make_user("Sofia", role=Role.SUPERVISOR)
    secret = factories.with_totp(sofia)
    response = login(client, sofia.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    done = client.post("/accounts/2fa/authenticate/", {"code": factories.totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_changing_password_ends_other_sessions(cara):
    office, laptop = Client(), Client()
    login(office, cara.email)
    login(laptop, cara.email)
    assert laptop.get("/").status_code == 200
    new = "a completely new passphrase 42"
    response = office.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert office.get("/").status_code == 200  # the session that changed it stays
    assert laptop.get("/").status_code == 302  # every other session has ended


def test_idle_session_is_signed_out(client, cara, settings):
    client.force_login(cara)
    assert client.get("/").status_code == 200
    session = client.session
    session[SEEN_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fcases%2F"
    assert client.get("/").status_code == 302


def test_absolute_session_lifetime(client, cara, settings):
    client.force_login(cara)
    client.get("/")
    session = client.session
    session[STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_LIFETIME - 5
    session.save()
    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive_without_writing_every_request(client, cara):
    client.force_login(cara)
    client.get("/")
    seen = client.session[SEEN_KEY]
    client.get("/")
    assert client.session[SEEN_KEY] == seen  # not rewritten within a minute


def test_admin_login_goes_through_the_application_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_signed_in_pages_are_not_cached(client, cara):
    client.force_login(cara)
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]


def test_sign_out_needs_a_post(client, cara):
    client.force_login(cara)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_signed_in_user_cannot_use_the_admin_login_form(client, cara, settings):
    settings.MFA_ENFORCE = False
    admin = factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)
    client.force_login(cara)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.email, "password": PASSWORD}
    )
    assert response.status_code == 404
    assert int(client.session["_auth_user_id"]) == cara.pk  # still Cara, not the admin


def test_admin_login_redirect_ignores_foreign_next(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == f"{LOGIN}?next=/admin/"


def test_administrator_cannot_change_own_roles_or_teams(client, settings):
    settings.MFA_ENFORCE = False
    from django.contrib.auth.models import Group

    ada = factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)
    north = factories.make_team("North")
    client.force_login(ada)
    page = client.get(f"/admin/accounts/user/{ada.pk}/change/")
    assert page.status_code == 200
    assert 'name="groups"' not in page.text and 'name="teams"' not in page.text
    caseworkers = Group.objects.get(name=Role.CASEWORKER)
    client.post(
        f"/admin/accounts/user/{ada.pk}/change/",
        {
            "username": ada.username,
            "email": ada.email,
            "groups": [caseworkers.pk],
            "teams": [north.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00",
        },
    )
    ada.refresh_from_db()
    assert not ada.teams.exists()
    assert set(ada.groups.values_list("name", flat=True)) == {Role.ADMINISTRATOR}
    other = factories.make_user("Bo")
    assert 'name="groups"' in client.get(f"/admin/accounts/user/{other.pk}/change/").text
    assert 'name="is_superuser"' not in client.get(f"/admin/accounts/user/{other.pk}/change/").text


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_anyone_who_can_reach_the_admin_needs_mfa(client, flag):
    client.force_login(factories.make_user("Root", **{flag: True}))
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"


# --- In production, everyone who can see a victim signs in with a second factor -----------

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def production_mfa(settings):
    """The second-factor settings production starts with (DJANGO_ENV=production)."""
    from victimsupport import environment as checks

    settings.MFA_ENFORCE = True
    settings.MFA_REQUIRED_FOR_ALL = False
    settings.MFA_REQUIRED_ROLES = checks.mfa_required_roles(
        list(checks.MFA_ROLES_IN_PRODUCTION), production=True
    )


@pytest.mark.parametrize("role", [*Role.values, None], ids=[*Role.values, "no role"])
@pytest.mark.parametrize("way_in", ["team member", "granted the case"])
def test_whoever_can_see_a_case_needs_a_second_factor_in_production(
    client, production_mfa, role, way_in
):
    """Walks every role (a new one included): if ``visible_to`` can return the case, the user
    is sent to set up an authenticator before anything else."""
    from guardian.shortcuts import assign_perm

    from cases.models import Case
    from victimsupport.accounts.middleware import mfa_required_for

    north = factories.make_team("North")
    case = factories.make_case(team=north)
    user = factories.make_user("Someone", role=role, teams=(north,))
    if way_in == "granted the case":
        assign_perm("cases.view_case", user, case)
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        # Grants never widen what a role may see: only caseworkers and supervisors see cases.
        assert role not in {Role.CASEWORKER, Role.SUPERVISOR}
    else:
        assert mfa_required_for(user)
        client.force_login(user)
        assert client.get("/")["Location"] == ACTIVATE
        assert client.get(f"/cases/{case.pk}/")["Location"] == ACTIVATE
    if role is not None:  # every role reads case data in some way: all need the second factor
        assert mfa_required_for(user)


def test_a_caseworker_signs_in_with_password_and_code_in_production(client, production_mfa):
    cara = factories.caseworker(factories.make_team("North"))
    secret = factories.with_totp(cara)
    assert login(client, cara.email)["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302
    client.post("/accounts/2fa/authenticate/", {"code": factories.totp_code(secret)})
    assert client.get("/").status_code == 200


def test_no_role_and_no_case_needs_no_second_factor(client, production_mfa):
    client.force_login(factories.make_user("Oscar"))
    assert client.get("/").status_code == 200
