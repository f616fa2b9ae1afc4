"""The base interface: a home page per role, the audit log page, error pages that say
nothing about cases."""

from __future__ import annotations

import uuid

import pytest

from tests import factories
from victimsupport.access import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (Role.CASEWORKER, ["My cases", "Team cases"], ["Emergency access", "Audit log"]),
        (Role.AUDITOR, ["Audit log"], ["My cases", "Emergency access"]),
        (Role.DATA_PROTECTION_OFFICER, ["Audit log"], ["My cases"]),
    ],
)
def test_home_page_lists_what_each_role_can_do(client, settings, role, expected, absent):
    settings.MFA_ENFORCE = False
    user = factories.make_user("Pat", role=role, teams=(factories.make_team(),))
    client.force_login(user)
    page = client.get("/").text
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


def test_supervisor_home_offers_emergency_access(client):
    client.force_login(factories.supervisor(factories.make_team()))
    page = client.get("/").text
    assert "Emergency access" in page and "Team cases" in page


def test_administrator_home_links_to_staff_accounts(client, settings):
    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True))
    page = client.get("/").text
    assert "Staff accounts" in page
    assert client.get("/admin/accounts/user/").status_code == 200


def test_user_without_role_is_told_so(client):
    client.force_login(factories.make_user("Oscar"))
    assert "no role yet" in client.get("/").text


def test_page_has_landmarks_skip_link_and_labels(client):
    client.force_login(factories.caseworker(factories.make_team()))
    page = client.get("/").text
    assert 'href="#main"' in page and '<main id="main"' in page
    assert '<nav aria-label="Main"' in page and "<header" in page and "<footer" in page
    login_page = factories_client_login_page()
    assert '<label for="id_login"' in login_page and '<label for="id_password"' in login_page


def factories_client_login_page() -> str:
    from django.test import Client

    return Client().get("/accounts/login/").text


def test_audit_log_page_shows_entries_and_checks_integrity(client):
    team = factories.make_team()
    factories.make_case(team=team)
    client.force_login(factories.make_user("Aud", role=Role.AUDITOR))
    page = client.get("/audit/")
    assert page.status_code == 200
    assert '<td data-label="Record">Case</td>' in page.text  # its label, not cases.case
    assert "Created" in page.text
    checked = client.post("/audit/")
    assert "Intact:" in checked.text


def test_audit_log_page_is_refused_to_caseworkers(client):
    client.force_login(factories.caseworker(factories.make_team()))
    assert client.get("/audit/").status_code == 404


def test_not_found_page_reveals_nothing(client):
    client.force_login(factories.caseworker(factories.make_team()))
    response = client.get(f"/cases/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text


def test_server_error_page_is_plain(client, settings):
    from django.urls import path

    from victimsupport import urls

    def boom(request):
        raise RuntimeError("secret detail about a victim")

    settings.ROOT_URLCONF = type("U", (), {"urlpatterns": [*urls.urlpatterns, path("boom/", boom)]})
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret detail" not in response.text


def test_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_healthcheck(client):
    assert client.get("/healthz").text == "ok"


def test_administrator_publishes_a_new_notice_version(client, settings):
    from cases.models import ConfidentialityNotice

    settings.MFA_ENFORCE = False
    ConfidentialityNotice.objects.create(version=1, title="Old", body="Old words")
    client.force_login(factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True))
    assert "Confidentiality notice" in client.get("/").text
    response = client.post(
        "/admin/cases/confidentialitynotice/add/",
        {
            "title": "New",
            "body": "New words",
            "published_at_0": "2026-01-01",
            "published_at_1": "09:00",
        },
    )
    assert response.status_code == 302
    assert ConfidentialityNotice.objects.get(title="New").version == 2
    old = ConfidentialityNotice.objects.get(version=1)
    change = client.post(
        f"/admin/cases/confidentialitynotice/{old.pk}/change/", {"title": "Edited", "body": "x"}
    )
    assert change.status_code == 403
    old.refresh_from_db()
    assert old.title == "Old"  # published words are never edited


def test_case_forms_are_not_remembered_by_the_browser(client):
    """Autofill would offer a victim's name, phone or address to the next person at a
    shared computer: every form that takes case data switches it off."""
    import re

    cara = factories.caseworker(factories.make_team())
    case = factories.make_full_case(cara)
    client.force_login(cara)
    for url in (
        "/cases/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/details/",
        "/cases/intake/",
        f"/risk/cases/{case.pk}/safety-plan/",
        f"/risk/cases/{case.pk}/assessments/new/",
    ):
        forms = re.findall(r"<form[^>]*>", client.get(url).text)
        case_forms = [f for f in forms if "logout" not in f]
        assert case_forms, url
        assert all('autocomplete="off"' in f for f in case_forms), (url, case_forms)


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_the_database_out_of_reach_answers_503_without_touching_it(rf, error):
    from django import db

    from victimsupport import views

    try:
        raise getattr(db, error)("server closed the connection unexpectedly")
    except db.Error:
        response = views.server_error(rf.get("/cases/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    text = response.content.decode()
    assert "Not available for a moment" in text
    assert "server closed" not in text


def test_other_errors_answer_the_plain_500_page(rf):
    from victimsupport import views

    try:
        raise ValueError("a secret name")
    except ValueError:
        response = views.server_error(rf.get("/cases/"))
    assert response.status_code == 500
    assert "a secret name" not in response.content.decode()
