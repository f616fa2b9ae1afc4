"""A 403 says only what is true: "you may see this, but you may not change it", and only to
someone who may see it. Every other refusal is the same 404 as an address that does not exist.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import resolve

from cases.services import break_glass_open
from tests import factories
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.views import permission_denied

pytestmark = pytest.mark.django_db

REASON = "Police report she is missing tonight, urgent"
MAY_NOT_CHANGE = "You may see this, but you may not change it"


def main_text(response) -> str:
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def test_may_see_may_not_change_is_a_403_that_says_so(client, case):
    sofia = factories.supervisor(factories.make_team("South"))
    break_glass_open(actor=sofia, case=case, reason=REASON)  # view only
    client.force_login(sofia)
    refused = client.get(f"/cases/{case.pk}/details/")
    assert refused.status_code == 403
    assert MAY_NOT_CHANGE in refused.text


def test_caseworker_may_see_the_case_but_not_change_its_assignment(client_cara, case):
    refused = client_cara.get(f"/cases/{case.pk}/assign/")
    assert refused.status_code == 403
    assert MAY_NOT_CHANGE in refused.text and "Only supervisors assign" in refused.text


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.AUDITOR, "/cases/intake/"),
        (Role.DATA_PROTECTION_OFFICER, "/cases/intake/"),
        (Role.CASEWORKER, "/risk/dashboard/"),
        (Role.CASEWORKER, "/risk/training/"),
        (Role.CASEWORKER, "/cases/emergency-access/"),
        (Role.CASEWORKER, "/audit/"),
        (Role.ADMINISTRATOR, "/audit/"),
    ],
)
def test_a_page_of_another_role_is_the_404_of_a_page_that_does_not_exist(
    client, settings, role, path
):
    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Pat", role=role, teams=(factories.make_team(),)))
    refused = client.get(path)
    missing = client.get(f"/no-such-page-{uuid.uuid4().hex}/")
    assert refused.status_code == missing.status_code == 404
    assert main_text(refused) == main_text(missing)
    assert MAY_NOT_CHANGE not in refused.text


def test_history_of_a_case_they_may_see_is_404_not_a_403(client_cara, case):
    # Cara sees the case, but the history is a supervisor's page: not "may not change".
    refused = client_cara.get(f"/cases/{case.pk}/history/")
    assert refused.status_code == 404
    assert "Page not found" in refused.text


def test_someone_else_s_case_is_404_for_reading_and_writing(client, case):
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    for response in (
        client.get(f"/cases/{case.pk}/details/"),
        client.post(f"/cases/{case.pk}/notes/", {"body": "x"}),
    ):
        assert response.status_code == 404
        assert MAY_NOT_CHANGE not in response.text


def test_any_plain_permission_denied_answers_404(cara):
    request = RequestFactory().get("/cases/intake/")
    request.user = cara
    request.resolver_match = resolve("/cases/intake/")
    response = permission_denied(request, PermissionDenied("Only caseworkers take intakes."))
    assert response.status_code == 404
    assert "Only caseworkers" not in response.content.decode()
    assert "Page not found" in response.content.decode()
    response = permission_denied(request, MaySeeNotChange())
    assert response.status_code == 403
    assert MAY_NOT_CHANGE in response.content.decode()


def test_a_signed_in_non_administrator_finds_no_administration(client_cara):
    response = client_cara.get("/admin/login/?next=/admin/")
    assert response.status_code == 404
