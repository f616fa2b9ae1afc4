"""The one way in: every object reached from a URL comes through ``get_for_user``, over its
model's own ``visible_to(user)``. Cara works in North; Sofia supervises North; Sam works in
South; Aud is an auditor."""

from __future__ import annotations

import ast
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import services
from cases.models import Consent, ExportJob, Note
from risk import services as risk_services
from risk.models import SafetyAction
from tests import factories
from tests.testapp.models import (
    Handover,
    Organisation,
    Person,
    PseudonymousPerson,
    Secret,
    Site,
)
from victimsupport.access import Role, get_for_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world():
    north, south = factories.make_team("North"), factories.make_team("South")
    w = {
        "north": north,
        "south": south,
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "sam": factories.caseworker(south, "Sam"),
        "aud": factories.make_user("Aud", role=Role.AUDITOR),
    }
    w["case"] = factories.make_case(team=north, assigned_to=w["cara"])
    w["other_case"] = factories.make_case(team=north, assigned_to=w["cara"])
    w["note"] = services.note_add(case=w["case"], actor=w["cara"], body="Called back.")
    return w


def test_a_note_follows_its_case(world):
    note = get_for_user(world["cara"], Note, world["note"].pk, write=True)
    assert note == world["note"] and note.can_write
    with pytest.raises(Http404):
        get_for_user(world["sam"], Note, world["note"].pk)


def test_missing_hidden_and_malformed_ids_get_the_same_404(world):
    answers = []
    for pk in [world["note"].pk, 10**9, "not-a-number", None]:
        with pytest.raises(Http404) as refused:
            get_for_user(world["sam"], Note, pk)
        answers.append(str(refused.value))
    assert len(set(answers)) == 1


def test_a_child_named_under_another_case_is_not_there(world):
    with pytest.raises(Http404):
        get_for_user(world["cara"], Note.objects.of_case(world["other_case"]), world["note"].pk)


def test_a_view_only_grant_shows_a_child_but_refuses_changing_it(world):
    assign_perm("cases.view_case", world["sam"], world["case"])
    note = get_for_user(world["sam"], Note, world["note"].pk)
    assert not note.can_write
    with pytest.raises(PermissionDenied):
        get_for_user(world["sam"], Note, world["note"].pk, write=True)


def test_a_grant_to_an_auditor_opens_no_child(world):
    assign_perm("cases.change_case", world["aud"], world["case"])
    with pytest.raises(Http404):
        get_for_user(world["aud"], Note, world["note"].pk)


def test_a_safety_action_follows_its_case_through_its_plan(world):
    action = risk_services.safety_action_add(
        case=world["case"],
        actor=world["cara"],
        kind=SafetyAction.Kind.OTHER,
        description="Change the locks.",
        owner=world["cara"],
    )
    assert get_for_user(world["sofia"], SafetyAction, action.pk, write=True).can_write
    with pytest.raises(Http404):
        get_for_user(world["sam"], SafetyAction, action.pk)


def test_an_export_job_is_its_requesters_only_and_only_until_it_expires(world):
    now = timezone.now()
    job = ExportJob.objects.create(
        case=world["case"], requested_by=world["cara"], expires_at=now + timedelta(hours=1)
    )
    assert get_for_user(world["cara"], ExportJob, job.pk) == job
    with pytest.raises(Http404):
        get_for_user(world["sofia"], ExportJob, job.pk)  # sees the case, did not ask
    ExportJob.objects.filter(pk=job.pk).update(expires_at=now)
    with pytest.raises(Http404):
        get_for_user(world["cara"], ExportJob, job.pk)


def test_a_consent_of_a_case_seen_through_emergency_access_is_read_only(world):
    consent = Consent.objects.create(
        case=world["case"],
        kind=Consent.Kind.PROCESSING,
        purpose="Support",
        method=Consent.Method.VERBAL,
        recorded_by=world["cara"],
    )
    south_supervisor = factories.supervisor(world["south"], "Sid")
    services.break_glass_open(
        actor=south_supervisor,
        case=world["case"],
        reason="Police on the line, the person is in danger now.",
    )
    assert get_for_user(south_supervisor, Consent, consent.pk) == consent
    with pytest.raises(PermissionDenied):
        get_for_user(south_supervisor, Consent, consent.pk, write=True)


def test_a_model_without_a_rule_of_its_own_cannot_be_reached(world):
    secret = Secret.objects.create()
    with pytest.raises(TypeError, match="visible_to"):
        get_for_user(world["cara"], Secret, secret.pk)


# What the next features need, each said by a throwaway model's visible_to.


def test_only_members_of_the_organisation_it_was_sent_to_and_only_while_open(world):
    partner = Organisation.objects.create(name="Refuge")
    pat = factories.make_user("Pat")
    partner.members.add(pat)
    handover = Handover.objects.create(case=world["case"], sent_to=partner)
    assert get_for_user(pat, Handover, handover.pk) == handover
    for outsider in (world["cara"], world["sofia"], world["sam"]):  # the senders included
        with pytest.raises(Http404):
            get_for_user(outsider, Handover, handover.pk)
    with pytest.raises(PermissionDenied):
        get_for_user(pat, Handover, handover.pk, write=True)
    Handover.objects.filter(pk=handover.pk).update(is_open=False)
    with pytest.raises(Http404):
        get_for_user(pat, Handover, handover.pk)


def test_no_victim_identifying_data_for_an_auditor(world):
    person = Person.objects.create(case=world["case"], name="Jane Doe", area="North")
    assert get_for_user(world["cara"], Person, person.pk).name == "Jane Doe"
    seen = get_for_user(world["aud"], Person, person.pk)
    assert isinstance(seen, PseudonymousPerson) and seen.area == "North"
    assert not hasattr(seen, "name")  # no field to load it from later, either
    with pytest.raises(Http404):
        get_for_user(world["sam"], Person, person.pk)


def test_staff_of_the_sites_team(world):
    site = Site.objects.create(team=world["north"], name="North office")
    assert not get_for_user(world["cara"], Site, site.pk).can_write
    assert get_for_user(world["sofia"], Site, site.pk, write=True).can_write
    for outsider in (world["sam"], world["aud"]):
        with pytest.raises(Http404):
            get_for_user(outsider, Site, site.pk)


# The shape of the code.


def test_the_access_core_imports_no_app():
    tree = ast.parse((ROOT / "victimsupport" / "access.py").read_text())
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {"__future__", "typing", "django"}


# An object fetched by its id from the URL without going through get_for_user.
BY_HAND = re.compile(r"\.objects\.(get|filter)\([^)]*\bpk=|\.filter\(case=case, pk=")


def test_no_view_fetches_an_object_by_its_url_id_by_hand():
    views = [
        path
        for path in ROOT.glob("*/*.py")
        if "views" in path.name and path.parts[-2] not in {"tests", "bench", "scripts"}
    ]
    assert any(p.parts[-2] == "risk" for p in views)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in views
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BY_HAND.search(line)
    ]
    assert offenders == []


def test_an_id_that_is_not_a_uuid_names_no_export(world):
    for pk in ["not-a-uuid", uuid.uuid4()]:
        with pytest.raises(Http404):
            get_for_user(world["cara"], ExportJob, pk)
