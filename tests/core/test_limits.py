"""Every text has a limit fitting its use, said the same way in forms and services; every
refusal says what was wrong next to the field (or at the top), and nothing typed is lost."""

from __future__ import annotations

import inspect

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test.utils import isolate_apps

from cases import forms as case_forms
from cases import intake, services
from cases.models import Case, Consent, Document, IntakeDraft, StatusChange, Victim
from risk import forms as risk_forms
from risk import services as risk
from risk.models import InstrumentVersion, SafetyPlan
from tests import factories
from victimsupport import checks, limits
from victimsupport.accounts.models import User
from victimsupport.audit.models import AuditEntry
from victimsupport.crypto.fields import EncryptedCharField, EncryptedTextField

pytestmark = pytest.mark.django_db


def too_long(limit: int) -> str:
    return f"Keep this under {limit} characters; it has {limit + 1}."


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


# --- No text without a limit ----------------------------------------------------------------


def test_every_model_text_field_has_a_limit():
    assert checks.check_text_limits() == []


@isolate_apps("tests.testapp")
def test_a_new_text_field_without_a_limit_fails_the_system_check():
    class Diary(models.Model):
        entry = EncryptedTextField(blank=True)
        title = EncryptedCharField(max_length=limits.SHORT_TEXT)
        plain = models.TextField()

        class Meta:
            app_label = "testapp"

    missing = checks.text_fields_without_limit([Diary])
    assert [f.name for f in missing] == ["entry", "plain"]


def _project_forms() -> list[type[forms.Form]]:
    found, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__ in (case_forms.__name__, risk_forms.__name__):
                found.append(sub)
    return found


def _instantiate(form_class: type[forms.Form]) -> forms.Form:
    """With whatever its constructor needs: querysets, a consent, an instrument."""
    needs = {
        "staff": User.objects.none(),
        "teams": User.objects.none(),
        "users": User.objects.none(),
        "workers": User.objects.none(),
        "consent_id": 1,
    }
    params = inspect.signature(form_class.__init__).parameters
    kwargs = {name: value for name, value in needs.items() if name in params}
    if "definition" in params:
        version = InstrumentVersion.objects.get(instrument__key="default", status="published")
        return form_class(version.definition, **kwargs)
    return form_class(**kwargs)


def test_every_form_text_field_has_a_limit_and_says_it():
    checked = []
    for form_class in _project_forms():
        form = _instantiate(form_class)
        for name, field in form.fields.items():
            if not isinstance(field, forms.CharField):
                continue
            checked.append(f"{form_class.__name__}.{name}")
            assert field.max_length, f"{form_class.__name__}.{name} has no max_length"
            assert field.error_messages["max_length"] == limits.TOO_LONG, name
    # The walk found the forms, the step forms' fields made in __init__ included.
    assert {"PersonForm.address", "SafetyForm.phone_times", "AssessmentForm.own_words"} <= set(
        checked
    )


def test_the_encrypted_field_limits_the_plaintext_not_the_column():
    field = Victim._meta.get_field("address")
    assert field.max_length == limits.ADDRESS
    assert isinstance(field.formfield(), limits.LimitedCharField)
    victim = Victim(given_name="Mira", address="x" * (limits.ADDRESS + 1))
    with pytest.raises(ValidationError) as refused:
        victim.clean_fields(exclude=["case"])
    assert refused.value.message_dict["address"] == [too_long(limits.ADDRESS)]


# --- The form refuses, with the message, and keeps what was typed ---------------------------


def test_a_two_million_character_address_is_refused_with_a_message(client_cara, case):
    victim = case.victim
    page = client_cara.post(
        f"/cases/{case.pk}/details/",
        {
            "given_name": "Mira",
            "family_name": "Okafor-Typed",
            "address": "x" * 2_000_000,
            "version": victim.version,
        },
    )
    assert page.status_code == 200
    assert "Keep this under 500 characters; it has 2000000." in page.text
    assert "Okafor-Typed" in page.text
    victim.refresh_from_db()
    assert victim.family_name == "Okafor" and victim.version == 1


# --- The services refuse too ----------------------------------------------------------------


