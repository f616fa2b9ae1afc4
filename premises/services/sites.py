"""Writes of the sites part: a supervisor adds a site to one of their teams and keeps its
details (name, kind, address, opening, walk-in hours, status). The model's signals write the
change entries; the address and the name are encrypted fields, redacted in the log.

A site that becomes a refuge, or a refuge whose address changes, is refused while any text
auditors read of it (captions, escape plans, drills, assessments, findings, actions) would
place it at its new address: each such record is named, to be edited first."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from premises.models import (
    ActionSource,
    Drill,
    EscapePlan,
    Finding,
    Opening,
    SecurityAssessment,
    Site,
    SiteAction,
    SiteKind,
    SitePhoto,
    is_site_supervisor,
)
from premises.sensitive import LOCATION_KINDS, SensitiveCheck
from victimsupport.access import MaySeeNotChange, Role, roles_of
from victimsupport.concurrency import claim

# What a site's form edits (its team is chosen once, when it is added).
SITE_FIELDS = ("name", "kind", "address", "opening", "walk_in_hours", "status")


def _check(site: Site) -> None:
    """The rules a site's details keep beyond the model's own field checks."""
    errors: dict[str, Any] = {}
    site.name = (site.name or "").strip()
    site.address = (site.address or "").strip()
    site.walk_in_hours = (site.walk_in_hours or "").strip()
    if not site.name:
        errors["name"] = _("Give the site a name staff will recognise.")
    if not site.address:
        errors["address"] = _("Give the site's address: only its staff will see it.")
    if site.kind == SiteKind.REFUGE and site.opening == Opening.WALK_IN:
        errors["opening"] = _(
            "A refuge takes no walk-ins: its address must stay known only to those who live "
            "and work there."
        )
    elif site.opening == Opening.WALK_IN and not site.walk_in_hours:
        errors["walk_in_hours"] = _("Say when the walk-in hours are.")
    elif site.opening != Opening.WALK_IN:
        # Hours are kept only where people may walk in.
        site.walk_in_hours = ""
    if errors:
        raise ValidationError(errors)
    site.full_clean(exclude=["team", "created_by"])


def _day(value: Any) -> str:
    return date_format(value, "j M Y")


def _auditors_texts(site: Site) -> list[tuple[str, str, str]]:
    """(record, field, text) of every text of ``site`` an auditor reads of a refuge: photo
    captions, escape plans (all versions), drills, findings, assessments (summary and each
    answer's note) and the site's actions (not those after an incident: auditors never see
    them). One query per kind of record; the encrypted texts are read here, never logged."""
    texts: list[tuple[str, str, str]] = []
    for photo in SitePhoto.objects.of_site(site).only("taken_on", "caption").order_by("pk"):
        record = _("Photo of %(day)s") % {"day": _day(photo.taken_on)}
        texts.append((record, _("its caption"), photo.caption))
    plans = EscapePlan.objects.of_site(site).only("version", "routes", "assembly_point", "roles")
    for plan in plans.order_by("version"):
        record = _("Escape plan, version %(number)d") % {"number": plan.version}
        texts.append((record, _("its escape routes"), plan.routes))
        texts.append((record, _("its assembly point"), plan.assembly_point))
        texts.append((record, _("its “who does what”"), plan.roles))
    drills = Drill.objects.of_site(site).only("held_on", "scenario_details", "lessons")
    for drill in drills.order_by("held_on", "pk"):
        record = _("Drill of %(day)s") % {"day": _day(drill.held_on)}
        texts.append((record, _("what was practised"), drill.scenario_details))
        texts.append((record, _("its lessons"), drill.lessons))
    assessments = SecurityAssessment.objects.of_site(site).only("assessed_on", "summary", "answers")
    for assessment in assessments.order_by("assessed_on", "pk"):
        record = _("Assessment of %(day)s") % {"day": _day(assessment.assessed_on)}
        texts.append((record, _("its summary"), assessment.summary))
        for key, answer in sorted((assessment.answers or {}).items()):
            note = answer.get("note") if isinstance(answer, dict) else None
            if note:
                field = _("the note on question “%(key)s”") % {"key": key}
                texts.append((record, field, str(note)))
    findings = (
        Finding.objects.of_site(site)
        .select_related("assessment")
        .only("description", "assessment__assessed_on")
    )
    for finding in findings.order_by("assessment__assessed_on", "pk"):
        record = _("Finding %(number)d of the assessment of %(day)s") % {
            "number": finding.pk,
            "day": _day(finding.assessment.assessed_on),
        }
        texts.append((record, _("its description"), finding.description))
    actions = (
        SiteAction.objects.of_site(site)
        .exclude(source=ActionSource.INCIDENT)
        .filter(incident__isnull=True)
        .only("due_on", "description", "done_note")
    )
    for action in actions.order_by("due_on", "pk"):
        record = _("Action due %(day)s") % {"day": _day(action.due_on)}
        texts.append((record, _("what to do"), action.description))
        texts.append((record, _("its done note"), action.done_note))
    return texts


def _check_stored_texts(site: Site, field: str) -> None:
    """Before ``site`` (its new, unsaved kind and address) becomes or stays a refuge at a new
    address: refuse if any text an auditor reads of it would place it (its address, a street
    address, a postcode, a door code, a listed term), naming each record to edit first."""
    check = SensitiveCheck(site, kinds=LOCATION_KINDS)
    problems: list[ValidationError] = []
    for record, what, text in _auditors_texts(site):
        matches = check.find(text or "")
        if not matches:
            continue
        found: dict[str, tuple[Any, list[str]]] = {}
        for match in matches:
            value = f"“{match.text.rstrip('. ')}”"
            values = found.setdefault(match.kind, (match.label, []))[1]
            if value not in values:
                values.append(value)
        problems.append(
            ValidationError(
                _("%(record)s: %(what)s names %(found)s.")
                % {
                    "record": record,
                    "what": what,
                    "found": "; ".join(
                        _("%(kind)s: %(texts)s") % {"kind": label, "texts": ", ".join(values)}
                        for label, values in found.values()
                    ),
                },
                code="stored_text_names_location",
            )
        )
    if problems:
        intro = ValidationError(
            _(
                "Auditors read this refuge's evidence, and these texts would tell them where it "
                "is. Edit them first, then change the site:"
            ),
            code="stored_text_names_location",
        )
        raise ValidationError({field: [intro, *problems]})


@transaction.atomic
def site_create(
    *,
    actor: Any,
    team: Any,
    name: str,
    kind: str,
    address: str,
    opening: str,
    walk_in_hours: str,
    status: str,
) -> Site:
    """Add a site to one of the teams ``actor`` supervises."""
    if Role.SUPERVISOR not in roles_of(actor):
        raise PermissionDenied(_("Only a supervisor adds a site."))
    if team is None or not actor.teams.filter(pk=team.pk).exists():
        raise PermissionDenied(_("Add the site to one of the teams you supervise."))
    site = Site(
        team=team,
        name=name,
        kind=kind,
        address=address,
        opening=opening,
        walk_in_hours=walk_in_hours,
        status=status,
        created_by=actor,
    )
    _check(site)
    site.save()
    return site


@transaction.atomic
def site_update(*, actor: Any, site: Site, version: int, **fields: Any) -> Site:
    """Change a site's details as read at ``version``: a supervisor of its team only. If
    someone saved in between, nothing is written and ``EditConflict`` is raised."""
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team changes its details."))
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise ValueError(f"{sorted(unknown)} cannot be changed here")
    current = claim(Site, pk=site.pk, version=version)
    was_kind, was_address = current.kind, (current.address or "").strip()
    for name, value in fields.items():
        setattr(current, name, value)
    _check(current)
    if current.kind == SiteKind.REFUGE:
        # A site that becomes a refuge, or a refuge that moves: what auditors already read
        # of it is checked against what it is now (its new address, unsaved yet).
        if was_address != current.address:
            _check_stored_texts(current, "address")
        elif was_kind != SiteKind.REFUGE:
            _check_stored_texts(current, "kind")
    current.save()
    return current
