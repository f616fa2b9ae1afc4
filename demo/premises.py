"""The premises demo: the North team's office and refuge, as a supervisor (Sofia) and a
caseworker (Cara) would have kept them.

- The office: a signed-off security assessment against the shipped checklist, with findings
  and actions (one of them overdue, one done), photos of the entrance and an interview room, an
  approved escape plan with its floor plan that Cara has read and Sofia has not yet, a drill
  with a follow-up action, and a published "Your safety here" page.
- The refuge: a threat at the door four days ago, which made its security review due; a
  reassessment started after it; a photo; an approved escape plan and a draft of the next
  one; a safety page waiting for Sofia's review; and its door code on the sensitive-terms list.

Every step goes through the app's own services, so what the demo shows is what the pages
make. Run once, after the accounts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from demo import premises_images
from premises.models import (
    ChecklistVersion,
    DrillScenario,
    Impact,
    IncidentKind,
    Likelihood,
    Opening,
    ReviewReason,
    Site,
    SiteKind,
    SiteStatus,
    TermKind,
)
from premises.services import assessments as assessment_services
from premises.services import evidence as evidence_services
from premises.services import safety as safety_services
from premises.services import sites as site_services
from victimsupport.accounts.models import User

OFFICE_NAME = "North office"
REFUGE_NAME = "Harbour House"
# Invented places: the demo holds no real address.
OFFICE_ADDRESS = "Unit 4, 18 Quay Street\nNorthbridge NB1 4QT"
REFUGE_ADDRESS = "7 Lantern Row\nHarbourside HB2 9LR"
REFUGE_DOOR_CODE = "2580"

# Answers that are not a plain yes, with the note a careful assessor would write.
NOT_YES = {
    "waiting_area": ("partly", "The waiting area is seen from the street through the glass door."),
    "outside_lighting": ("partly", "The side passage has no light after 18:00."),
    "situations_practised": ("partly", "Practised once this year; volunteers were not there."),
    "lone_working": ("no", "On Friday afternoons one worker is alone in the building."),
    "residents_visitors": ("na", "An office: nobody lives here."),
    "tracking_checked": ("na", "Offered at the refuge, not here."),
}

OFFICE_PAGE = {
    "title_en": "Your safety when you visit us",
    "body_en": (
        "We see people by appointment. The front door stays locked, and a member of staff "
        "opens it when they are expecting you.\n\n"
        "Nobody else will be in the room where we meet, unless you ask for someone to be with "
        "you. Every room has an alarm, and staff know what to do if someone tries to follow "
        "you here.\n\n"
        "What you tell us is kept in locked storage and on computers that only our staff can "
        "open. We will tell you before we share anything, and why.\n\n"
        "If you feel unsafe on your way to us, tell us on the phone: we can meet you somewhere "
        "else."
    ),
    "title_fr": "Votre sécurité quand vous venez nous voir",
    "body_fr": (
        "Nous recevons sur rendez-vous. La porte d'entrée reste fermée à clé, et une personne "
        "de l'équipe vous ouvre quand elle vous attend.\n\n"
        "Personne d'autre ne sera dans la pièce où nous nous voyons, sauf si vous demandez que "
        "quelqu'un vous accompagne. Chaque pièce a une alarme, et l'équipe sait quoi faire si "
        "quelqu'un essaie de vous suivre jusqu'ici.\n\n"
        "Ce que vous nous dites est rangé sous clé et sur des ordinateurs que seule notre "
        "équipe peut ouvrir. Nous vous dirons avant de partager quoi que ce soit, et pourquoi."
        "\n\nSi vous ne vous sentez pas en sécurité en venant, dites-le-nous au téléphone : "
        "nous pouvons vous voir ailleurs."
    ),
}

REFUGE_PAGE = {
    "title_en": "Your safety while you stay with us",
    "body_en": (
        "The address of this house is kept secret. Please do not give it to anyone, and ask "
        "us before you invite a visitor: we will help you meet them somewhere safe.\n\n"
        "The doors are locked day and night, and staff check who is at the door before "
        "opening. If someone you fear comes to the door, stay inside and tell a member of "
        "staff: they know what to do and who to call.\n\n"
        "We can help you check your phone and accounts for location sharing."
    ),
    "title_fr": "Votre sécurité pendant votre séjour",
    "body_fr": (
        "L'adresse de cette maison est tenue secrète. Merci de ne la donner à personne, et de "
        "nous parler avant d'inviter quelqu'un : nous vous aiderons à le voir dans un endroit "
        "sûr.\n\n"
        "Les portes sont fermées à clé jour et nuit, et l'équipe vérifie qui est à la porte "
        "avant d'ouvrir. Si une personne qui vous fait peur se présente, restez à l'intérieur "
        "et prévenez l'équipe : elle sait quoi faire et qui appeler.\n\n"
        "Nous pouvons vous aider à vérifier si votre téléphone ou vos comptes partagent votre "
        "position."
    ),
}


def has_sites() -> bool:
    return Site.objects.exists()


def _days(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def _checklist() -> ChecklistVersion:
    assessment_services.ensure_shipped_checklists()
    return ChecklistVersion.objects.filter(status=ChecklistVersion.Status.PUBLISHED).latest(
        "published_at"
    )


def _answers(version: ChecklistVersion, *, upto: int | None = None) -> dict[str, Any]:
    """Yes to every question but those in NOT_YES (the first ``upto`` questions only)."""
    keys = [q["key"] for s in version.definition["sections"] for q in s["questions"]]
    answers = {}
    for key in keys[:upto]:
        answer, note = NOT_YES.get(key, ("yes", ""))
        answers[key] = {"answer": answer, "note": note}
    return answers


def _office(*, sofia: User, cara: User, team: Any) -> Site:
    site = site_services.site_create(
        actor=sofia,
        team=team,
        name=OFFICE_NAME,
        kind=SiteKind.OFFICE,
        address=OFFICE_ADDRESS,
        opening=Opening.WALK_IN,
        walk_in_hours="Tuesday and Thursday, 10:00 to 13:00",
        status=SiteStatus.OPEN,
    )
    version = _checklist()
    assessment = assessment_services.security_assessment_start(
        actor=cara, site=site, checklist_version=version, reason=ReviewReason.FIRST
    )
    assessment = assessment_services.security_assessment_save(
        actor=cara,
        assessment=assessment,
        version=assessment.version,
        answers=_answers(version),
        summary=(
            "A safe office on the whole. The waiting area can be seen from the street, and one "
            "worker is alone on Friday afternoons: both have actions."
        ),
    )
    seen = assessment_services.finding_add(
        actor=cara,
        assessment=assessment,
        question_key="waiting_area",
        description="People waiting can be seen from the street through the glass door.",
        likelihood=Likelihood.POSSIBLE,
        impact=Impact.SERIOUS,
    )
    alone = assessment_services.finding_add(
        actor=cara,
        assessment=assessment,
        question_key="lone_working",
        description="One worker is alone in the building on Friday afternoons.",
        likelihood=Likelihood.LIKELY,
        impact=Impact.MAJOR,
    )
    soon = timezone.localdate() + datetime.timedelta(days=1)
    film = assessment_services.site_action_add(
        actor=sofia,
        site=site,
        assessment=assessment,
        finding=seen,
        description="Put frosted film on the lower half of the glass door.",
        owner=cara,
        due_on=soon,
    )
    rota = assessment_services.site_action_add(
        actor=sofia,
        site=site,
        assessment=assessment,
        finding=alone,
        description="Change the Friday rota so that two people are always in.",
        owner=sofia,
        due_on=soon,
    )
    assessment_services.site_action_add(
        actor=sofia,
        site=site,
        assessment=assessment,
        description="Fit a light in the side passage, on a sensor.",
        owner=sofia,
        due_on=timezone.localdate() + datetime.timedelta(days=45),
    )
    assessment_services.site_action_complete(
        actor=sofia, action=rota, version=rota.version, note="Two people on every Friday rota."
    )
    # The frosted film was due twelve days ago and is not done: the overdue action the
    # supervisor's dashboard shows (an action cannot be given a past date from the page).
    film.due_on = _days(12)
    film.save(update_fields=["due_on"])
    assessment_services.security_assessment_submit(actor=cara, assessment=assessment)
    assessment_services.security_assessment_sign_off(actor=sofia, assessment=assessment)

    evidence_services.photo_add(
        actor=cara,
        site=site,
        data=premises_images.entrance(),
        caption="The front door, with its intercom and camera",
        taken_on=_days(20),
    )
    evidence_services.photo_add(
        actor=cara,
        site=site,
        data=premises_images.interview_room(),
        caption="Interview room 1: the worker sits by the door, the alarm within reach",
        taken_on=_days(20),
    )
    plan = evidence_services.escape_plan_write(
        actor=cara,
        site=site,
        routes=(
            "From reception and the office: out through the front door. From the interview "
            "rooms: along the corridor to the back door, which opens from inside without a key."
        ),
        assembly_point="The car park behind the library, out of sight of the front door",
        roles=(
            "The duty worker takes the day's appointment list and counts everyone at the "
            "assembly point. The worker nearest the alarm panel calls the emergency services."
        ),
        floor_plan=premises_images.floor_plan(),
    )
    plan = evidence_services.escape_plan_approve(actor=sofia, plan=plan)
    evidence_services.escape_plan_read(actor=cara, plan=plan)

    drill = evidence_services.drill_record(
        actor=sofia,
        site=site,
        held_on=_days(60),
        scenario=DrillScenario.INTRUDER,
        scenario_details="A man insists at the door that his partner is inside.",
        participants=[sofia, cara],
        others_count=2,
        minutes_taken=7,
        lessons=(
            "The door stayed shut and the police were called in two minutes. The volunteer "
            "at reception did not know where the alarm button was."
        ),
    )
    evidence_services.drill_action_add(
        actor=sofia,
        drill=drill,
        description="Show every volunteer the alarm buttons on their first day.",
        owner=sofia,
        due_on=timezone.localdate() + datetime.timedelta(days=14),
    )

    page = safety_services.safety_page_create(actor=cara, site=site, **OFFICE_PAGE)
    page = safety_services.safety_page_submit(actor=cara, page=page)
    safety_services.safety_page_publish(actor=sofia, page=page)
    return site


def _refuge(*, sofia: User, cara: User, team: Any) -> Site:
    site = site_services.site_create(
        actor=sofia,
        team=team,
        name=REFUGE_NAME,
        kind=SiteKind.REFUGE,
        address=REFUGE_ADDRESS,
        opening=Opening.RESIDENTS_ONLY,
        walk_in_hours="",
        status=SiteStatus.OPEN,
    )
    safety_services.sensitive_term_add(
        actor=sofia, kind=TermKind.DOOR_CODE, term=REFUGE_DOOR_CODE, site=site
    )
    evidence_services.photo_add(
        actor=cara,
        site=site,
        data=premises_images.interview_room(),
        caption="The quiet room, where residents meet their worker",
        taken_on=_days(35),
    )
    plan = evidence_services.escape_plan_write(
        actor=cara,
        site=site,
        routes="Down the main stairs to the front door, or through the kitchen to the garden gate.",
        assembly_point="The garden gate on the back lane",
        roles="The worker on duty checks every room against the residents' list.",
        floor_plan=premises_images.floor_plan(),
    )
    plan = evidence_services.escape_plan_approve(actor=sofia, plan=plan)
    evidence_services.escape_plan_read(actor=sofia, plan=plan)
    evidence_services.escape_plan_write(
        actor=cara,
        site=site,
        routes=(
            "Down the main stairs to the front door, or through the kitchen to the garden "
            "gate. At night the garden gate key is in the box by the kitchen door."
        ),
        assembly_point="The garden gate on the back lane",
        roles=(
            "The worker on duty checks every room against the residents' list; at night, the "
            "worker on call is phoned once everyone is out."
        ),
    )

    incident = assessment_services.incident_record(
        actor=cara,
        site=site,
        kind=IncidentKind.THREAT_AT_DOOR,
        occurred_at=timezone.now() - datetime.timedelta(days=4, hours=3),
        description=(
            "A man rang at the door asking for a resident by her first name, and left when "
            "told nobody of that name lives here."
        ),
        actions_taken=(
            "The door was not opened. The resident was told, and the police were given the "
            "time and a description."
        ),
    )
    version = _checklist()
    reassessment = assessment_services.security_assessment_start(
        actor=sofia,
        site=site,
        checklist_version=version,
        reason=ReviewReason.INCIDENT,
        incident=incident,
    )
    assessment_services.security_assessment_save(
        actor=sofia,
        assessment=reassessment,
        version=reassessment.version,
        answers=_answers(version, upto=8),
    )

    page = safety_services.safety_page_create(actor=cara, site=site, **REFUGE_PAGE)
    safety_services.safety_page_submit(actor=cara, page=page)
    return site


def seed_premises(*, sofia: User, cara: User) -> list[Site]:
    """The North team's office and refuge, with everything the premises pages show."""
    return seed_sites(sofia=sofia, cara=cara, team=sofia.teams.order_by("pk").first())


