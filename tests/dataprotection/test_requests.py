"""Requests from people, up to the point where a copy is prepared: logged with a reference and
the clock, the person feared recognised by the blind index, the identity checked first, the
extension inside its window only and told through a safe channel.

Dana is the data-protection officer; Cara works in North; Sofia supervises North."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.models import ThirdParty
from dataprotection import clock
from dataprotection.models import (
    AccessRequest,
    FearedDecision,
    RequestCase,
    RequestReferenceCounter,
    RequestStatus,
)
from dataprotection.services import requests as services
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.concurrency import EditConflict

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.MFA_ENFORCE = False  # force_login has no second factor


@pytest.fixture
def dana():
    return factories.dpo("Dana")


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def feared(case, name="Jérôme Dupont"):
    return ThirdParty.objects.create(case=case, role=ThirdParty.Role.FEARED, name=name)


def log(dana, *cases, **fields):
    values = {
        "kind": "access",
        "received_on": timezone.localdate(),
        "received_via": "letter",
        "requester_kind": "person",
        "requester_name": "Alex Martin",
        "case_references": [c.reference for c in cases],
    }
    values.update(fields)
    return services.access_request_log(actor=dana, **values)


def form_data(case, **fields):
    data = {
        "kind": "access",
        "received_on": timezone.localdate().isoformat(),
        "received_via": "letter",
        "requester_kind": "person",
        "requester_name": "Alex Martin",
        "case_references": case.reference,
        "details": "Everything you hold about me",
        "language": "fr",
    }
    data.update(fields)
    return data


# --- Logging ---------------------------------------------------------------------------------


def test_a_request_is_logged_with_its_reference_clock_and_cases(dana, case, cara):
    other = factories.make_full_case(cara)
    received = timezone.localdate() - datetime.timedelta(days=3)
    request = log(dana, case, other, received_on=received, details="All of it")
    year = timezone.localdate().year
    assert request.reference == f"DP-{year}-0001"
    assert log(dana, case).reference == f"DP-{year}-0002"
    assert RequestReferenceCounter.objects.get(year=year).last == 2
    assert request.due_on == clock.due_date(received)
    assert request.status == RequestStatus.RECEIVED and not request.identity_checked
    assert set(request.cases.all()) == {case, other}
    assert request.logged_by == dana and not request.feared_match
    # Each case of the request is a change entry of its own.
    for row in RequestCase.objects.filter(request=request):
        factories.assert_changed(row, AuditEntry.Action.CREATE)
    factories.assert_changed(request, AuditEntry.Action.CREATE)


def test_the_due_date_moves_past_a_public_holiday_of_the_profile(dana, case, settings):
    # Received Tuesday 17 February 2026: due Tuesday 17 March, St Patrick's Day in Ireland.
    settings.COUNTRY_PROFILE = "gdpr"
    assert log(dana, case, received_on=D(2026, 2, 17)).due_on == D(2026, 3, 17)
    settings.COUNTRY_PROFILE = "ie"
    assert log(dana, case, received_on=D(2026, 2, 17)).due_on == D(2026, 3, 18)


def test_an_unknown_case_reference_is_refused_naming_it(dana, case):
    with pytest.raises(ValidationError) as refused:
        log(dana, case, case_references=[case.reference, "VS-1999-00001"])
    assert "VS-1999-00001" in str(refused.value.error_dict["case_references"])
    assert not AccessRequest.objects.exists()


def test_a_representative_must_show_their_authority(dana, case):
    with pytest.raises(ValidationError) as refused:
        log(dana, case, requester_kind="representative")
    assert "authority_evidence" in refused.value.error_dict
    request = log(dana, case, requester_kind="representative", authority_evidence="Signed form")
    assert request.authority_evidence == "Signed form"


def test_only_the_data_protection_officer_logs_a_request(case, cara):
    sofia = factories.supervisor(cara.teams.first(), "Sofia")
    for someone in (cara, sofia):
        with pytest.raises(PermissionDenied):
            log(someone, case)


def test_the_log_page_logs_a_request_and_goes_to_its_page(client, dana, case):
    client.force_login(dana)
    assert client.get("/data-protection/requests/new/").status_code == 200
    response = client.post("/data-protection/requests/new/", form_data(case))
    request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    factories.assert_changed(request, AuditEntry.Action.CREATE, dana)
    assert request.details == "Everything you hold about me" and request.language == "fr"
    assert list(request.cases.all()) == [case]


def test_an_unknown_reference_on_the_log_page_keeps_what_was_typed(client, dana, case):
    client.force_login(dana)
    data = form_data(case, case_references=f"{case.reference}, vs-1999-00001")
    response = client.post("/data-protection/requests/new/", data)
    assert response.status_code == 400
    text = response.text
    assert "No case has the reference VS-1999-00001" in text
    assert "Everything you hold about me" in text and "Alex Martin" in text
    assert f"{case.reference}, vs-1999-00001" in text
    assert not AccessRequest.objects.exists()


def test_an_authority_copy_is_checked_and_kept(client, dana, case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dana)
    bad = SimpleUploadedFile("authority.pdf", b"not a pdf", content_type="application/pdf")
    data = form_data(case, requester_kind="representative", authority_document=bad)
    response = client.post("/data-protection/requests/new/", data)
    assert response.status_code == 400 and "do not match its type" in response.text
    good = SimpleUploadedFile("authority.pdf", factories.blank_pdf(), "application/pdf")
    data = form_data(case, requester_kind="representative", authority_document=good)
    assert client.post("/data-protection/requests/new/", data).status_code == 302
    request = AccessRequest.objects.get()
    assert bytes(request.authority_document).startswith(b"%PDF-")
    assert request.authority_document_type == "application/pdf"


# --- The person feared -----------------------------------------------------------------------


def test_a_request_by_the_person_feared_is_flagged_accents_and_case_ignored(dana, case, cara):
    feared(case, "Jérôme Dupont")
    other = factories.make_full_case(cara)
    feared(other, "Someone Else")
    assert log(dana, case, requester_name="JEROME dupont").feared_match
    assert log(dana, other, case, requester_name="  jérôme  DUPONT ").feared_match
    assert not log(dana, other, requester_name="Jérôme Dupont").feared_match
    assert not log(dana, case, requester_name="Alex Martin").feared_match


def test_a_child_with_the_name_is_not_a_feared_match(dana, case):
    ThirdParty.objects.create(case=case, role=ThirdParty.Role.CHILD, name="Jérôme Dupont")
    assert not log(dana, case, requester_name="Jérôme Dupont").feared_match


def test_a_feared_match_blocks_the_identity_check_until_a_decision_with_a_reason(dana, case):
    feared(case)
    request = log(dana, case, requester_name="Jerome Dupont")
    with pytest.raises(ValidationError, match="records as feared"):
        services.access_request_identity_check(
            actor=dana, request=request, version=request.version, method="code_word"
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED and not request.identity_checked
    with pytest.raises(ValidationError) as refused:
        services.access_request_feared_decide(
            actor=dana, request=request, version=request.version, decision="proceed", reason="  "
        )
    assert "reason" in refused.value.error_dict
    request = services.access_request_feared_decide(
        actor=dana,
        request=request,
        version=request.version,
        decision="proceed",
        reason="Same name, different person: checked their date of birth with the victim.",
    )
    assert request.feared_decision == FearedDecision.PROCEED and request.feared_decided_by == dana
    assert not request.blocked_by_feared_match
    request = services.access_request_identity_check(
        actor=dana, request=request, version=request.version, method="code_word"
    )
    assert request.status == RequestStatus.PREPARING


def test_refusing_a_feared_match_closes_the_request(dana, case):
    feared(case)
    request = log(dana, case, requester_name="Jérôme Dupont")
    request = services.access_request_feared_decide(
        actor=dana,
        request=request,
        version=request.version,
        decision="refuse",
        reason="He is the person she fears.",
    )
    assert request.status == RequestStatus.REFUSED and request.closed_by == dana
    with pytest.raises(ValidationError, match="closed"):
        services.access_request_identity_check(
            actor=dana, request=request, version=request.version, method="code_word"
        )


def test_a_feared_person_recorded_after_logging_is_caught_at_the_identity_check(dana, case):
    request = log(dana, case, requester_name="Jérôme Dupont")
    assert not request.feared_match
    feared(case, "Jerome Dupont")
    with pytest.raises(ValidationError, match="records as feared"):
        services.access_request_identity_check(
            actor=dana, request=request, version=request.version, method="code_word"
        )
    request.refresh_from_db()
    assert request.feared_match and request.status == RequestStatus.RECEIVED


def test_the_request_page_warns_of_the_match_and_records_the_decision(client, dana, case):
    feared(case)
    request = log(dana, case, requester_name="Jérôme Dupont")
    client.force_login(dana)
    page = client.get(request.get_absolute_url())
    assert 'id="feared-warning"' in page.text and "Record the decision" in page.text
    assert "Record the check" not in page.text  # no identity form until decided
    url = f"/data-protection/requests/{request.pk}/feared/"
    response = client.post(url, {"feared-version": request.version, "feared-decision": "proceed"})
    assert response.status_code == 400 and "Write the reason for the decision." in response.text
    response = client.post(
        url,
        {
            "feared-version": request.version,
            "feared-decision": "proceed",
            "feared-reason": "Not the same person: the victim confirmed.",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.feared_decision == FearedDecision.PROCEED
    assert request.feared_reason == "Not the same person: the victim confirmed."


# --- The identity check ----------------------------------------------------------------------


def test_the_identity_check_is_recorded_before_anything_is_prepared(client, dana, case):
    request = log(dana, case)
    assert request.status == RequestStatus.RECEIVED
    client.force_login(dana)
    url = f"/data-protection/requests/{request.pk}/identity/"
    response = client.post(url, {"identity-version": request.version})
    assert response.status_code == 400 and "Choose how their identity was checked." in response.text
    since = factories.audit_mark()
    response = client.post(
        url,
        {
            "identity-version": request.version,
            "identity-method": "call_back",
            "identity-note": "Rang the mobile on file",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING
    assert request.identity_checked_by == dana and request.identity_checked_at is not None
    assert request.identity_method == "call_back"
    factories.assert_changed(request, AuditEntry.Action.UPDATE, dana, since=since)
    page = client.get(request.get_absolute_url())
    assert "Identity checked" in page.text and "Record the check" not in page.text


def test_the_identity_is_checked_once(dana, case):
    request = log(dana, case)
    request = services.access_request_identity_check(
        actor=dana, request=request, version=request.version, method="code_word"
    )
    with pytest.raises(ValidationError, match="already checked"):
        services.access_request_identity_check(
            actor=dana, request=request, version=request.version, method="code_word"
        )


def test_an_erasure_request_checked_stays_preparing_for_the_retention_decision(dana, case):
    request = log(dana, case, kind="erasure")
    request = services.access_request_identity_check(
        actor=dana, request=request, version=request.version, method="document_in_person"
    )
    assert request.kind == "erasure" and request.status == RequestStatus.PREPARING


def test_a_stale_page_cannot_check_the_identity(dana, case):
    request = log(dana, case)
    stale = request.version
    services.access_request_extend(
        actor=dana,
        request=request,
        version=stale,
        extended_to=request.due_on + datetime.timedelta(days=10),
        reason="Many documents",
        told_on=timezone.localdate(),
        told_via="in_person",
    )
    with pytest.raises(EditConflict):
        services.access_request_identity_check(
            actor=dana, request=request, version=stale, method="code_word"
        )


# --- The extension ---------------------------------------------------------------------------


def extend(dana, request, **fields):
    values = {
        "extended_to": request.due_on + datetime.timedelta(days=30),
        "reason": "Complex: three case files",
        "told_on": timezone.localdate(),
        "told_via": "phone",
    }
    values.update(fields)
    return services.access_request_extend(
        actor=dana, request=request, version=request.version, **values
    )


def test_an_extension_inside_the_first_month_is_recorded(dana, case):
    request = log(dana, case, received_on=timezone.localdate() - datetime.timedelta(days=10))
    request = extend(dana, request)
    assert request.extended_to == request.due_on + datetime.timedelta(days=30)
    assert request.deadline == request.extended_to and request.extension_told_via == "phone"


def test_an_extension_goes_no_further_than_the_profile_allows(dana, case):
    request = log(dana, case)
    latest = clock.latest_extended_date(request.received_on)
    with pytest.raises(ValidationError) as refused:
        extend(dana, request, extended_to=latest + datetime.timedelta(days=1))
    assert "extended_to" in refused.value.error_dict
    assert extend(dana, request, extended_to=latest).extended_to == latest


def test_an_extension_needs_its_reason_and_the_day_the_person_was_told(dana, case):
    request = log(dana, case)
    with pytest.raises(ValidationError) as refused:
        extend(dana, request, reason=" ", told_on=None)
    assert {"reason", "told_on"} <= set(refused.value.error_dict)


def test_an_extension_after_the_first_month_is_refused(dana, case):
    received = timezone.localdate() - datetime.timedelta(days=45)
    request = log(dana, case, received_on=received)
    assert not clock.may_extend(received, timezone.localdate())
    with pytest.raises(ValidationError, match="can no longer be made"):
        extend(dana, request, told_on=request.due_on)
    request.refresh_from_db()
    assert request.extended_to is None


def test_do_not_contact_blocks_telling_by_phone_and_says_so(dana, case):
    case.do_not_contact = True
    case.save()
    request = log(dana, case)
    with pytest.raises(ValidationError) as refused:
        extend(dana, request, told_via="phone")
    message = " ".join(refused.value.error_dict["told_via"][0].messages)
    assert "do not contact" in message and case.reference in message
    assert extend(dana, request, told_via="in_person").extension_told_via == "in_person"


def test_a_method_not_recorded_as_safe_is_refused(dana, case):
    # The intake marked the phone safe, nothing else.
    request = log(dana, case)
    with pytest.raises(ValidationError, match="not recorded as safe"):
        extend(dana, request, told_via="email")
    assert extend(dana, request, told_via="phone").extended_to


def test_the_extension_form_refuses_with_what_was_typed(client, dana, case):
    case.do_not_contact = True
    case.save()
    request = log(dana, case)
    client.force_login(dana)
    response = client.post(
        f"/data-protection/requests/{request.pk}/extend/",
        {
            "extend-version": request.version,
            "extend-extended_to": (request.due_on + datetime.timedelta(days=20)).isoformat(),
            "extend-reason": "A very long file to read",
            "extend-told_on": timezone.localdate().isoformat(),
            "extend-told_via": "phone",
        },
    )
    assert response.status_code == 400
    assert "marked do not contact" in response.text and "A very long file to read" in response.text


# --- Withdrawn and refused -------------------------------------------------------------------


def test_a_withdrawn_request_is_closed_with_what_was_said(client, dana, case):
    request = log(dana, case)
    client.force_login(dana)
    url = f"/data-protection/requests/{request.pk}/close/"
    response = client.post(url, {"close-version": request.version, "close-outcome": "withdrawn"})
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "close-version": request.version,
            "close-outcome": "withdrawn",
            "close-reason": "Phoned to say she no longer wants it",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN and request.closed_by == dana
    assert request.refusal_reason == "Phoned to say she no longer wants it"


def test_a_manifestly_excessive_request_is_refused_with_its_reason(dana, case):
    request = log(dana, case)
    with pytest.raises(ValidationError):
        services.access_request_refuse(
            actor=dana, request=request, version=request.version, ground="bored", reason="x"
        )
    request = services.access_request_refuse(
        actor=dana,
        request=request,
        version=request.version,
        ground="manifestly_excessive",
        reason="The fifth identical request this month",
    )
    assert request.status == RequestStatus.REFUSED
    assert request.refusal_grounds == ["manifestly_excessive"]
    with pytest.raises(ValidationError, match="closed"):
        extend(dana, request)


# --- Who may do what -------------------------------------------------------------------------


def test_only_the_dpo_and_a_supervisor_of_the_case_see_a_request(client, dana, case, cara):
    request = log(dana, case)
    sofia = factories.supervisor(cara.teams.first(), "Sofia")
    south_supervisor = factories.supervisor(factories.make_team("South"), "Sue")
    auditor = factories.make_user("Aud", role="auditor")
    partner = factories.partner_user(factories.make_partner())
    page = request.get_absolute_url()
    urls = [
        "/data-protection/requests/",
        "/data-protection/requests/new/",
        page,
    ]
    for someone in (cara, auditor, partner):
        client.force_login(someone)
        for url in urls:
            assert client.get(url).status_code == 404, (someone, url)
        assert client.post(f"{page}identity/", {}).status_code == 404
    client.force_login(south_supervisor)
    assert client.get(page).status_code == 404
    # Sofia sees it read-only: no form, and a write is the 403 of "may see, may not change".
    client.force_login(sofia)
    response = client.get(page)
    assert response.status_code == 200 and "Record the check" not in response.text
    assert "Close the request" not in response.text
    assert client.get("/data-protection/requests/new/").status_code == 404
    for action in ("identity", "feared", "extend", "close"):
        assert client.post(f"{page}{action}/", {}).status_code == 403, action
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED
    client.force_login(dana)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_opening_a_request_writes_an_access_entry(client, dana, case, cara):
    request = log(dana, case)
    sofia = factories.supervisor(cara.teams.first(), "Sofia")
    for someone in (dana, sofia):
        client.force_login(someone)
        since = factories.audit_mark()
        response = client.get(request.get_absolute_url())
        assert response.status_code == 200 and "Alex Martin" in response.text
        factories.assert_accessed(request, AccessKind.VIEW, someone, since=since)


def test_the_request_page_shows_the_clock_and_the_cases_by_reference_only(client, dana, case):
    received = timezone.localdate() - datetime.timedelta(days=5)
    request = log(dana, case, received_on=received)
    request = extend(dana, request)
    client.force_login(dana)
    text = client.get(request.get_absolute_url()).text
    assert case.reference in text
    assert f"/cases/{case.pk}/" not in text  # the DPO opens no case file
    assert "Extended to" in text and "Complex: three case files" in text
    days = clock.days_left(request.extended_to, timezone.localdate())
    assert f"<dd>{days}</dd>" in text
    assert "Logged" in text and "Told of the extension" in text