def test_the_details_service_refuses_an_over_long_address(case, cara):
    with pytest.raises(ValidationError) as refused:
        services.victim_update(
            victim=case.victim, actor=cara, version=1, address="x" * (limits.ADDRESS + 1)
        )
    assert refused.value.message_dict["address"] == [too_long(limits.ADDRESS)]


def test_services_writing_single_fields_check_their_limits(case, cara):
    consent = case.consents.first()
    with pytest.raises(ValidationError):
        services.consent_withdraw(
            consent=consent, actor=cara, version=consent.version, note="x" * (limits.REASON + 1)
        )
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    with pytest.raises(ValidationError):
        risk.safety_plan_save(case=case, actor=cara, version=0, summary="x" * (limits.DETAILS + 1))
    assert not SafetyPlan.objects.filter(case=case).exists()
    with pytest.raises(ValidationError):
        services.case_close(case=case, actor=cara, reason="x" * (limits.REASON + 1))
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert not StatusChange.objects.filter(case=case, kind=StatusChange.Kind.CLOSED).exists()


def test_assessment_answers_in_json_are_limited_too(case, cara):
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    draft = risk.assessment_start(case=case, actor=cara, version=version)
    with pytest.raises(ValidationError, match="Keep this under 10000 characters"):
        risk.assessment_save(
            assessment=draft,
            actor=cara,
            version=draft.version,
            answers={"own_words": "x" * (limits.DETAILS + 1)},
        )
    with pytest.raises(ValidationError):
        risk.assessment_save(
            assessment=draft,
            actor=cara,
            version=draft.version,
            answers={},
            rationale="x" * (limits.DETAILS + 1),
        )
    draft.refresh_from_db()
    assert draft.answers == {} and draft.rationale == ""


def test_a_tampered_draft_cannot_finish_with_over_long_answers(client_cara, cara):
    draft = _complete_draft(cara)
    draft.data = {
        **draft.data,
        "person": {**draft.data["person"], "address": "x" * (limits.ADDRESS + 1)},
    }
    draft.save(update_fields=["data"])
    response = client_cara.post(f"/cases/intake/{draft.pk}/finish/", follow=True)
    assert not Case.objects.filter(intake_draft=draft).exists()
    assert response.redirect_chain[0][0] == f"/cases/intake/{draft.pk}/person/"
    assert f"Address: {too_long(limits.ADDRESS)}" in response.text
    with pytest.raises(ValidationError) as refused:
        intake.intake_finish(draft_id=draft.pk, actor=cara)
    assert refused.value.code == "person"


def _complete_draft(worker) -> IntakeDraft:
    from cases.models import ConfidentialityNotice

    notice = ConfidentialityNotice.objects.create(version=1, title="C", body="What we keep.")
    draft = intake.draft_start(owner=worker, team=worker.teams.first())
    intake.draft_save_step(draft=draft, step="safety", answers={"safe_to_talk": "yes"})
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    steps = {
        "person": {"given_name": "Mira"},
        "screening": {
            "ongoing_threat": "no",
            "ongoing_victimisation": "no",
            "fearful": "no",
            "victim_view": "low",
        },
        "needs": {"crime_reported": "no"},
        "consent": {"processing": "yes", "method": "verbal"},
    }
    for step, answers in steps.items():
        intake.draft_save_step(draft=draft, step=step, answers=answers)
    return IntakeDraft.objects.get(pk=draft.pk)


def test_a_row_stored_before_the_limit_still_shows(client_cara, case):
    # Validation is on writing only: an old long value must not break the pages.
    Victim.objects.filter(case=case).update(address="x" * (limits.ADDRESS + 50))
    assert client_cara.get(f"/cases/{case.pk}/").status_code == 200
    assert client_cara.get(f"/cases/{case.pk}/details/").status_code == 200


# --- Refusals that say what was wrong (issue 9, item 7) -------------------------------------