def seed_sites(*, sofia: User, cara: User, team: Any) -> list[Site]:
    """An office and a refuge of ``team`` (Sofia supervises it, Cara works in it); the
    benchmark uses this for its own team."""
    return [
        _office(sofia=sofia, cara=cara, team=team),
        _refuge(sofia=sofia, cara=cara, team=team),
    ]


# --- The bulk seeder's part (demo/bulk.py) -----------------------------------------------------

# Every team has an office; one in REFUGE_EVERY has a refuge, one in OUTREACH_EVERY an
# outreach point.
REFUGE_EVERY = 4
OUTREACH_EVERY = 3


class BulkSites:
    """The teams' sites, made once when a run starts, through the app's own service by each
    team's supervisor (a site is its team's staff's to see); no rows per case."""

    def __init__(self, batch: Any) -> None:
        pass

    @staticmethod
    def setup(staff: list[Any], rng: Any, report: Any) -> None:
        have = set(Site.objects.values_list("team_id", flat=True).distinct())
        for index, member in enumerate(staff):
            team = member.team
            if team.pk in have:
                continue
            street = 10 + index % 190
            town = f"Demo Town DT{index % 90 + 1}"
            made = [
                (
                    f"{team.name} office",
                    SiteKind.OFFICE,
                    f"Unit {1 + index % 9}, {street} Market Street\n{town} 1AA",
                    Opening.WALK_IN,
                    "Monday to Friday, 9:00 to 12:00",
                )
            ]
            if index % OUTREACH_EVERY == 0:
                made.append(
                    (
                        f"{team.name} outreach point",
                        SiteKind.OUTREACH,
                        f"Community centre, {street} Church Lane\n{town} 2BB",
                        Opening.APPOINTMENT_ONLY,
                        "",
                    )
                )
            if index % REFUGE_EVERY == 0:
                made.append(
                    (
                        f"Refuge of the {team.name}",
                        SiteKind.REFUGE,
                        f"{street} Lantern Row\n{town} 3CC",
                        Opening.RESIDENTS_ONLY,
                        "",
                    )
                )
            for name, kind, address, opening, hours in made:
                site_services.site_create(
                    actor=member.supervisor,
                    team=team,
                    name=name,
                    kind=kind,
                    address=address,
                    opening=opening,
                    walk_in_hours=hours,
                    status=SiteStatus.OPEN,
                )
                report.counts["premises.Site"] = report.counts.get("premises.Site", 0) + 1

    def add(self, case: Any, team: Any, worker: Any, opened: Any, end: Any) -> None:
        pass

    def save(self, report: Any) -> list[Any]:
        return []
