"""Administrators add a partner organisation's users and end their access. Ada administers;
Pat works at the refuge; Cara is a North caseworker."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import services
from referrals.models import PartnerMembership, partner_of
from tests import factories
from victimsupport.access import Role, roles_of
from victimsupport.accounts.models import User
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.MFA_ENFORCE = False


@pytest.fixture
def ada():
    return factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def refuge():
    return factories.make_partner("Safe Haven Refuge")


def add_url(partner) -> str:
    return f"/network/partners/{partner.pk}/users/add/"


def test_administrator_adds_a_partner_user_without_a_password(client, ada, refuge, mailoutbox):
    client.force_login(ada)
    since = factories.audit_mark()
    response = client.post(add_url(refuge), {"name": "Pat Jones", "email": "pat@refuge.example"})
    assert response.status_code == 302
    assert response["Location"] == f"/network/partners/{refuge.pk}/users/"
    pat = User.objects.get(email="pat@refuge.example")
    assert pat.username == "pat@refuge.example" and pat.first_name == "Pat Jones"
    assert not pat.has_usable_password()
    assert authenticate(username=pat.username, password="") is None
    assert roles_of(pat) == {Role.PARTNER}
    assert not pat.teams.exists() and not pat.is_staff
    assert partner_of(pat) == refuge
    factories.assert_changed(pat, AuditEntry.Action.CREATE, ada, since=since)
    factories.assert_changed(
        PartnerMembership.objects.get(user=pat), AuditEntry.Action.CREATE, ada, since=since
    )
    # They choose their own password from the reset e-mail sent to them.
    assert [m.to for m in mailoutbox] == [["pat@refuge.example"]]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    listing = client.get(f"/network/partners/{refuge.pk}/users/")
    assert listing.status_code == 200 and "pat@refuge.example" in listing.text


def test_the_new_user_can_ask_for_the_reset_email_again(client, ada, refuge, mailoutbox):
    services.partner_user_create(partner=refuge, actor=ada, name="Pat", email="pat@refuge.example")
    response = client.post("/accounts/password/reset/", {"email": "pat@refuge.example"})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["pat@refuge.example"]]


def test_an_address_already_in_use_is_refused_and_the_form_kept(client, ada, refuge, cara):
    client.force_login(ada)
    response = client.post(add_url(refuge), {"name": "Pat", "email": cara.email.upper()})
    assert response.status_code == 400
    assert "already an account" in response.text
    assert 'value="Pat"' in response.text
    assert not PartnerMembership.objects.exists()


def test_a_malformed_address_is_refused(client, ada, refuge):
    client.force_login(ada)
    response = client.post(add_url(refuge), {"name": "Pat", "email": "not an address"})
    assert response.status_code == 400
    assert not User.objects.filter(first_name="Pat").exists()


def test_administrator_ends_a_partner_users_access(client, ada, refuge):
    pat = factories.partner_user(refuge)
    client.force_login(ada)
    since = factories.audit_mark()
    response = client.post(f"/network/partners/{refuge.pk}/users/{pat.pk}/deactivate/")
    assert response.status_code == 302
    pat.refresh_from_db()
    assert not pat.is_active and roles_of(pat) == frozenset()
    factories.assert_changed(pat, AuditEntry.Action.UPDATE, ada, since=since)


def test_a_user_of_another_partner_cannot_be_ended_from_this_one(client, ada, refuge):
    other = factories.partner_user(factories.make_partner("Other"))
    client.force_login(ada)
    response = client.post(f"/network/partners/{refuge.pk}/users/{other.pk}/deactivate/")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMINISTRATOR])
def test_only_administrators_reach_the_partner_user_pages(client, refuge, role, north):
    pat = factories.partner_user(refuge)
    user = factories.make_user("Someone", role=role, teams=(north,))
    client.force_login(user)
    assert client.get(f"/network/partners/{refuge.pk}/users/").status_code == 404
    assert client.get(add_url(refuge)).status_code == 404
    assert client.post(add_url(refuge), {"name": "X", "email": "x@x.example"}).status_code == 404
    deactivate = f"/network/partners/{refuge.pk}/users/{pat.pk}/deactivate/"
    assert client.post(deactivate).status_code == 404
    assert User.objects.filter(email="x@x.example").count() == 0
    pat.refresh_from_db()
    assert pat.is_active


def test_the_service_refuses_anyone_but_an_administrator(refuge, cara):
    with pytest.raises(services.PermissionDenied):
        services.partner_user_create(partner=refuge, actor=cara, name="X", email="x@x.example")


def test_the_list_costs_the_same_queries_however_many_users(
    client, ada, refuge, django_assert_max_num_queries
):
    client.force_login(ada)
    url = f"/network/partners/{refuge.pk}/users/"
    factories.partner_user(refuge)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(5):
        factories.partner_user(refuge, f"Member{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).text.count("End access for") == 6
