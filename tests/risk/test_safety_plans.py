"""Safety plans: required when the risk is high, actions with owner, due date and status,
police contact only with the person's wishes recorded, a copy for the person without
staff-only notes."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from risk.models import SafetyAction, SafetyPlan
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cara):
    case = factories.make_full_case(cara)
    case.risk_level = "high"
    case.save()
    return case


def url(case, tail=""):
    return f"/risk/cases/{case.pk}/safety-plan/{tail}"


def test_high_risk_without_a_plan_shows_a_blocker(client, case, cara):
    client.force_login(cara)
    assert "A safety plan is required" in client.get(f"/cases/{case.pk}/").text
    factories.assert_accessed(case, AccessKind.VIEW, cara)
    client.post(url(case), {"summary": "Staying safe while the court case runs", "version": 0})
    factories.assert_changed(SafetyPlan.objects.get(case=case), AuditEntry.Action.CREATE, cara)
    # An empty plan protects no one: the requirement stays until there is an action.
    assert "A safety plan is required" in client.get(f"/cases/{case.pk}/").text
    client.post(
        url(case, "actions/"),
        {"kind": "accommodation", "description": "Refuge place", "owner_other": "Themselves"},
    )
    assert "A safety plan is required" not in client.get(f"/cases/{case.pk}/").text


def test_an_invalid_action_creates_no_plan(client, case, cara):
    client.force_login(cara)
    client.post(url(case, "actions/"), {"kind": "police", "description": "x", "owner": cara.pk})
    assert not SafetyPlan.objects.filter(case=case).exists()


def test_an_action_of_another_case_gives_404(client, case, cara):
    client.force_login(cara)
    other = factories.make_full_case(cara)
    client.post(
        url(other, "actions/"),
        {"kind": "other", "description": "Other case's action", "owner": cara.pk},
    )
    action = SafetyAction.objects.get()
    assert client.post(url(case, f"actions/{action.pk}/"), {"status": "done"}).status_code == 404


def test_actions_need_an_owner_and_police_contact_needs_their_wishes(client, case, cara):
    client.force_login(cara)
    base = {"kind": "police", "description": "Report the breach of the order"}
    no_owner = client.post(url(case, "actions/"), {**base, "victim_wishes": "Wants it reported"})
    assert no_owner.status_code == 400 and "Say who will do it" in no_owner.text
    no_wishes = client.post(url(case, "actions/"), {**base, "owner": cara.pk})
    assert no_wishes.status_code == 400
    assert "Record what the person wants" in no_wishes.text
    assert "Report the breach of the order" in no_wishes.text  # nothing typed is lost
    ok = client.post(
        url(case, "actions/"),
        {**base, "owner": cara.pk, "victim_wishes": "Wants it reported", "due_on": "2030-01-01"},
    )
    assert ok.status_code == 302
    action = SafetyAction.objects.get()
    assert action.victim_wishes == "Wants it reported" and action.owner == cara


def test_action_status_and_outcome(client, case, cara):
    client.force_login(cara)
    client.post(
        url(case, "actions/"),
        {"kind": "accommodation", "description": "Refuge place", "owner_other": "Themselves"},
    )
    action = SafetyAction.objects.get()
    client.post(
        url(case, f"actions/{action.pk}/"), {"status": "done", "outcome": "Moved in", "version": 1}
    )
    action.refresh_from_db()
    assert action.status == "done" and action.outcome == "Moved in" and action.completed_at


def test_overdue_actions_are_flagged(client, case, cara):
    client.force_login(cara)
    client.post(
        url(case, "actions/"),
        {
            "kind": "order",
            "description": "Apply for a protection order",
            "owner": cara.pk,
            "due_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        },
    )
    assert "overdue" in client.get(url(case)).text


def test_the_persons_copy_leaves_out_staff_notes_and_is_audited(client, case, cara):
    client.force_login(cara)
    client.post(url(case), {"summary": "Keeping safe at home", "version": 0})
    client.post(
        url(case, "actions/"),
        {
            "kind": "technology",
            "description": "Check the phone for tracking apps",
            "owner_other": "Themselves, with help",
            "internal_note": "STAFFONLY suspect he installed something",
        },
    )
    response = client.get(url(case, "copy/"))
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Check the phone for tracking apps" in text
    assert "STAFFONLY" not in text and case.reference not in text
    assert reader.metadata.title == "My plan"
    assert (
        AuditEntry.objects.get_for_object(case)
        .filter(additional_data__document="safety_plan")
        .exists()
    )


def test_safety_plan_pages_follow_case_access(client, case, cara):
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    assert client.get(url(case)).status_code == 404
    assert client.post(url(case, "actions/"), {}).status_code == 404
    assert client.get(url(case, "copy/")).status_code == 404


def posted_version(page) -> dict:
    """The hidden version as the page's plan form posts it."""
    found = re.search(r'name="version" value="(\d+)" id="id_version"', page.text)
    return {"version": found.group(1)} if found else {}


def test_two_pages_loaded_together_never_lose_the_first_save(case, cara):
    first, second = Client(), Client()
    first.force_login(cara)
    second.force_login(cara)
    created = posted_version(first.get(url(case)))
    first.post(url(case), {"summary": "Keeping safe at home", **created})
    one, two = posted_version(first.get(url(case))), posted_version(second.get(url(case)))
    assert first.post(url(case), {"summary": "Moving to her sister's", **one}).status_code == 302
    refused = second.post(url(case), {"summary": "Staying with a friend", **two})
    assert SafetyPlan.objects.get(case=case).summary == "Moving to her sister's"
    assert refused.status_code == 409
    assert "Staying with a friend" in refused.text  # the second person's typing is kept
