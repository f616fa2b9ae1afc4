"""Intake: safety first, the notice before any personal data (enforced by the server), a
draft saved at every step, duplicates found by blind index, one case per intake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cases import intake
from cases.models import (
    Case,
    Consent,
    ContactPreference,
    IntakeDraft,
    NoticeAcknowledgement,
    RiskScreen,
    ThirdParty,
    Victim,
)
from tests import factories
from tests.factories import (
    INTAKE_NOTICE as NOTICE,
)
from tests.factories import (
    INTAKE_PERSON as PERSON,
)
from tests.factories import (
    INTAKE_SAFETY as SAFETY,
)
from tests.factories import (
    INTAKE_STEPS as STEPS,
)
from tests.factories import (
    intake_start as start,
)
from tests.factories import (
    intake_step_url as step_url,
)
from tests.factories import (
    intake_walk as walk,
)
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_full_intake_creates_a_complete_case(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id)
    review = client.get(step_url(draft_id, "review"))
    assert "Mira" in review.text and "Okafor" in review.text
    response = client.post(f"/cases/intake/{draft_id}/finish/")
    case = Case.objects.get()
    # The screen was positive: straight on to the full risk assessment.
    assert response["Location"] == f"/risk/cases/{case.pk}/assessments/new/"
    assert case.assigned_to == cara and case.team == cara.teams.get()
    assert case.reference.startswith("VS-")
    victim = Victim.objects.get(case=case)
    assert victim.display_name == "M"
    assert victim.code_word == "blue umbrella"
    assert ThirdParty.objects.get(case=case).name == "R. Okafor"
    phone = ContactPreference.objects.get(case=case, method="phone")
    assert phone.is_safe and phone.safe_times == "Weekdays 10-12 only"
    assert not ContactPreference.objects.get(case=case, method="email").is_safe
    ack = NoticeAcknowledgement.objects.get(case=case)
    assert ack.notice == notice and ack.method == "verbal" and ack.recorded_by == cara
    assert RiskScreen.objects.get(case=case).is_positive
    assert case.assessment_needed  # positive screen, no full assessment yet
    kinds = set(Consent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"processing"}  # consent to share is asked from the case file, later
    assert not case.sharing_consents.exists()
    assert case.status_changes.get().kind == "opened"
    # The draft keeps no second copy of the answers.
    draft = IntakeDraft.objects.get(pk=draft_id)
    assert draft.data == {} and draft.finished_at is not None
    # Every record was written through the audit log.
    assert AuditEntry.objects.get_for_object(victim).filter(action=0).exists()


def test_personal_steps_are_refused_before_the_notice(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    client.post(step_url(draft_id, "safety"), SAFETY)
    for step in ("person", "screening", "needs", "consent", "review"):
        response = client.get(step_url(draft_id, step))
        assert response["Location"] == step_url(draft_id, "notice")
    response = client.post(step_url(draft_id, "person"), PERSON)
    assert response["Location"] == step_url(draft_id, "notice")
    assert "person" not in IntakeDraft.objects.get(pk=draft_id).data


def test_the_service_refuses_personal_data_before_the_notice(cara, north):
    draft = intake.draft_start(owner=cara, team=north)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        intake.draft_save_step(draft=draft, step="person", answers={"given_name": "X"})


def test_notice_needs_confirmation(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    response = client.post(step_url(draft_id, "notice"), {"method": "verbal"})
    assert response.status_code == 200
    assert "Confirm that the notice was given" in response.text
    assert IntakeDraft.objects.get(pk=draft_id).notice_acknowledged_at is None


def test_no_published_notice_blocks_with_a_clear_message(client, cara):
    client.force_login(cara)
    draft_id = start(client)
    response = client.get(step_url(draft_id, "notice"))
    assert "No confidentiality notice has been published" in response.text


def test_interrupted_intake_resumes_where_it_stopped(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, STEPS[:3])
    home = client.get("/cases/intake/")
    assert f"/cases/intake/{draft_id}/screening/" in home.text
    person_page = client.get(step_url(draft_id, "person"))  # back works, answers kept
    assert 'value="Okafor"' in person_page.text
    walk(client, draft_id, STEPS[3:])
    client.post(f"/cases/intake/{draft_id}/finish/")
    assert Case.objects.count() == 1


def test_draft_answers_are_encrypted(cara, north, notice):
    from django.db import connection

    draft = intake.draft_start(owner=cara, team=north)
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    intake.draft_save_step(draft=draft, step="person", answers={"given_name": "Zebedee"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM cases_intakedraft WHERE id = %s", [draft.pk.hex])
        row = cursor.fetchone() or [None]
    if row[0] is None:  # PostgreSQL stores UUIDs natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM cases_intakedraft WHERE id = %s", [draft.pk])
            row = cursor.fetchone()
    assert row[0].startswith("v1.") and "Zebedee" not in row[0]


def test_double_submit_creates_one_case(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id)
    first = client.post(f"/cases/intake/{draft_id}/finish/")
    second = client.post(f"/cases/intake/{draft_id}/finish/")
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert str(Case.objects.get().pk) in first["Location"]


def test_finishing_an_incomplete_intake_sends_back_to_the_missing_step(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, STEPS[:3])
    response = client.post(f"/cases/intake/{draft_id}/finish/")
    assert response["Location"] == step_url(draft_id, "screening")
    assert not Case.objects.exists()


def test_duplicate_warning_links_to_a_visible_case(client, cara, notice):
    client.force_login(cara)
    first = start(client)
    walk(client, first)
    client.post(f"/cases/intake/{first}/finish/")
    existing = Case.objects.get()

    second = start(client)
    walk(client, second, STEPS[:2])
    same_person = {**PERSON, "given_name": " MIRA ", "phone": "", "email": ""}
    response = client.post(step_url(second, "person"), same_person)
    assert response.status_code == 200
    assert "A record may already exist" in response.text
    assert existing.reference in response.text
    assert "name and date of birth" in response.text
    # Confirming that it is someone else continues.
    confirmed = client.post(step_url(second, "person"), {**same_person, "confirm_new": "yes"})
    assert confirmed["Location"] == step_url(second, "screening")


def test_duplicate_in_another_team_reveals_nothing(client, cara, notice):
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    sams_client = Client()
    sams_client.force_login(sam)
    first = start(sams_client)
    walk(sams_client, first, person={"address": "7 Hidden Row", "preferred_name": "Southie"})
    sams_client.post(f"/cases/intake/{first}/finish/")
    other = Case.objects.get()

    client.force_login(cara)
    second = start(client)
    walk(client, second, STEPS[:2])
    response = client.post(step_url(second, "person"), {**PERSON, "given_name": "x", "email": ""})
    # Not even "a case you cannot see": the step saves as for anyone new
    # (tests/cases/test_duplicates).
    assert response.status_code == 302
    assert response["Location"] == step_url(second, "screening")
    page = client.get(response["Location"]).text
    assert "A record may already exist" not in page and "cannot see" not in page
    assert other.reference not in page and str(other.pk) not in page


def test_drafts_are_private_to_their_owner(client, cara, north, notice):
    draft = intake.draft_start(owner=cara, team=north)
    colleague = factories.caseworker(north, "Cleo")
    client.force_login(colleague)
    assert client.get(step_url(draft.pk, "safety")).status_code == 404
    assert client.post(f"/cases/intake/{draft.pk}/finish/").status_code == 404


def test_expired_drafts_are_gone_and_purged(client, cara, north, notice):
    draft = intake.draft_start(owner=cara, team=north)
    IntakeDraft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(cara)
    assert client.get(step_url(draft.pk, "safety")).status_code == 404
    call_command("purge_drafts", stdout=__import__("io").StringIO())
    assert not IntakeDraft.objects.filter(pk=draft.pk).exists()


def test_do_not_contact_marks_every_method_unsafe(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, safety={"do_not_contact": "on"})
    client.post(f"/cases/intake/{draft_id}/finish/")
    case = Case.objects.get()
    assert case.do_not_contact
    assert not ContactPreference.objects.filter(case=case, is_safe=True).exists()


def test_negative_screen_needs_no_assessment(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    calm = {
        "ongoing_threat": "no",
        "ongoing_victimisation": "no",
        "fearful": "no",
        "victim_view": "low",
    }
    walk(client, draft_id, screening=calm)
    client.post(f"/cases/intake/{draft_id}/finish/")
    assert not Case.objects.get().assessment_needed


def test_no_police_report_is_a_valid_answer(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, needs={"crime_reported": "no"})
    client.post(f"/cases/intake/{draft_id}/finish/")
    assert Case.objects.count() == 1


def test_the_consent_step_asks_only_the_processing_consent(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, STEPS[:5])
    page = client.get(step_url(draft_id, "consent")).text
    assert 'name="processing"' in page
    assert 'name="sharing' not in page  # no consent to share at intake
    assert "asked from the case file when a referral is considered" in page
    assert "naming the organisation and the purpose" in page


def test_an_old_draft_answer_to_share_makes_no_consent(client, cara, notice):
    # A draft saved before the change may still hold the old sharing answers: they are not a
    # consent to any partner, so finishing the intake records none.
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id)
    draft = IntakeDraft.objects.get(pk=draft_id)
    draft.data["consent"].update(
        sharing=True, sharing_recipient="Legal advice centre", sharing_purpose="Advice"
    )
    draft.save(update_fields=["data"])
    client.post(f"/cases/intake/{draft_id}/finish/")
    case = Case.objects.get()
    assert set(case.consents.values_list("kind", flat=True)) == {"processing"}
    assert not case.sharing_consents.exists()


def test_bad_input_keeps_what_was_typed(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, STEPS[:2])
    response = client.post(
        step_url(draft_id, "person"), {**PERSON, "date_of_birth": "2999-01-01", "email": "nope"}
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.text
    assert "Enter a valid email address" in response.text
    assert 'value="Okafor"' in response.text


def test_only_case_roles_take_intakes(client):
    client.force_login(factories.make_user("Aud", role="auditor"))
    # Not "may see, may not change": the same 404 as for an address that does not exist.
    assert client.get("/cases/intake/").status_code == 404
    assert client.post("/cases/intake/").status_code == 404


def test_a_finished_draft_never_gets_its_answers_back(client, cara, north, notice):
    from django.http import Http404

    draft = intake.draft_start(owner=cara, team=north)
    stale = IntakeDraft.objects.get(pk=draft.pk)  # the page another tab still shows
    client.force_login(cara)
    walk(client, str(draft.pk))
    client.post(f"/cases/intake/{draft.pk}/finish/")
    with pytest.raises(Http404):
        intake.draft_save_step(draft=stale, step="safety", answers={"code_word": "x"})
    assert IntakeDraft.objects.get(pk=draft.pk).data == {}


def test_two_tabs_saving_different_steps_keep_both(cara, north, notice):
    draft = intake.draft_start(owner=cara, team=north)
    tab_a = IntakeDraft.objects.get(pk=draft.pk)
    tab_b = IntakeDraft.objects.get(pk=draft.pk)
    intake.draft_save_step(draft=tab_a, step="safety", answers={"safe_to_talk": "yes"})
    intake.draft_acknowledge_notice(draft=tab_b, notice=notice, method="verbal")
    assert set(IntakeDraft.objects.get(pk=draft.pk).data) == {"safety", "notice"}


def test_caseworker_who_left_the_team_cannot_finish(client, cara, north, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id)
    cara.teams.clear()
    assert client.post(f"/cases/intake/{draft_id}/finish/").status_code == 404
    assert client.get(step_url(draft_id, "review")).status_code == 404
    assert not Case.objects.exists()


def test_the_notice_acknowledgement_is_never_redated(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id, STEPS[:3])
    first = IntakeDraft.objects.get(pk=draft_id).notice_acknowledged_at
    client.post(step_url(draft_id, "safety"), SAFETY)  # go back and fix the first step
    client.post(step_url(draft_id, "notice"), NOTICE)
    assert IntakeDraft.objects.get(pk=draft_id).notice_acknowledged_at == first
    # Resuming goes to the first unfinished step, not back to the notice.
    assert IntakeDraft.objects.get(pk=draft_id).step == "screening"


def test_another_users_draft_refuses_posts_too(client, cara, north, notice):
    draft = intake.draft_start(owner=cara, team=north)
    client.force_login(factories.caseworker(north, "Cleo"))
    assert client.post(step_url(draft.pk, "safety"), SAFETY).status_code == 404
    assert IntakeDraft.objects.get(pk=draft.pk).data == {}
