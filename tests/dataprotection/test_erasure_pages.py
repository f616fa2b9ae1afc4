"""The DPO's retention and erasure pages, the certificate, and a person's erasure request."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import services as case_services
from cases.models import Case
from dataprotection.models import Erasure, ErasureStatus, LegalHold, RequestStatus
from dataprotection.services import retention
from tests import factories
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def cara(north):
    return factories.caseworker(north, "Cara")


@pytest.fixture
def dana():
    return factories.dpo("Dana")


def due_erasure(case: Case, worker) -> Erasure:
    case_services.case_close(case=case, actor=worker, reason="Support ended")
    return Erasure.objects.create(
        case=case,
        case_reference=case.reference,
        basis=Erasure.Basis.SCHEDULE,
        due_since=timezone.localdate(),
    )


def test_only_the_dpo_reaches_the_pages(client, cara, north, dana):
    erasure = due_erasure(factories.make_full_case(cara), cara)
    hold = LegalHold.objects.create(
        case=factories.make_full_case(cara),
        reason="Court",
        review_on=timezone.localdate(),
        placed_by=dana,
    )
    urls = [
        reverse("dataprotection:retention_schedule"),
        reverse("dataprotection:retention_rule", args=["closed_case"]),
        reverse("dataprotection:erasures"),
        reverse("dataprotection:erasure", args=[erasure.pk]),
        reverse("dataprotection:legal_holds"),
        reverse("dataprotection:legal_hold_lift", args=[hold.pk]),
    ]
    for user in (cara, factories.supervisor(north)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
    client.force_login(dana)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_dpo_edits_the_schedule_from_its_page(client, dana):
    client.force_login(dana)
    url = reverse("dataprotection:retention_rule", args=["intake_draft"])
    response = client.post(url, {"days": "0", "version": "0"})
    assert response.status_code == 400 and b'value="0"' in response.content
    response = client.post(url, {"days": "45", "version": "0"})
    assert response.status_code == 302
    page = client.get(reverse("dataprotection:retention_schedule")).content.decode()
    assert "45 days" in page


def test_the_dpo_approves_an_erasure_with_the_checkbox_and_downloads_its_certificate(
    client, cara, dana
):
    case = factories.make_full_case(cara, given_name="Zelphine", family_name="Quarrington")
    case_services.note_add(case=case, actor=cara, body="Zelphine moved to Brackenhurst")
    erasure = due_erasure(case, cara)
    client.force_login(dana)
    url = reverse("dataprotection:erasure", args=[erasure.pk])
    # Without the confirmation nothing happens.
    assert client.post(url, {"action": "erase"}).status_code == 400
    assert Case.objects.filter(pk=case.pk).exists()
    assert client.post(url, {"action": "erase", "confirm": "on"}).status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists()
    page = client.get(url).content.decode()
    assert "Zelphine" not in page and case.reference in page

    since = factories.audit_mark()
    response = client.get(reverse("dataprotection:erasure_certificate", args=[erasure.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    erasure.refresh_from_db()
    assert case.reference in text
    assert erasure.chain_head.split(":")[0] in text
    assert "Notes" in text and "Dana" in text
    for canary in ("Zelphine", "Quarrington", "Brackenhurst", "@example.org", "+3260000"):
        assert canary not in text
    assert AuditEntry.objects.filter(
        seq__gt=since, action=AuditEntry.Action.ACCESS, object_pk=str(erasure.pk)
    ).exists()


def test_the_certificate_of_an_erasure_not_done_is_not_found(client, cara, dana):
    erasure = due_erasure(factories.make_full_case(cara), cara)
    client.force_login(dana)
    url = reverse("dataprotection:erasure_certificate", args=[erasure.pk])
    assert client.get(url).status_code == 404


def test_the_dpo_keeps_a_file_with_grounds(client, cara, dana):
    erasure = due_erasure(factories.make_full_case(cara), cara)
    client.force_login(dana)
    url = reverse("dataprotection:erasure", args=[erasure.pk])
    response = client.post(url, {"action": "keep", "reason": "Hearing in May"})
    assert response.status_code == 400 and "Hearing in May" in response.content.decode()
    response = client.post(url, {"action": "keep", "grounds": ["court_case"], "reason": "May"})
    assert response.status_code == 302
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.KEPT and erasure.kept_grounds == ["court_case"]


def test_the_dpo_places_a_hold_by_reference_and_a_hold_past_review_is_flagged(client, cara, dana):
    case = factories.make_full_case(cara)
    client.force_login(dana)
    url = reverse("dataprotection:legal_holds")
    review = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        url, {"reference": "VS-0000-99999", "reason": "Court", "review_on": review}
    )
    assert response.status_code == 400 and "No case has this reference" in response.content.decode()
    response = client.post(
        url, {"reference": case.reference, "reason": "Court", "review_on": review}
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(case=case)
    LegalHold.objects.filter(pk=hold.pk).update(review_on=timezone.localdate())
    assert "to review" in client.get(url).content.decode()
    dashboard = client.get(reverse("dataprotection:dashboard")).content.decode()
    assert "1 legal hold to review" in dashboard
    response = client.post(reverse("dataprotection:legal_hold_lift", args=[hold.pk]), {"note": ""})
    assert response.status_code == 302
    assert not LegalHold.objects.get(pk=hold.pk).is_active


def test_the_dashboard_lists_the_erasures_due_in_constant_queries(
    client, cara, dana, django_assert_max_num_queries
):
    due_erasure(factories.make_full_case(cara), cara)
    client.force_login(dana)
    url = reverse("dataprotection:dashboard")
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "1 erasure waiting for approval" in page
    for _ in range(3):
        due_erasure(factories.make_full_case(cara), cara)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "4 erasures waiting for approval" in page
    with django_assert_max_num_queries(12):
        client.get(reverse("dataprotection:erasures"))


def test_an_erasure_request_approved_erases_and_closes_the_request(client, cara, dana):
    case = factories.make_full_case(cara)
    request = factories.make_access_request(case, logged_by=dana, kind="erasure")
    client.force_login(dana)
    url = reverse("dataprotection:erasure_request", args=[request.pk])
    assert client.post(url, {"decision": "erase"}).status_code == 400
    assert client.post(url, {"decision": "erase", "confirm": "on"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.ERASED and request.closed_by == dana
    erasure = Erasure.objects.get(request=request)
    assert erasure.basis == Erasure.Basis.REQUEST and erasure.status == ErasureStatus.ERASED
    assert not Case.objects.filter(pk=case.pk).exists()


def test_an_erasure_request_refused_records_its_grounds(cara, dana):
    case = factories.make_full_case(cara)
    request = factories.make_access_request(case, logged_by=dana, kind="erasure")
    with pytest.raises(Exception, match="legal reason"):
        retention.erasure_request_decide(actor=dana, request=request, approve=False)
    retention.erasure_request_decide(
        actor=dana,
        request=request,
        approve=False,
        grounds=["legal_hold", "court_case"],
        reason="Family court hearing pending",
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert request.refusal_grounds == ["legal_hold", "court_case"]
    assert request.refusal_reason == "Family court hearing pending"
    kept = Erasure.objects.get(request=request)
    assert kept.status == ErasureStatus.KEPT and kept.kept_grounds == ["legal_hold", "court_case"]
    assert Case.objects.filter(pk=case.pk).exists()


def test_an_erasure_request_waits_for_the_identity_check(cara, dana):
    case = factories.make_full_case(cara)
    request = factories.make_access_request(
        case, logged_by=dana, kind="erasure", identity_checked=False
    )
    with pytest.raises(Exception, match="identity"):
        retention.erasure_request_decide(actor=dana, request=request, approve=True)
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_case_due_while_a_request_needs_it_says_why_on_every_page_that_lists_it(
    client, cara, dana
):
    from django.core.management import call_command

    case = factories.make_full_case(cara)
    case_services.case_close(case=case, actor=cara, reason="Support ended")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=3000))
    request = factories.make_access_request(case, logged_by=dana)
    report = retention.retention_due()
    assert (report.cases_due, report.blocked) == (1, 1)
    out = io.StringIO()
    call_command("retention_due", "--dry-run", stdout=out)
    assert "waiting for an open request or referral: 1" in out.getvalue()

    erasure = Erasure.objects.get(case=case)
    client.force_login(dana)
    listing = client.get(reverse("dataprotection:erasures")).content.decode()
    assert "Cannot be erased yet" in listing and request.reference in listing
    page = client.get(reverse("dataprotection:erasure", args=[erasure.pk])).content.decode()
    assert "The case cannot be erased now" in page and request.reference in page
    refused = client.post(
        reverse("dataprotection:erasure", args=[erasure.pk]), {"action": "erase", "confirm": "on"}
    )
    assert refused.status_code == 400 and Case.objects.filter(pk=case.pk).exists()


def test_closed_requests_past_their_period_are_deleted_once_the_dpo_confirms(client):
    """The DPO's own records (closed requests, closed breaches) are listed when past their
    period and deleted, each deletion audited, only after the DPO ticks that they reviewed
    them; a record within its period stays."""
    from dataprotection.models import AccessRequest, RecordKind, RequestStatus
    from dataprotection.services.retention import retention_days

    dana = factories.dpo("Dana")
    period = retention_days(RecordKind.ACCESS_REQUEST)
    old = factories.make_access_request(logged_by=dana, status=RequestStatus.DELIVERED)
    recent = factories.make_access_request(logged_by=dana, status=RequestStatus.DELIVERED)
    AccessRequest.objects.filter(pk=old.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=period + 5)
    )
    AccessRequest.objects.filter(pk=recent.pk).update(closed_at=timezone.now())
    client.force_login(dana)
    page = client.get(reverse("dataprotection:erasures"))
    assert old.reference in page.text and recent.reference not in page.text
    url = reverse("dataprotection:records_delete")
    refused = client.post(url, {"kind": "access_request"})
    assert refused.status_code == 400 and AccessRequest.objects.filter(pk=old.pk).exists()
    since = factories.audit_mark()
    shown = {"kind": "access_request", "access_request-ids": [str(old.pk)]}
    done = client.post(url, {**shown, "access_request-confirm": "on"})
    assert done.status_code == 302
    assert not AccessRequest.objects.filter(pk=old.pk).exists()
    assert AccessRequest.objects.filter(pk=recent.pk).exists()
    deleted = AuditEntry.objects.filter(seq__gt=since, action=AuditEntry.Action.DELETE)
    assert deleted.filter(object_pk=str(old.pk)).exists()
    # Anyone else gets nothing.
    client.force_login(factories.caseworker(factories.make_team("North")))
    assert client.post(url, {"kind": "breach", "breach-confirm": "on"}).status_code == 404


# Review: deleting an old request stripped its reference from the erasure's certificate.


def test_the_erasure_keeps_the_request_reference_once_the_request_is_deleted(client, cara, dana):
    from dataprotection.models import AccessRequest

    case = factories.make_full_case(cara)
    request = factories.make_access_request(case, logged_by=dana, kind="erasure")
    [erasure] = retention.erasure_request_decide(actor=dana, request=request, approve=True)
    assert erasure.request_reference == request.reference
    AccessRequest.objects.filter(pk=request.pk).delete()  # past its period, deleted
    erasure.refresh_from_db()
    assert erasure.request_id is None
    client.force_login(dana)
    page = client.get(reverse("dataprotection:erasure", args=[erasure.pk])).content.decode()
    assert f"({request.reference})" in page
    response = client.get(reverse("dataprotection:erasure_certificate", args=[erasure.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert request.reference in " ".join(text.split())


def test_the_migration_fills_the_request_reference_of_existing_erasures(cara, dana):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("dataprotection.migrations.0007_erasure_request_reference")
    case = factories.make_full_case(cara)
    request = factories.make_access_request(case, logged_by=dana, kind="erasure")
    made = Erasure.objects.create(
        case=case,
        case_reference=case.reference,
        basis=Erasure.Basis.REQUEST,
        request=request,
        due_since=timezone.localdate(),
    )
    scheduled = due_erasure(factories.make_full_case(cara), cara)
    migration.fill_request_reference(apps, None)
    made.refresh_from_db()
    scheduled.refresh_from_db()
    assert made.request_reference == request.reference
    assert scheduled.request_reference == ""


# Review: the confirmation deleted whatever was due when it came, not the list reviewed.


def test_the_confirmation_deletes_only_the_records_the_page_listed_and_still_due(client):
    import re

    from dataprotection.models import AccessRequest, LegalHold, RecordKind, RequestStatus
    from dataprotection.services.retention import retention_days

    dana = factories.dpo("Dana")
    worker = factories.caseworker(factories.make_team("North"), "Cara")
    long_ago = timezone.now() - datetime.timedelta(
        days=retention_days(RecordKind.ACCESS_REQUEST) + 5
    )
    reviewed = factories.make_access_request(logged_by=dana, status=RequestStatus.DELIVERED)
    case = factories.make_full_case(worker)
    held_since = factories.make_access_request(case, logged_by=dana, status=RequestStatus.DELIVERED)
    late = factories.make_access_request(logged_by=dana, status=RequestStatus.DELIVERED)
    AccessRequest.objects.filter(pk__in=[reviewed.pk, held_since.pk]).update(closed_at=long_ago)
    AccessRequest.objects.filter(pk=late.pk).update(closed_at=timezone.now())
    client.force_login(dana)
    page = client.get(reverse("dataprotection:erasures")).text
    ids = re.findall(r'name="access_request-ids" value="([^"]+)"', page)
    assert sorted(ids) == sorted([str(reviewed.pk), str(held_since.pk)])
    # After the page was shown: another request becomes due, a hold is placed on a case.
    AccessRequest.objects.filter(pk=late.pk).update(closed_at=long_ago)
    LegalHold.objects.create(
        case=case,
        reason="A court needs the file",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        placed_by=dana,
    )
    done = client.post(
        reverse("dataprotection:records_delete"),
        {"kind": "access_request", "access_request-ids": ids, "access_request-confirm": "on"},
    )
    assert done.status_code == 302
    assert not AccessRequest.objects.filter(pk=reviewed.pk).exists()
    assert AccessRequest.objects.filter(pk=late.pk).exists()
    assert AccessRequest.objects.filter(pk=held_since.pk).exists()
    page = client.get(reverse("dataprotection:erasures")).text
    assert "Kept: a legal hold is on a case they concern." in page
    assert held_since.reference in page and late.reference in page
    # Ids that are not ids are ignored.
    client.post(
        reverse("dataprotection:records_delete"),
        {"kind": "breach", "breach-ids": ["x", "'; --"], "breach-confirm": "on"},
    )