def _draft_at_safety(client) -> str:
    response = client.post("/cases/intake/")
    return response["Location"].split("/")[3]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Mornings " + "x" * 200, "Keep this under 200 characters; it has 209."),
        ("Mornings\x00", "Null characters are not allowed."),
    ],
)
def test_safe_times_refused_say_why_next_to_the_field(client_cara, typed, message):
    draft_id = _draft_at_safety(client_cara)
    page = client_cara.post(
        f"/cases/intake/{draft_id}/safety/",
        {"safe_to_talk": "yes", "phone_safe": "on", "phone_times": typed, "code_word": "umbrella"},
    )
    assert page.status_code == 200
    assert message in page.text
    assert 'id="id_phone_times_error"' in page.text
    assert "umbrella" in page.text and "Mornings" in page.text


@pytest.mark.parametrize("version", ["abc", "", "0"])
def test_a_tampered_version_says_so_and_keeps_the_changes(client_cara, case, version):
    page = client_cara.post(
        f"/cases/{case.pk}/details/",
        {"given_name": "Mira", "family_name": "Typed-Okafor", "version": version},
    )
    assert page.status_code == 409
    assert "We could not tell which saved version these changes were made to" in page.text
    assert "Typed-Okafor" in page.text
    assert 'name="version" value="1"' in page.text  # saving again is possible
    case.victim.refresh_from_db()
    assert case.victim.family_name == "Okafor"


