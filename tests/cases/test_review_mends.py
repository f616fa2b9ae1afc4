"""Regressions found by reading the whole change again: uploads never touch the disk, the
details page is audited, the history lists every record of a case, sharing is never
consented to in free text, cases go only to people who can open them, and refusals are said."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import assign_perm

from cases import services
from cases.forms import ConsentForm
from cases.models import Case, Consent, Document, Victim
from tests import factories
from victimsupport import limits
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.uploads import BoundedMemoryUploadHandler

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


def test_uploads_stay_in_memory_even_when_large(client_cara, case, settings, monkeypatch):
    # Above Django's in-memory size its default handlers spool to an unencrypted temp file.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    from django.core.files import uploadedfile

    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", no_disk)
    response = client_cara.post(
        f"/cases/{case.pk}/documents/",
        {"file": SimpleUploadedFile("a.txt", b"x" * 5000, "text/plain"), "description": ""},
    )
    assert response.status_code == 302
    assert Document.objects.get(case=case).content == b"x" * 5000


def test_the_handler_keeps_nothing_past_the_limit(settings, rf):
    settings.DOCUMENT_MAX_BYTES = 100
    handler = BoundedMemoryUploadHandler(rf.post("/"))
    handler.new_file("file", "big.txt", "text/plain", 250, None, {})
    for start in (0, 80, 160):
        handler.receive_data_chunk(b"y" * 80, start)
    uploaded = handler.file_complete(240)
    assert uploaded.size == 240  # the real size, for the size check's message
    assert uploaded.read() == b""  # none of it kept


def test_the_details_page_is_an_audited_opening(client_cara, case):
    before = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count()
    page = client_cara.get(f"/cases/{case.pk}/details/")
    assert page.status_code == 200
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).order_by("-seq").first()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count() == before + 1
    assert entry.additional_data == {"access": "view", "page": "details"}
    assert entry.object_pk == str(case.pk)


def test_history_includes_grants_and_exports(client, case, north, settings):
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    assign_perm("cases.view_case", sam, case)
    settings.PDF_BACKGROUND_THRESHOLD = 1
    from cases.exports import request_export

    request_export(case=case, user=case.assigned_to)
    client.force_login(factories.supervisor(north))
    page = client.get(f"/cases/{case.pk}/history/")
    assert page.status_code == 200
    assert "<td>Case user object permission</td>" in page.text  # who was given sight of it
    assert "<td>Export job</td>" in page.text


def test_sharing_is_never_consented_to_in_free_text(case, cara):
    # A consent to share names a partner and a purpose of the list (referrals): neither the
    # service nor the intake's form records one with a typed-in recipient any more.
    with pytest.raises(ValidationError):
        services.consent_give(
            case=case,
            actor=cara,
            kind=Consent.Kind.SHARING,
            purpose="Referral",
            recipient="Legal advice centre",
            data_categories=["identity"],
            method=Consent.Method.VERBAL,
        )
    form = ConsentForm(
        {
            "processing": "yes",
            "method": "verbal",
            "sharing": "on",
            "sharing_recipient": "Legal advice centre",
            "sharing_purpose": "Advice",
        }
    )
    assert form.is_valid()
    assert not {"sharing", "sharing_recipient", "sharing_purpose"} & set(form.answers())


def test_cases_go_only_to_people_who_can_open_them(client, case, north):
    auditor = factories.make_user("Ari", role="auditor", teams=[north])
    sofia = factories.supervisor(north)
    client.force_login(sofia)
    page = client.post(
        f"/cases/{case.pk}/assign/", {"team": north.pk, "assigned_to": auditor.pk, "version": 1}
    )
    assert page.status_code == 200
    case.refresh_from_db()
    assert case.assigned_to != auditor
    with pytest.raises(ValidationError):
        services.case_assign(
            case=case, actor=sofia, version=case.version, team=north, assigned_to=auditor
        )


def test_edited_date_of_birth_cannot_be_in_the_future(client_cara, case):
    victim = Victim.objects.get(case=case)
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page = client_cara.post(
        f"/cases/{case.pk}/details/",
        {
            "version": victim.version,
            "given_name": "Mira",
            "family_name": "Okafor",
            "date_of_birth": future,
        },
    )
    assert page.status_code == 200 and "cannot be in the future" in page.text
    assert Victim.objects.get(case=case).date_of_birth != datetime.date.fromisoformat(future)


def test_closing_a_case_closed_meanwhile_says_so(client_cara, case, cara):
    services.case_close(case=case, actor=cara, reason="Support completed, she moved away.")
    page = client_cara.post(
        f"/cases/{case.pk}/close/", {"reason": "Closing it from an old tab."}, follow=True
    )
    assert "already closed" in page.text
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_refused_trigger_keeps_what_was_typed(client_cara, case):
    page = client_cara.post(
        f"/risk/cases/{case.pk}/triggers/",
        {"kind": "court", "occurred_on": "not a date", "note": "Hearing moved to Friday"},
    )
    assert page.status_code == 400
    assert "Hearing moved to Friday" in page.text
    assert "Enter a valid date" in page.text


def test_a_refused_action_update_keeps_the_outcome_typed(client_cara, case, cara):
    from risk import services as risk

    case.risk_level = "high"
    case.save()
    action = risk.safety_action_add(
        case=case, actor=cara, kind="accommodation", description="Refuge", owner=cara
    )
    typed = "Place found at the refuge " + "x" * limits.DETAILS  # over the outcome's limit
    page = client_cara.post(
        f"/risk/cases/{case.pk}/safety-plan/actions/{action.pk}/",
        {"status": "done", "outcome": typed, "version": action.version},
    )
    assert page.status_code == 400
    assert "Place found at the refuge" in page.text
    assert 'aria-invalid="true"' in page.text
    action.refresh_from_db()
    assert action.status == "open"


def test_a_view_only_reader_sees_the_draft_without_a_form(client, case, cara, north):
    from risk import services as risk
    from risk.models import InstrumentVersion

    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    draft = risk.assessment_start(case=case, actor=cara, version=version)
    risk.assessment_save(
        assessment=draft, version=draft.version, actor=cara, answers={"ongoing_threat": "yes"}
    )
    outsider = factories.caseworker(factories.make_team("South"), "Sam")
    assign_perm("cases.view_case", outsider, case)
    client.force_login(outsider)
    page = client.get(f"/risk/cases/{case.pk}/assessments/{draft.pk}/")
    assert page.status_code == 200
    assert "reading only" in page.text
    factories.assert_accessed(case, AccessKind.VIEW, outsider, assessment=draft.pk)
    assert (
        "Finalise the assessment" not in page.text
        and "<form" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    )
