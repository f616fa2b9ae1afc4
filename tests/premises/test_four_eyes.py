"""Four eyes without a dead end (premises.review): a safety page version, an escape plan
draft and a security assessment are published, approved and signed off by a supervisor of the
site's team who neither wrote nor changed them while one exists; a team with a single
supervisor is not stuck (that supervisor may, and the page says so before they do), and an
open version, a draft or a draft assessment can be withdrawn so that a new one is written."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from premises import checklist
from premises.models import (
    AssessmentStatus,
    EscapePlan,
    PageStatus,
    PlanStatus,
    SafetyPage,
    SecurityAssessment,
)
from premises.review import second_person_exists
from premises.services import assessments as assessment_services
from premises.services import evidence as evidence_services
from premises.services import safety as safety_services
from tests import factories
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PAGE = {
    "title_en": "Your safety here",
    "body_en": "We see people by appointment only.",
    "title_fr": "Votre sécurité ici",
    "body_fr": "Nous recevons uniquement sur rendez-vous.",
}
PLAN = {
    "routes": "Out through the kitchen to the garden gate.",
    "assembly_point": "The far corner of the car park",
    "roles": "The duty worker takes the visitors' list.",
}


@pytest.fixture
def people(north):
    south = factories.make_team("South")
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(south, "Sam"),
        "steve": factories.supervisor(south, "Steve"),
        "site": factories.make_site(north),
        "north": north,
    }


def _second_supervisor(people):
    return factories.supervisor(people["north"], "Sven")


def _url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def _submitted_page(people, by):
    page = safety_services.safety_page_create(actor=by, site=people["site"], **PAGE)
    return safety_services.safety_page_submit(actor=by, page=page)


def _all_answers(assessment):
    return {
        q["key"]: {"answer": "yes", "note": ""}
        for q in checklist.questions(assessment.checklist.definition)
    }


def _started(people, by):
    return assessment_services.security_assessment_start(
        actor=by,
        site=people["site"],
        checklist_version=factories.checklist_version(),
        reason="yearly",
    )


def _answered(assessment, by):
    return assessment_services.security_assessment_save(
        actor=by,
        assessment=assessment,
        version=assessment.version,
        answers=_all_answers(assessment),
    )


# --- The helper -----------------------------------------------------------------------------


def test_second_person_counts_only_active_supervisors_of_the_team(people):
    site, sofia = people["site"], people["sofia"]
    assert second_person_exists(site, []) is True
    assert second_person_exists(site, [sofia.pk]) is False  # Cara is a caseworker
    assert second_person_exists(site, [sofia.pk, None]) is False
    sven = _second_supervisor(people)
    assert second_person_exists(site, [sofia.pk]) is True
    sven.is_active = False
    sven.save()
    assert second_person_exists(site, [sofia.pk]) is False  # Steve is South's


# --- The safety page ------------------------------------------------------------------------


def test_a_sole_supervisor_publishes_her_own_version_and_is_told_first(client, people):
    sofia, site = people["sofia"], people["site"]
    page = _submitted_page(people, sofia)
    client.force_login(sofia)
    shown = client.get(_url("safety_page", site, page.pk)).content.decode()
    assert "the team has no other supervisor who could review it" in shown
    assert "Publish it yourself" in shown
    response = client.post(_url("safety_page_publish", site, page.pk))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.status == PageStatus.PUBLISHED and page.published_by == sofia
    entry = factories.assert_changed(page, AuditEntry.Action.UPDATE, sofia)
    assert "published_by" in entry.changes


def test_with_two_supervisors_the_writer_still_does_not_publish(client, people):
    sofia, site = people["sofia"], people["site"]
    sven = _second_supervisor(people)
    page = _submitted_page(people, sofia)
    client.force_login(sofia)
    shown = client.get(_url("safety_page", site, page.pk)).content.decode()
    assert "Publish it yourself" not in shown
    assert _url("safety_page_publish", site, page.pk) not in shown
    assert client.post(_url("safety_page_publish", site, page.pk)).status_code == 403
    with pytest.raises(MaySeeNotChange):
        safety_services.safety_page_publish(actor=sofia, page=page)
    safety_services.safety_page_publish(actor=sven, page=page)
    page.refresh_from_db()
    assert page.published_by == sven


def test_a_caseworkers_version_is_published_by_the_sole_supervisor_without_a_warning(
    client, people
):
    page = _submitted_page(people, people["cara"])
    client.force_login(people["sofia"])
    shown = client.get(_url("safety_page", people["site"], page.pk)).content.decode()
    assert "no other supervisor" not in shown and ">Publish<" in shown


def test_a_version_is_withdrawn_and_a_new_one_written(client, people):
    cara, site = people["cara"], people["site"]
    page = _submitted_page(people, cara)
    with pytest.raises(ValidationError):  # one open version at a time
        safety_services.safety_page_create(actor=cara, site=site, **PAGE)
    client.force_login(cara)
    url = _url("safety_page_withdraw", site, page.pk)
    assert url in client.get(_url("safety_page", site, page.pk)).content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Withdraw the version" in confirm.content.decode()
    factories.assert_accessed(page, "view", cara, page="withdraw")
    assert SafetyPage.objects.filter(pk=page.pk).exists()  # a GET withdraws nothing
    assert client.post(url).status_code == 302
    assert not SafetyPage.objects.filter(pk=page.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DELETE, object_pk=str(page.pk), actor=cara
    ).exists()
    new = safety_services.safety_page_create(actor=cara, site=site, **PAGE)
    assert new.status == PageStatus.DRAFT


def test_a_published_version_is_not_withdrawn(client, people):
    site = people["site"]
    page = factories.make_safety_page(site, people["sofia"], status="published")
    client.force_login(people["cara"])
    assert client.get(_url("safety_page_withdraw", site, page.pk)).status_code == 403
    assert client.post(_url("safety_page_withdraw", site, page.pk)).status_code == 403
    with pytest.raises(ValidationError):
        safety_services.safety_page_withdraw(actor=people["cara"], page=page)
    assert SafetyPage.objects.filter(pk=page.pk).exists()


@pytest.mark.parametrize(("who", "codes"), [("aude", {403, 404}), ("sam", {404}), ("steve", {404})])
def test_withdrawing_a_version_is_refused_to_auditors_and_other_teams(client, people, who, codes):
    site = people["site"]
    page = factories.make_safety_page(site, people["cara"])
    client.force_login(people[who])
    url = _url("safety_page_withdraw", site, page.pk)
    assert client.get(url).status_code in codes
    assert client.post(url).status_code in codes
    with pytest.raises(MaySeeNotChange):
        safety_services.safety_page_withdraw(actor=people[who], page=page)
    assert SafetyPage.objects.filter(pk=page.pk).exists()


# --- The escape plan ------------------------------------------------------------------------


def test_a_sole_supervisor_approves_her_own_draft_and_is_told_first(client, people):
    sofia, site = people["sofia"], people["site"]
    plan = evidence_services.escape_plan_write(actor=sofia, site=site, **PLAN)
    client.force_login(sofia)
    for page in ("escape_plan", "escape_plan_version"):
        args = () if page == "escape_plan" else (plan.pk,)
        shown = client.get(_url(page, site, *args)).content.decode()
        assert "you may approve it yourself" in shown
    assert (
        "Approve it yourself"
        in client.get(_url("escape_plan_version", site, plan.pk)).content.decode()
    )
    assert client.post(_url("escape_plan_approve", site, plan.pk)).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == sofia


def test_with_two_supervisors_the_writer_still_does_not_approve(client, people):
    sofia, site = people["sofia"], people["site"]
    sven = _second_supervisor(people)
    plan = evidence_services.escape_plan_write(actor=people["cara"], site=site, **PLAN)
    evidence_services.escape_plan_update(actor=sofia, plan=plan, revision=plan.revision, **PLAN)
    client.force_login(sofia)
    shown = client.get(_url("escape_plan_version", site, plan.pk)).content.decode()
    assert _url("escape_plan_approve", site, plan.pk) not in shown
    assert "approve it yourself" not in shown
    with pytest.raises(MaySeeNotChange):
        evidence_services.escape_plan_approve(actor=sofia, plan=plan)
    evidence_services.escape_plan_approve(actor=sven, plan=plan)
    plan.refresh_from_db()
    assert plan.approved_by == sven


def test_a_draft_plan_is_discarded_and_a_new_one_written(client, people):
    cara, site = people["cara"], people["site"]
    plan = evidence_services.escape_plan_write(actor=cara, site=site, **PLAN)
    with pytest.raises(ValidationError):  # one draft at a time
        evidence_services.escape_plan_write(actor=cara, site=site, **PLAN)
    client.force_login(cara)
    url = _url("escape_plan_discard", site, plan.pk)
    assert url in client.get(_url("escape_plan", site)).content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Discard the draft" in confirm.content.decode()
    factories.assert_accessed(plan, "view", cara, page="discard")
    assert EscapePlan.objects.filter(pk=plan.pk).exists()
    assert client.post(url).status_code == 302
    assert not EscapePlan.objects.filter(pk=plan.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DELETE, object_pk=str(plan.pk), actor=cara
    ).exists()
    assert evidence_services.escape_plan_write(actor=cara, site=site, **PLAN).version == 1


def test_an_approved_plan_is_not_discarded(client, people):
    site = people["site"]
    plan = factories.make_escape_plan(site, people["sofia"])
    client.force_login(people["sofia"])
    assert client.post(_url("escape_plan_discard", site, plan.pk)).status_code == 403
    with pytest.raises(ValidationError):
        evidence_services.escape_plan_discard(actor=people["sofia"], plan=plan)
    assert EscapePlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.parametrize(("who", "codes"), [("aude", {403, 404}), ("sam", {404}), ("steve", {404})])
def test_discarding_a_plan_is_refused_to_auditors_and_other_teams(client, people, who, codes):
    site = people["site"]
    plan = factories.make_escape_plan(site, people["cara"], approved=False)
    client.force_login(people[who])
    url = _url("escape_plan_discard", site, plan.pk)
    assert client.get(url).status_code in codes
    assert client.post(url).status_code in codes
    with pytest.raises(MaySeeNotChange):
        evidence_services.escape_plan_discard(actor=people[who], plan=plan)
    assert EscapePlan.objects.filter(pk=plan.pk).exists()


# --- The security assessment ----------------------------------------------------------------


def test_every_writer_of_an_assessment_is_recorded(people):
    cara, sofia = people["cara"], people["sofia"]
    sven = _second_supervisor(people)
    assessment = _started(people, cara)
    assessment = _answered(assessment, sofia)
    assessment_services.finding_add(
        actor=sven, assessment=assessment, description="A loose lock.", likelihood=2, impact=2
    )
    writers = set(assessment.editors.values_list("pk", flat=True))
    assert writers == {cara.pk, sofia.pk, sven.pk}


def test_a_supervisor_who_wrote_the_answers_does_not_sign_off(client, people):
    cara, sofia, site = people["cara"], people["sofia"], people["site"]
    sven = _second_supervisor(people)
    assessment = _answered(_started(people, cara), sofia)
    assessment_services.security_assessment_submit(actor=sofia, assessment=assessment)
    client.force_login(sofia)
    shown = client.get(_url("security_assessment", site, assessment.pk)).content.decode()
    assert _url("security_assessment_sign_off", site, assessment.pk) not in shown
    assert "You wrote in this assessment" in shown
    response = client.post(_url("security_assessment_sign_off", site, assessment.pk))
    assert response.status_code == 400
    with pytest.raises(ValidationError):
        assessment_services.security_assessment_sign_off(actor=sofia, assessment=assessment)
    assessment_services.security_assessment_sign_off(actor=sven, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF and assessment.signed_off_by == sven


def test_a_supervisor_who_added_an_action_does_not_sign_off(people):
    cara, sofia, site = people["cara"], people["sofia"], people["site"]
    _second_supervisor(people)
    assessment = _answered(_started(people, cara), cara)
    assessment_services.site_action_add(
        actor=sofia,
        site=site,
        assessment=assessment,
        description="Fit a door closer.",
        owner=cara,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    assessment_services.security_assessment_submit(actor=cara, assessment=assessment)
    with pytest.raises(ValidationError):
        assessment_services.security_assessment_sign_off(actor=sofia, assessment=assessment)


def test_a_sole_supervisor_signs_off_her_own_assessment_and_is_told_first(client, people):
    sofia, site = people["sofia"], people["site"]
    assessment = _answered(_started(people, sofia), sofia)
    assessment_services.security_assessment_submit(actor=sofia, assessment=assessment)
    client.force_login(sofia)
    shown = client.get(_url("security_assessment", site, assessment.pk)).content.decode()
    assert "you may sign it off yourself" in shown and "Sign it off yourself" in shown
    response = client.post(_url("security_assessment_sign_off", site, assessment.pk))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF and assessment.signed_off_by == sofia


def test_a_draft_assessment_is_discarded_and_a_new_one_started(client, people):
    cara, sofia, site = people["cara"], people["sofia"], people["site"]
    assessment = _answered(_started(people, cara), cara)
    finding = factories.make_finding(assessment, cara)
    with pytest.raises(ValidationError):  # one assessment in progress at a time
        _started(people, cara)
    client.force_login(sofia)
    url = _url("security_assessment_discard", site, assessment.pk)
    assert url in client.get(_url("security_assessment", site, assessment.pk)).content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Discard the assessment" in confirm.content.decode()
    assert client.post(url).status_code == 302
    assert not SecurityAssessment.objects.filter(pk=assessment.pk).exists()
    for obj in (assessment, finding):
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.DELETE, object_pk=str(obj.pk), actor=sofia
        ).exists()
    assert _started(people, cara).status == AssessmentStatus.DRAFT


def test_a_submitted_assessment_is_not_discarded(client, people):
    cara, sofia, site = people["cara"], people["sofia"], people["site"]
    assessment = _answered(_started(people, cara), cara)
    assessment_services.security_assessment_submit(actor=cara, assessment=assessment)
    client.force_login(sofia)
    response = client.post(_url("security_assessment_discard", site, assessment.pk))
    assert response.status_code == 302
    with pytest.raises(ValidationError):
        assessment_services.security_assessment_discard(actor=sofia, assessment=assessment)
    assert SecurityAssessment.objects.filter(pk=assessment.pk).exists()


@pytest.mark.parametrize(
    ("who", "codes"), [("cara", {403}), ("aude", {403, 404}), ("sam", {404}), ("steve", {404})]
)
def test_discarding_an_assessment_is_refused_to_all_but_the_teams_supervisors(
    client, people, who, codes
):
    site = people["site"]
    assessment = factories.make_security_assessment(site, people["cara"])
    client.force_login(people[who])
    url = _url("security_assessment_discard", site, assessment.pk)
    assert client.get(url).status_code in codes
    assert client.post(url).status_code in codes
    with pytest.raises(MaySeeNotChange):
        assessment_services.security_assessment_discard(actor=people[who], assessment=assessment)
    assert SecurityAssessment.objects.filter(pk=assessment.pk).exists()