def test_the_withdrawal_form_carries_its_note(client_cara, case):
    consent = case.consents.get()
    # The note is asked on the confirmation page, before anything is withdrawn.
    page = client_cara.get(f"/cases/{case.pk}/consents/{consent.pk}/withdraw/")
    assert f'id="id_withdraw_{consent.pk}_note"' in page.text
    client_cara.post(
        f"/cases/{case.pk}/consents/{consent.pk}/withdraw/",
        {"note": "Said so on the phone", "version": consent.version},
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_note == "Said so on the phone"


def test_a_withdrawal_with_a_refused_note_is_not_made_and_keeps_the_note(client_cara, case):
    consent = case.consents.get()
    note = "Asked us to stop " + "x" * limits.REASON
    page = client_cara.post(
        f"/cases/{case.pk}/consents/{consent.pk}/withdraw/",
        {"note": note, "version": consent.version},
    )
    assert page.status_code == 400
    assert f"it has {len(note)}." in page.text
    assert note in page.text
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and consent.is_valid
    changes = AuditEntry.objects.get_for_object(consent).filter(action=AuditEntry.Action.UPDATE)
    assert not changes.exists()


def _multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    """A body as a browser builds it; the test client would shorten the file name first."""
    boundary = "----limits-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_thousand_character_file_name_is_shortened_and_the_description_kept(client_cara, case):
    name = "Statement " + "é" * 990 + ".txt"  # some 2,000 bytes of headers
    body, content_type = _multipart({"description": "Police statement"}, name, b"Hello")
    response = client_cara.generic(
        "POST", f"/cases/{case.pk}/documents/", body, content_type=content_type
    )
    assert response.status_code == 302
    document = Document.objects.get(case=case)
    assert document.description == "Police statement"
    assert document.filename.startswith("Statement ")
    assert len(document.filename) <= limits.FILE_NAME


# --- The sweep: every case-file form refuses with a message and keeps the typing -----------

TYPED = "Typed by Cara "


def _sweep(case, cara):
    """(address, data, field refused, its limit) for each form a caseworker posts."""
    risk.safety_action_add(case=case, actor=cara, kind="other", description="Call", owner=cara)
    action = SafetyPlan.objects.get(case=case).actions.get()
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    draft = risk.assessment_start(case=case, actor=cara, version=version)

    def long(limit: int) -> str:
        return TYPED + "x" * limit

    c, r = f"/cases/{case.pk}", f"/risk/cases/{case.pk}"
    return [
        (f"{c}/notes/", {"body": long(limits.NOTE)}, limits.NOTE),
        (
            f"{c}/contacts/",
            {"direction": "in", "method": "phone", "summary": long(limits.NOTE)},
            limits.NOTE,
        ),
        (
            f"{c}/consents/",
            {
                "purpose": TYPED,
                "witness": long(limits.LONG_NAME),
                "data_categories": ["identity"],
                "method": "verbal",
            },
            limits.LONG_NAME,
        ),
        (
            f"/network/cases/{case.pk}/consents/add/",
            {
                "recipient": "kind",
                "partner_kind": "legal_aid",
                "purpose": "legal",
                "categories": ["identity"],
                "method": "verbal",
                "witness": long(limits.LONG_NAME),
                "expires_on": "2999-01-01",
            },
            limits.LONG_NAME,
        ),
        (f"{c}/close/", {"reason": long(limits.REASON)}, limits.REASON),
        (
            f"{c}/documents/",
            {
                "file": SimpleUploadedFile("a.txt", b"Hello", "text/plain"),
                "description": long(limits.DESCRIPTION),
            },
            limits.DESCRIPTION,
        ),
        (
            f"{r}/triggers/",
            {"kind": "incident", "occurred_on": "2026-01-05", "note": long(limits.REASON)},
            limits.REASON,
        ),
        (
            f"{r}/safety-plan/",
            {"summary": long(limits.DETAILS), "version": action.plan.version},
            limits.DETAILS,
        ),
        (
            f"{r}/safety-plan/actions/",
            {"kind": "other", "description": TYPED, "owner_other": long(limits.LONG_NAME)},
            limits.LONG_NAME,
        ),
        (
            f"{r}/safety-plan/actions/{action.pk}/",
            {"status": "done", "outcome": long(limits.DETAILS), "version": action.version},
            limits.DETAILS,
        ),
        (
            f"{r}/assessments/{draft.pk}/",
            {"own_words": long(limits.DETAILS), "action": "save", "version": draft.version},
            limits.DETAILS,
        ),
        (
            f"{r}/assessments/{draft.pk}/",
            {
                "own_words": TYPED,
                "rationale": long(limits.DETAILS),
                "action": "save",
                "version": draft.version,
            },
            limits.DETAILS,
        ),
    ]


def test_every_case_form_refuses_over_long_text_with_a_message(client_cara, case, cara):
    case.risk_level = Case.RiskLevel.HIGH
    case.save(update_fields=["risk_level"])
    for address, data, limit in _sweep(case, cara):
        page = client_cara.post(address, data)
        assert page.status_code in (200, 400), (address, page.status_code)
        assert "characters; it has" in page.text, address
        assert f"Keep this under {limit} characters" in page.text, address
        assert TYPED in page.text, address
    assert not case.notes.exists() and not case.contacts.exists()
    assert not Document.objects.filter(case=case).exists()
    assert Consent.objects.filter(case=case).count() == 1
    assert not case.sharing_consents.exists()


@pytest.mark.parametrize(
    ("step", "data", "limit"),
    [
        ("person", {"given_name": TYPED, "address": "x" * 501}, limits.ADDRESS),
        (
            "screening",
            {
                "ongoing_threat": "no",
                "ongoing_victimisation": "no",
                "fearful": "no",
                "victim_view": "low",
                "victim_words": TYPED + "x" * limits.DETAILS,
            },
            limits.DETAILS,
        ),
        (
            "needs",
            {"crime_reported": "no", "details": TYPED + "x" * limits.DETAILS},
            limits.DETAILS,
        ),
        (
            "consent",
            {"processing": "yes", "method": "verbal", "witness": TYPED + "x" * 200},
            limits.LONG_NAME,
        ),
    ],
)
def test_every_intake_step_refuses_over_long_text_with_a_message(
    client_cara, cara, step, data, limit
):
    draft = _complete_draft(cara)
    page = client_cara.post(f"/cases/intake/{draft.pk}/{step}/", data)
    assert page.status_code == 200
    assert f"Keep this under {limit} characters" in page.text
    assert TYPED in page.text


def test_no_field_cuts_pasted_text_silently(client_cara, case):
    """A maxlength attribute makes the browser drop what is pasted past the limit without a
    word; the limit is the server's, said next to the field, with the whole text kept."""
    for address in (f"/cases/{case.pk}/", f"/cases/{case.pk}/details/"):
        page = client_cara.get(address)
        assert page.status_code == 200
        assert "maxlength=" not in page.text, address


def test_a_refusal_far_down_the_case_page_is_said_at_the_top(client_cara, case):
    page = client_cara.post(f"/cases/{case.pk}/close/", {"reason": "x" * (limits.REASON + 1)})
    assert page.status_code == 400
    banner = page.text.index("Nothing was saved: the form below says what to change.")
    assert banner < page.text.index("Keep this under")
