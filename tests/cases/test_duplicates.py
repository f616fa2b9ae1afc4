"""The intake's duplicate check is no oracle: a caseworker is shown matches only in cases they
may open; a match elsewhere is recorded at finish for that team's supervisor to reconcile;
every look-up is audited without what was typed, and limited per hour.

Sam (South) already has Mira Okafor as a client. Cara (North) takes an intake for someone
with the same phone number. Sue supervises South, Sofia supervises North."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases import duplicates
from cases.models import Case, ConfidentialityNotice, DuplicateMatch, IntakeDraft, Victim
from cases.services import case_close
from tests import factories
from tests.factories import INTAKE_PERSON as PERSON
from tests.factories import INTAKE_STEPS as STEPS
from tests.factories import intake_start as start
from tests.factories import intake_step_url as step_url
from tests.factories import intake_walk as walk
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

# Someone else entirely: no index of theirs matches anyone.
STRANGER = {
    **PERSON,
    "given_name": "Noor",
    "family_name": "Haddad",
    "phone": "+44 20 7946 0999",
    "email": "noor@example.org",
}
# Same phone number as Sam's client, nothing else in common.
SAME_PHONE = {**STRANGER, "phone": PERSON["phone"]}


@pytest.fixture
def notice():
    return ConfidentialityNotice.objects.create(version=1, title="Confidentiality", body="We keep…")


@pytest.fixture
def south():
    return factories.make_team("South")


@pytest.fixture
def sams_case(south):
    sam = factories.caseworker(south, "Sam")
    return factories.make_full_case(
        sam,
        **{k: PERSON[k] for k in ("given_name", "family_name", "date_of_birth", "phone", "email")},
    )


@pytest.fixture
def sue(south):
    return factories.supervisor(south, "Sue")


@pytest.fixture
def sofia(north):
    return factories.supervisor(north)


def person_step(client, person: dict) -> tuple[str, object]:
    """A fresh draft walked to the person step, then the person posted."""
    draft_id = start(client)
    walk(client, draft_id, STEPS[:2])
    return draft_id, client.post(step_url(draft_id, "person"), person)


def finished_intake(client, person: dict) -> Case:
    draft_id = start(client)
    walk(client, draft_id, [(s, person if s == "person" else d) for s, d in STEPS])
    client.post(f"/cases/intake/{draft_id}/finish/")
    return Case.objects.get(intake_draft_id=draft_id)


def audit_json() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str)


# --- the person step -------------------------------------------------------------------------


@pytest.mark.parametrize("closed", [False, True])
def test_a_match_in_another_team_answers_exactly_as_no_match(
    client, cara, notice, sams_case, closed
):
    if closed:
        case_close(case=sams_case, actor=sams_case.assigned_to, reason="Support ended")
    client.force_login(cara)
    _, _ = person_step(client, STRANGER)  # warm: first-request caches

    def measured(person):
        draft_id = start(client)
        walk(client, draft_id, STEPS[:2])
        with CaptureQueriesContext(connection) as queries:
            response = client.post(step_url(draft_id, "person"), person)
        following = client.get(response["Location"]) if response.status_code == 302 else None
        return draft_id, response, queries, following

    match_id, match, match_queries, match_next = measured(SAME_PHONE)
    none_id, none, none_queries, none_next = measured(STRANGER)

    assert match.status_code == none.status_code == 302
    assert match["Location"].replace(match_id, "D") == none["Location"].replace(none_id, "D")
    assert match.content == none.content
    assert sorted(match.headers) == sorted(none.headers)
    # The same work, so no difference in time worth measuring: the same statements in number
    # and in shape (visibility is part of the one look-up query).
    assert len(match_queries) == len(none_queries)
    shapes = [
        [re.sub(r"'[^']*'|\b[0-9a-f]{32}\b|\b\d+\b", "?", q["sql"]) for q in qs.captured_queries]
        for qs in (match_queries, none_queries)
    ]
    assert shapes[0] == shapes[1]
    # The next page says nothing either.
    cleaned = [
        re.sub(r'(value|nonce)="[^"]+"', "", page.text.replace(d, "D"))
        for page, d in ((match_next, match_id), (none_next, none_id))
    ]
    assert cleaned[0] == cleaned[1]
    assert sams_case.reference not in cleaned[0]
    assert "record may already exist" not in cleaned[0]
    assert IntakeDraft.objects.get(pk=match_id).data["person"]["phone"] == PERSON["phone"]


def test_a_visible_closed_case_is_still_offered(client, cara, notice):
    # A returning client: the caseworker should continue in the existing file.
    own = factories.make_full_case(cara, given_name="Mira", phone=PERSON["phone"])
    case_close(case=own, actor=cara, reason="Support ended")
    client.force_login(cara)
    _, response = person_step(client, SAME_PHONE)
    assert response.status_code == 200
    assert "A record may already exist" in response.text
    assert own.reference in response.text and "(closed)" in response.text
    assert "phone number" in response.text


def test_visible_and_hidden_matches_together_show_only_the_visible_one(
    client, cara, notice, sams_case
):
    own = factories.make_full_case(cara, phone=PERSON["phone"])
    client.force_login(cara)
    _, response = person_step(client, SAME_PHONE)
    assert own.reference in response.text
    assert response.text.count("<li>Same") == 1
    assert sams_case.reference not in response.text
    assert str(sams_case.pk) not in response.text


# --- recorded at finish, for the other team's supervisor ---------------------------------------


def test_the_hidden_match_is_recorded_for_the_other_team_at_finish(
    client, cara, notice, sams_case, sue, sofia
):
    client.force_login(cara)
    new_case = finished_intake(client, SAME_PHONE)

    match = DuplicateMatch.objects.get()
    assert (match.existing_case, match.new_case, match.found_by) == (sams_case, new_case, cara)
    assert match.matched_on == [DuplicateMatch.Basis.PHONE]
    assert match.status == DuplicateMatch.Status.OPEN
    created = AuditEntry.objects.get_for_object(match).get()
    assert created.action == AuditEntry.Action.CREATE

    client.force_login(sue)
    south_board = client.get("/risk/dashboard/").text
    assert "Possible duplicates to reconcile" in south_board
    assert sams_case.reference in south_board
    assert f"/risk/dashboard/duplicates/{match.pk}/" in south_board

    client.force_login(sofia)
    north_board = client.get("/risk/dashboard/").text
    assert f"/risk/dashboard/duplicates/{match.pk}/" not in north_board
    assert sams_case.reference not in north_board
    # Nor does the new case's history tell North of it.
    history = client.get(f"/cases/{new_case.pk}/history/").text
    assert "duplicate" not in history.lower() and str(sams_case.pk) not in history


def test_a_match_typed_then_corrected_is_not_recorded(client, cara, notice, sams_case):
    client.force_login(cara)
    draft_id, _ = person_step(client, SAME_PHONE)
    corrected = client.post(step_url(draft_id, "person"), STRANGER)
    assert corrected.status_code == 302
    walk(client, draft_id, STEPS[3:])
    client.post(f"/cases/intake/{draft_id}/finish/")
    assert Case.objects.filter(intake_draft_id=draft_id).exists()
    assert not DuplicateMatch.objects.exists()


def test_a_visible_match_confirmed_as_someone_else_is_not_recorded(client, cara, notice):
    factories.make_full_case(cara, phone=PERSON["phone"])
    client.force_login(cara)
    finished_intake(client, {**SAME_PHONE, "confirm_new": "yes"})
    assert not DuplicateMatch.objects.exists()


# --- reconciling --------------------------------------------------------------------------------


@pytest.fixture
def match(client, cara, notice, sams_case):
    client.force_login(cara)
    finished_intake(client, SAME_PHONE)
    client.logout()
    return DuplicateMatch.objects.get()


def test_the_other_teams_supervisor_resolves_it_and_it_is_audited(client, sue, match):
    client.force_login(sue)
    url = f"/risk/dashboard/duplicates/{match.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert f'href="/cases/{match.existing_case_id}/"' in page.text
    # Sue may not open North's new case: its reference, no link.
    assert match.new_case.reference in page.text
    assert f"/cases/{match.new_case_id}/" not in page.text
    viewed = AuditEntry.objects.get_for_object(match.existing_case).filter(
        action=AuditEntry.Action.ACCESS
    )
    assert viewed.filter(additional_data__duplicate_match=match.pk).exists()

    note = "Checked with North: a different person, born 1979"
    response = client.post(url, {"status": "different", "note": note})
    assert response.status_code == 302 and response["Location"] == "/risk/dashboard/"
    match.refresh_from_db()
    assert match.status == DuplicateMatch.Status.DIFFERENT
    assert match.resolved_by == sue and match.resolved_at is not None
    assert match.resolution_note == note
    update = AuditEntry.objects.get_for_object(match).filter(action=AuditEntry.Action.UPDATE).get()
    assert update.actor == sue
    assert "status" in update.changes_dict
    assert "born 1979" not in audit_json()
    assert f"/risk/dashboard/duplicates/{match.pk}/" not in client.get("/risk/dashboard/").text

    again = client.post(url, {"status": "reconciled"})
    assert again.status_code == 400
    assert "already been resolved" in again.text
    match.refresh_from_db()
    assert match.status == DuplicateMatch.Status.DIFFERENT


def test_resolving_needs_a_decision_and_keeps_the_note(client, sue, match):
    client.force_login(sue)
    response = client.post(f"/risk/dashboard/duplicates/{match.pk}/", {"note": "Spoke to Sofia"})
    assert response.status_code == 400
    assert "Choose whether this is the same person." in response.text
    assert "Spoke to Sofia" in response.text
    match.refresh_from_db()
    assert match.is_open


def test_only_the_existing_cases_supervisors_reach_a_match(client, cara, sofia, match):
    url = f"/risk/dashboard/duplicates/{match.pk}/"
    client.force_login(sofia)  # supervises the new case's team
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "reconciled"}).status_code == 404
    assert client.get("/risk/dashboard/duplicates/999999/").status_code == 404
    client.force_login(cara)
    assert client.get(url).status_code == 404  # not hers to see: the 404 of any missing page
    match.refresh_from_db()
    assert match.is_open


# --- audit and rate limit of the look-ups -------------------------------------------------------


def test_every_lookup_is_audited_without_what_was_typed(client, cara, notice, sams_case):
    client.force_login(cara)
    before = AuditEntry.objects.count()
    draft_id, _ = person_step(client, SAME_PHONE)

    lookup = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, additional_data__access="lookup"
    ).get()
    assert lookup.actor == cara
    assert lookup.object_pk == draft_id
    assert lookup.additional_data == {
        "access": "lookup",
        "check": "duplicates",
        "outcome": "checked",
        "shown": 0,
    }
    walk(client, draft_id, STEPS[3:])
    client.post(f"/cases/intake/{draft_id}/finish/")
    assert DuplicateMatch.objects.exists()

    written = json.dumps(list(AuditEntry.objects.order_by("seq")[before:].values()), default=str)
    digests = duplicates._digests(duplicates._probe(SAME_PHONE))
    assert set(digests) == {"name_dob", "phone", "email"}
    assert Victim.objects.filter(phone_index=digests["phone"]).count() == 2  # the real ones
    typed = ["Noor", "Haddad", "noor@example.org", SAME_PHONE["phone"], "+442079460011"]
    for secret in [*digests.values(), *typed]:
        assert secret not in written, secret


def test_lookups_are_limited_per_hour_yet_the_step_still_saves(client, cara, notice, settings):
    settings.INTAKE_DUPLICATE_CHECKS_PER_HOUR = 2
    own = factories.make_full_case(cara, phone=PERSON["phone"])
    client.force_login(cara)
    for _ in range(2):
        _, response = person_step(client, SAME_PHONE)
        assert own.reference in response.text
    draft_id, over = person_step(client, SAME_PHONE)
    assert over.status_code == 302
    assert over["Location"] == step_url(draft_id, "screening")
    assert IntakeDraft.objects.get(pk=draft_id).data["person"]["phone"] == PERSON["phone"]
    assert "check for an existing record" in client.get(over["Location"]).text
    outcomes = list(
        AuditEntry.objects.filter(additional_data__access="lookup")
        .order_by("seq")
        .values_list("additional_data__outcome", flat=True)
    )
    assert outcomes == ["checked", "checked", "rate_limited"]


def test_the_limit_is_per_member_of_staff(client, cara, north, notice, settings):
    settings.INTAKE_DUPLICATE_CHECKS_PER_HOUR = 1
    own = factories.make_full_case(cara, phone=PERSON["phone"])
    client.force_login(cara)
    person_step(client, SAME_PHONE)
    colleague = Client()
    colleague.force_login(factories.caseworker(north, "Cleo"))
    _, response = person_step(colleague, SAME_PHONE)
    assert own.reference in response.text
