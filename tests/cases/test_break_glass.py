"""Break-glass: supervisors open a case outside their teams with a reason, read-only, for a
limited time, and it is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from cases.access import get_case_for_user
from cases.models import BreakGlassAccess
from cases.services import break_glass_open
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db

REASON = "Police called: the victim is missing and may be at risk tonight."


@pytest.fixture
def setup():
    north, south = factories.make_team("North"), factories.make_team("South")
    sofia = factories.supervisor(north)
    sam = factories.caseworker(south, "Sam")
    case = factories.make_case(team=south, assigned_to=sam)
    return sofia, sam, case


def test_supervisor_cannot_see_other_teams_cases_without_break_glass(setup):
    sofia, _, case = setup
    with pytest.raises(Http404):
        get_case_for_user(sofia, case.pk)


def test_break_glass_gives_time_limited_read_only_access(setup, settings):
    sofia, _, case = setup
    settings.BREAK_GLASS_MINUTES = 30
    access = break_glass_open(actor=sofia, case=case, reason=REASON)
    assert timedelta(minutes=29) < access.expires_at - timezone.now() <= timedelta(minutes=30)
    seen = get_case_for_user(sofia, case.pk)
    assert seen == case and not seen.can_write
    with pytest.raises(PermissionDenied):
        get_case_for_user(sofia, case.pk, write=True)


def test_break_glass_expires(setup):
    sofia, _, case = setup
    access = break_glass_open(actor=sofia, case=case, reason=REASON)
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(Http404):
        get_case_for_user(sofia, case.pk)


def test_break_glass_needs_a_reason(setup):
    sofia, _, case = setup
    with pytest.raises(ValidationError):
        break_glass_open(actor=sofia, case=case, reason="   because   ")
    assert not BreakGlassAccess.objects.exists()


def test_only_supervisors_can_break_glass(setup):
    _, sam, _ = setup
    other = factories.make_case(team=factories.make_team("East"))
    with pytest.raises(PermissionDenied):
        break_glass_open(actor=sam, case=other, reason=REASON)


def test_break_glass_is_audited_without_the_reason_in_plaintext(setup):
    sofia, _, case = setup
    access = break_glass_open(actor=sofia, case=case, reason=REASON)
    entry = AuditEntry.objects.get_for_object(case).get(action=AuditEntry.Action.ACCESS)
    assert entry.actor == sofia
    assert entry.additional_data == {"access": "break_glass", "grant": access.pk}
    created = AuditEntry.objects.get_for_object(access).get(action=AuditEntry.Action.CREATE)
    assert "Police" not in str(created.changes)


def test_break_glass_page_flow(client, setup):
    sofia, _, case = setup
    client.force_login(sofia)
    assert client.get("/cases/emergency-access/").status_code == 200
    short = client.post(
        "/cases/emergency-access/", {"reference": case.reference, "reason": "too short"}
    )
    assert short.status_code == 200
    assert "at least 20 characters" in short.text
    assert not BreakGlassAccess.objects.exists()
    unknown = client.post(
        "/cases/emergency-access/", {"reference": "VS-1999-99999", "reason": REASON}
    )
    assert "No case has this reference" in unknown.text
    response = client.post(
        "/cases/emergency-access/", {"reference": case.reference.lower(), "reason": REASON}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    page = client.get(response["Location"])
    access = BreakGlassAccess.objects.get()
    ends = f"{timezone.localtime(access.expires_at):%H:%M}"
    assert f"ends at {ends}" in page.text  # message and banner agree, in local time
    assert "Emergency access." in page.text
    assert "View only" in page.text


def test_break_glass_page_is_for_supervisors_only(client, setup):
    _, sam, _ = setup
    client.force_login(sam)
    assert client.get("/cases/emergency-access/").status_code == 404


def test_break_glass_ends_when_the_supervisor_role_does(setup):
    from django.contrib.auth.models import Group

    sofia, _, case = setup
    break_glass_open(actor=sofia, case=case, reason=REASON)
    sofia.groups.remove(Group.objects.get(name="supervisor"))
    sofia._vs_roles = None
    with pytest.raises(Http404):
        get_case_for_user(sofia, case.pk)


def test_emergency_access_offers_no_export_and_refuses_one_with_an_audit_entry(client, setup):
    sofia, _sam, case = setup
    break_glass_open(actor=sofia, case=case, reason=REASON)
    client.force_login(sofia)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert "Export as PDF" not in page.text
    for method in (client.get, client.post):
        refused = method(f"/cases/{case.pk}/export/")
        assert refused.status_code == 403
        assert "Emergency access is read-only" in refused.text
        assert refused["Content-Type"].startswith("text/html")
    entries = AuditEntry.objects.filter(
        object_pk=str(case.pk), additional_data__access__in=["export", "export_refused"]
    )
    assert [e.additional_data["access"] for e in entries] == ["export_refused"] * 2
    assert all(e.actor == sofia for e in entries)


def test_the_cases_own_team_still_exports_it(client, setup):
    _sofia, sam, case = setup
    client.force_login(sam)
    assert "Export as PDF" in client.get(f"/cases/{case.pk}/").text
    factories.assert_accessed(case, AccessKind.VIEW, sam)
    response = client.get(f"/cases/{case.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    factories.assert_accessed(case, AccessKind.EXPORT, sam)
