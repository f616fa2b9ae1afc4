"""Two people editing one record from pages loaded at the same time: the first save stands,
the second is refused with 409, keeps what was typed and shows what is saved now, and writes
nothing. Every form that two people may edit, and the shared mechanism behind them
(victimsupport/concurrency.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Consent, Victim
from risk import services as risk_services
from risk.models import Assessment, InstrumentVersion, SafetyPlan, TrainingRecord
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.concurrency import EditConflict, claim

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else saved changes here while you were editing"
INVALID_VERSION = "We could not tell which saved version these changes were made to"


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def two_clients(*users):
    """One browser per person (the same person in two tabs when one user is given)."""
    clients = []
    for user in users if len(users) == 2 else users * 2:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def hidden_version(page, name="version") -> str:
    """The version the page was read at, as its form will post it."""
    found = re.search(rf'name="{name}" value="(\d+)"', page.text)
    assert found, "the form carries no version"
    return found.group(1)


def changes(obj):
    """Change entries (not access entries) about ``obj``."""
    return AuditEntry.objects.get_for_object(obj).exclude(action=AuditEntry.Action.ACCESS)


# --- Safety plans ------------------------------------------------------------------------


def plan_url(case, tail=""):
    return f"/risk/cases/{case.pk}/safety-plan/{tail}"


def test_second_save_of_a_safety_plan_is_refused_and_the_first_kept(cara, case):
    first, second = two_clients(cara)
    first.post(plan_url(case), {"summary": "Keeping safe at home", "version": 0})
    plan = SafetyPlan.objects.get(case=case)
    assert plan.version == 1
    page_one, page_two = first.get(plan_url(case)), second.get(plan_url(case))
    base = hidden_version(page_one)
    assert base == hidden_version(page_two) == "1"

    saved = first.post(plan_url(case), {"summary": "Moving to her sister's", "version": base})
    assert saved.status_code == 302
    entries = changes(plan).count()
    refused = second.post(plan_url(case), {"summary": "Staying with a friend", "version": base})

    assert refused.status_code == 409
    assert CONFLICT in refused.text
    assert "Staying with a friend" in refused.text  # what they typed
    assert "The plan as it is now saved" in refused.text and "Moving to her sister" in refused.text
    plan.refresh_from_db()
    assert plan.summary == "Moving to her sister's" and plan.version == 2
    assert changes(plan).count() == entries  # a refused save writes nothing
    # The refused page is based on the version saved now: saving again, after comparing, works.
    assert hidden_version(refused) == "2"
    again = second.post(plan_url(case), {"summary": "Staying with a friend", "version": "2"})
    assert again.status_code == 302
    plan.refresh_from_db()
    assert plan.summary == "Staying with a friend" and plan.version == 3
    assert changes(plan).filter(action=AuditEntry.Action.UPDATE).count() == 2


def test_two_people_creating_the_same_safety_plan(cara, case):
    first, second = two_clients(cara)
    assert hidden_version(first.get(plan_url(case))) == "0"
    assert hidden_version(second.get(plan_url(case))) == "0"
    assert first.post(plan_url(case), {"summary": "Plan A", "version": 0}).status_code == 302
    refused = second.post(plan_url(case), {"summary": "Plan B", "version": 0})
    assert refused.status_code == 409 and "Plan B" in refused.text
    assert SafetyPlan.objects.get(case=case).summary == "Plan A"


def test_a_stale_safety_plan_version_via_the_service_raises(cara, case):
    plan = risk_services.safety_plan_save(case=case, actor=cara, version=0, summary="First")
    risk_services.safety_plan_save(case=case, actor=cara, version=plan.version, summary="Second")
    with pytest.raises(EditConflict) as info:
        risk_services.safety_plan_save(case=case, actor=cara, version=plan.version, summary="X")
    assert info.value.current.summary == "Second"
    with pytest.raises(EditConflict):
        risk_services.safety_plan_save(case=case, actor=cara, version=0, summary="X")
    assert SafetyPlan.objects.get(case=case).summary == "Second"


def test_second_update_of_a_safety_action_is_refused(cara, case):
    action = risk_services.safety_action_add(
        case=case, actor=cara, kind="accommodation", description="Refuge place", owner=cara
    )
    first, second = two_clients(cara)
    first.get(plan_url(case))
    base = hidden_version(second.get(plan_url(case)))
    url = plan_url(case, f"actions/{action.pk}/")
    saved = first.post(url, {"status": "done", "outcome": "Moved in on Monday", "version": base})
    assert saved.status_code == 302
    refused = second.post(
        url, {"status": "cancelled", "outcome": "No place free this week", "version": base}
    )
    assert refused.status_code == 409
    assert CONFLICT in refused.text
    assert 'value="No place free this week"' in refused.text  # what they typed
    assert '<option value="cancelled" selected>' in refused.text
    assert "Saved now:" in refused.text and "Moved in on Monday" in refused.text
    action.refresh_from_db()
    assert (action.status, action.outcome, action.version) == ("done", "Moved in on Monday", 2)
    with pytest.raises(EditConflict):
        risk_services.safety_action_update(action=action, actor=cara, version=1, status="open")


# --- Assessment drafts -------------------------------------------------------------------


def start_assessment(case, cara) -> Assessment:
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    return risk_services.assessment_start(case=case, actor=cara, version=version)


def test_second_save_of_an_assessment_draft_is_refused_and_the_first_kept(cara, case, north):
    colleague = factories.caseworker(north, "Cleo")
    draft = start_assessment(case, cara)
    url = f"/risk/cases/{case.pk}/assessments/{draft.pk}/"
    first, second = two_clients(cara, colleague)
    base = hidden_version(first.get(url))
    assert base == hidden_version(second.get(url)) == "1"

    saved = first.post(
        url, {"ongoing_threat": "yes", "rationale": "Seen at home", "action": "save", "version": 1}
    )
    assert saved.status_code == 302
    entries = changes(draft).count()
    refused = second.post(
        url,
        {
            "ongoing_threat": "no",
            "rationale": "Told us on the phone",
            "action": "save",
            "version": 1,
        },
    )

    assert refused.status_code == 409
    assert CONFLICT in refused.text
    assert "Told us on the phone" in refused.text  # what they typed
    assert "The draft as it is now saved" in refused.text and "Seen at home" in refused.text
    draft.refresh_from_db()
    assert draft.answers == {"ongoing_threat": "yes"} and draft.rationale == "Seen at home"
    assert draft.version == 2
    assert changes(draft).count() == entries
    assert hidden_version(refused) == "2"


def train(user) -> None:
    TrainingRecord.objects.create(
        user=user,
        course="Risk assessment",
        completed_on=timezone.localdate() - datetime.timedelta(days=5),
        provider="Network",
        recorded_by=user,
    )


def test_finalising_over_a_colleagues_unseen_save_is_refused(cara, case, north):
    train(cara)
    draft = start_assessment(case, cara)
    risk_services.assessment_save(
        assessment=draft, actor=cara, version=1, answers={"ongoing_threat": "yes"}
    )
    url = f"/risk/cases/{case.pk}/assessments/{draft.pk}/"
    refused = Client()
    refused.force_login(cara)
    response = refused.post(url, {"ongoing_threat": "no", "action": "finalise", "version": 1})
    assert response.status_code == 409
    draft.refresh_from_db()
    assert not draft.is_final and draft.answers == {"ongoing_threat": "yes"}
    with pytest.raises(EditConflict):
        risk_services.assessment_finalise(assessment=draft, actor=cara, version=1, answers={})


def test_a_refused_finalise_saves_the_draft_and_the_next_save_follows_it(cara, case):
    train(cara)
    draft = start_assessment(case, cara)
    client = Client()
    client.force_login(cara)
    url = f"/risk/cases/{case.pk}/assessments/{draft.pk}/"
    missing = client.post(url, {"ongoing_threat": "yes", "action": "finalise", "version": 1})
    assert missing.status_code == 400  # questions left: the draft is kept instead
    factories.assert_accessed(case, AccessKind.VIEW, cara, assessment=draft.pk)
    factories.assert_changed(draft, AuditEntry.Action.UPDATE, cara)
    assert hidden_version(missing) == "2"
    again = client.post(url, {"ongoing_threat": "no", "action": "save", "version": 2})
    assert again.status_code == 302
    draft.refresh_from_db()
    assert draft.answers == {"ongoing_threat": "no"} and draft.version == 3


# --- Consents, case details --------------------------------------------------------------


def test_withdrawing_a_consent_someone_just_withdrew_is_refused(cara, case, north):
    colleague = factories.caseworker(north, "Cleo")
    consent = case_services.consent_give(
        case=case,
        actor=cara,
        purpose="Keeping notes of our calls",
        data_categories=["identity"],
        method=Consent.Method.WRITTEN,
    )
    first, second = two_clients(cara, colleague)
    first.get(f"/cases/{case.pk}/")
    second.get(f"/cases/{case.pk}/")
    url = f"/cases/{case.pk}/consents/{consent.pk}/withdraw/"
    assert first.post(url, {"version": 1, "note": "Changed her mind"}).status_code == 302
    entries = changes(consent).count()
    refused = second.post(url, {"version": 1, "note": "She asked us to stop"})
    assert refused.status_code == 409
    assert "Someone else withdrew or changed this consent" in refused.text
    assert "She asked us to stop" in refused.text  # what they typed is not lost
    consent.refresh_from_db()
    assert consent.withdrawn_by == cara and consent.withdrawal_note == "Changed her mind"
    assert consent.version == 2 and changes(consent).count() == entries
    with pytest.raises(EditConflict):
        case_services.consent_withdraw(consent=consent, actor=colleague, version=1)


def test_a_consent_withdrawn_without_a_claim_is_never_withdrawn_again(cara, case):
    # The bulk loader writes withdrawn consents directly, at version 1.
    consent = Consent.objects.filter(case=case).first()
    earlier = timezone.now() - datetime.timedelta(days=3)
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=earlier, withdrawn_by=cara)
    with pytest.raises(EditConflict):
        case_services.consent_withdraw(consent=consent, actor=cara, version=1, note="Again")
    consent.refresh_from_db()
    assert consent.withdrawn_at == earlier and consent.withdrawal_note == ""
    assert consent.version == 1


def test_second_assignment_of_a_case_is_refused(case, north):
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    nia = factories.caseworker(north, "Nia")
    first, second = two_clients(factories.supervisor(north), factories.supervisor(north, "Sol"))
    url = f"/cases/{case.pk}/assign/"
    base = hidden_version(first.get(url))
    assert base == hidden_version(second.get(url)) == "1"
    assert first.post(url, {"team": north.pk, "assigned_to": nia.pk, "version": base}).status_code
    entries = changes(case).count()
    refused = second.post(url, {"team": south.pk, "assigned_to": sam.pk, "version": base})
    assert refused.status_code == 409
    assert CONFLICT in refused.text
    assert f'<option value="{south.pk}" selected>' in refused.text  # what they chose
    assert "The assignment as it is now saved" in refused.text and "Nia" in refused.text
    case.refresh_from_db()
    assert (case.team, case.assigned_to, case.version) == (north, nia, 2)
    assert changes(case).count() == entries
    with pytest.raises(EditConflict):
        case_services.case_assign(
            case=case,
            actor=factories.supervisor(north, "Sid"),
            version=1,
            team=south,
            assigned_to=None,
        )


def test_the_victim_details_keep_their_check_on_the_shared_mechanism(cara, case):
    victim = Victim.objects.get(case=case)
    case_services.victim_update(victim=victim, actor=cara, version=1, phone="111")
    with pytest.raises(EditConflict) as info:
        case_services.victim_update(victim=victim, actor=cara, version=1, phone="222")
    assert info.value.current.phone == "111"
    victim.refresh_from_db()
    assert victim.phone == "111" and victim.version == 2


# --- The version is not trusted ----------------------------------------------------------


@pytest.mark.parametrize("tampered", [None, "", "abc", "-1", "1.5", "99999999999999999999"])
def test_a_missing_or_tampered_version_is_a_form_error_with_a_message(cara, case, tampered):
    client = Client()
    client.force_login(cara)
    draft = start_assessment(case, cara)
    action = risk_services.safety_action_add(
        case=case, actor=cara, kind="other", description="Call back", owner=cara
    )
    consent = Consent.objects.filter(case=case).first()
    forms = [
        (plan_url(case), {"summary": "Tampered plan"}),
        (plan_url(case, f"actions/{action.pk}/"), {"status": "done", "outcome": "Tampered"}),
        (
            f"/risk/cases/{case.pk}/assessments/{draft.pk}/",
            {"rationale": "Tampered", "action": "save"},
        ),
        (f"/cases/{case.pk}/details/", {"given_name": "Tampered"}),
        (f"/cases/{case.pk}/consents/{consent.pk}/withdraw/", {}),
    ]
    for url, data in forms:
        if tampered is not None:
            data = {**data, "version": tampered}
        since = factories.audit_mark()
        response = client.post(url, data)
        assert response.status_code in (200, 400, 409), url
        assert INVALID_VERSION in response.text, url
        # Refused, the page is shown again with the case's data: an opening like any other
        # (the withdrawal's own page shows the consent).
        shown = consent if url.endswith("/withdraw/") else case
        factories.assert_accessed(shown, AccessKind.VIEW, cara, since=since)
    plan = SafetyPlan.objects.get(case=case)
    assert plan.summary == "" and plan.version == 1
    action.refresh_from_db()
    assert action.status == "open" and action.version == 1
    draft.refresh_from_db()
    assert draft.rationale == "" and draft.version == 1
    assert Victim.objects.get(case=case).given_name != "Tampered"
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and consent.version == 1


def test_a_tampered_version_on_the_assignment_is_a_form_error(case, north):
    client = Client()
    client.force_login(factories.supervisor(north))
    response = client.post(f"/cases/{case.pk}/assign/", {"team": north.pk, "version": "x"})
    assert INVALID_VERSION in response.text
    case.refresh_from_db()
    assert case.version == 1


def test_a_version_ahead_of_the_saved_one_is_a_conflict_never_a_save(cara, case):
    client = Client()
    client.force_login(cara)
    response = client.post(plan_url(case), {"summary": "First", "version": 0})
    response = client.post(plan_url(case), {"summary": "Jump", "version": 7})
    assert response.status_code == 409
    plan = SafetyPlan.objects.get(case=case)
    assert plan.summary == "First" and plan.version == 1


# --- The mechanism -----------------------------------------------------------------------


def test_claim_compares_and_increments_in_one_conditional_update(case):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        claimed = claim(Case, pk=case.pk, version=1)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and '"version" = ' in updates[0].split("WHERE", 1)[1]
    assert claimed.version == 2


def test_claim_refuses_to_run_outside_a_transaction(case):
    from unittest import mock

    # A claim committed alone would raise the version without the change it stands for.
    real = transaction.get_connection()
    with mock.patch.object(real, "in_atomic_block", False), pytest.raises(RuntimeError):
        claim(Case, pk=case.pk, version=1)


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_an_uncommitted_one_is_refused_on_postgresql():
    """The second claim starts while the first is claimed but not committed: a check that
    read the version and compared it in Python would see the old version and overwrite."""
    import threading
    import time

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("needs two concurrent writers (SQLite has a single writer)")
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara)
    risk_services.safety_plan_save(case=case, actor=cara, version=0, summary="Start")
    first_claimed, second_started = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                plan = claim(SafetyPlan, pk=SafetyPlan.objects.get(case=case).pk, version=1)
                first_claimed.set()
                second_started.wait(5)
                time.sleep(0.3)  # the second is now waiting on the row's lock
                plan.summary = "First"
                plan.save(update_fields=["summary"])
            outcome["first"] = "saved"
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_claimed.wait(5)
            second_started.set()
            risk_services.safety_plan_save(case=case, actor=cara, version=1, summary="Second")
            outcome["second"] = "saved"
        except EditConflict:
            outcome["second"] = "conflict"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome == {"first": "saved", "second": "conflict"}
    plan = SafetyPlan.objects.get(case=case)
    assert plan.summary == "First" and plan.version == 2


@pytest.mark.parametrize("tampered", [None, "", "abc"])
def test_a_lost_version_is_answered_as_a_conflict_and_saving_again_works(cara, case, tampered):
    """A missing or altered version on any form is a 409 based on the version saved now: the
    page shows what was typed and what is saved, and the very next save goes through."""
    client = Client()
    client.force_login(cara)
    risk_services.safety_plan_save(case=case, actor=cara, version=0, summary="First words")
    action = risk_services.safety_action_add(
        case=case, actor=cara, kind="other", description="Call back", owner=cara
    )
    plan = SafetyPlan.objects.get(case=case)
    forms = [
        (plan_url(case), {"summary": "Typed over the plan"}, "First words", plan),
        (
            plan_url(case, f"actions/{action.pk}/"),
            {"status": "done", "outcome": "Typed outcome"},
            "Saved now:",
            action,
        ),
    ]
    for url, data, saved, record in forms:
        posted = data if tampered is None else {**data, "version": tampered}
        refused = client.post(url, posted)
        assert refused.status_code == 409, url
        assert INVALID_VERSION in refused.text, url
        assert saved in refused.text, url
        assert next(iter(data.values())) in refused.text, url
        record.refresh_from_db()
        assert f'name="version" value="{record.version}"' in refused.text, url
        assert client.post(url, {**data, "version": record.version}).status_code == 302, url
    plan.refresh_from_db()
    assert plan.summary == "Typed over the plan"
    action.refresh_from_db()
    assert action.status == "done" and action.outcome == "Typed outcome"
