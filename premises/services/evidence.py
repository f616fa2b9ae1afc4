"""Writes of the evidence part: photos of the premises, escape plans (versions, approval,
readings), drills and their follow-up actions.

Every file is checked and cleaned in the core (``victimsupport.files.clean_by_content``: the
kind read from the bytes, images re-encoded from their pixels so that no EXIF, GPS, XMP or
thumbnail survives); nothing here handles an image itself. The model signals write the change
entries; downloads write their access entries here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from premises.models import (
    ActionSource,
    Drill,
    EscapePlan,
    EscapePlanReading,
    PlanStatus,
    Site,
    SiteAction,
    SiteKind,
    SitePhoto,
    is_site_supervisor,
    site_staff,
)
from premises.review import may_review
from premises.selectors.evidence import is_team_staff
from premises.sensitive import location_matches
from victimsupport import limits
from victimsupport.access import MaySeeNotChange
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict
from victimsupport.files import IMAGE_TYPES, clean_by_content, make_preview, strip_pdf_metadata
from victimsupport.stored_files import Refusal

FLOOR_PLAN_TYPES = ("image/jpeg", "image/png", "application/pdf")
FLOOR_PLAN_REFUSAL = _("A floor plan can be a JPEG or PNG image, or a PDF.")
NOT_IN_FUTURE = _("This date is in the future: give the date it happened.")
NOT_IN_PAST = _("Choose a date from today on.")


def _staff_only(actor: Any, site: Site) -> None:
    if not is_team_staff(actor, site):
        raise MaySeeNotChange(_("Only the staff of the site's team record this."))


def _supervisor_only(actor: Any, site: Site, message: Any) -> None:
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(message)


# What each checked text is called when a refuge's evidence names where it is.
NAMES_LOCATION = {
    "caption": _("The caption names %(found)s."),
    "routes": _("The escape routes name %(found)s."),
    "assembly_point": _("The assembly point names %(found)s."),
    "roles": _("Who does what names %(found)s."),
    "scenario_details": _("What was practised names %(found)s."),
    "lessons": _("What was learnt names %(found)s."),
    "description": _("What to do names %(found)s."),
}
READ_BY_AUDITORS = _(
    "A refuge's evidence is read by auditors: describe it without saying where it is."
)


def _check_location(site: Site, **texts: str) -> None:
    """For a refuge, refuse any of ``texts`` (by field name) that would place it: its
    address or a part of it, a street address, a postcode, a door code, a listed term
    (``premises.sensitive.location_matches``). Every field is checked and each refusal says
    what matched, by kind; nothing is saved."""
    if site.kind != SiteKind.REFUGE:
        return
    errors: dict[str, ValidationError] = {}
    for field, text in texts.items():
        matches = location_matches(text or "", site=site)
        if not matches:
            continue
        labels: dict[str, Any] = {}
        quoted: dict[str, list[str]] = {}
        for match in matches:
            labels[match.kind] = match.label
            value = f'"{match.text.rstrip(". ")}"'  # a sentence's full stop is not quoted
            if value not in quoted.setdefault(match.kind, []):
                quoted[match.kind].append(value)
        found = "; ".join(
            gettext("%(what)s: %(texts)s") % {"what": labels[kind], "texts": ", ".join(values)}
            for kind, values in quoted.items()
        )
        errors[field] = ValidationError(
            "%(names)s %(todo)s",
            code="names_location",
            params={"names": NAMES_LOCATION[field] % {"found": found}, "todo": READ_BY_AUDITORS},
        )
    if errors:
        raise ValidationError(errors)


def _not_in_future(value: datetime.date, field: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: NOT_IN_FUTURE}, code="future")


# --- Photos --------------------------------------------------------------------------------


@transaction.atomic
def photo_add(
    *, actor: Any, site: Site, data: bytes, caption: str, taken_on: datetime.date
) -> SitePhoto:
    """Keep a photo of the premises: read as an image from its bytes (whatever its name or
    type header says), re-encoded without metadata, with its preview."""
    _staff_only(actor, site)
    _not_in_future(taken_on, "taken_on")
    _check_location(site, caption=caption)
    try:
        cleaned = clean_by_content(data=data, allowed=IMAGE_TYPES)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}, code=exc.code) from exc
    photo = SitePhoto(
        site=site,
        caption=caption.strip(),
        taken_on=taken_on,
        content_type=cleaned.content_type,
        size=len(cleaned.data),
        width=cleaned.width,
        height=cleaned.height,
        content=cleaned.data,
        preview=make_preview(cleaned.data, cleaned.content_type),
        uploaded_by=actor,
    )
    photo.full_clean(exclude=["content", "preview", "site", "uploaded_by"])
    photo.save()
    return photo


@transaction.atomic
def photo_remove(*, actor: Any, photo: SitePhoto) -> None:
    """A supervisor of the site's team removes a photo (the delete is a change entry)."""
    _supervisor_only(actor, photo.site, _("Only a supervisor of the site's team removes photos."))
    photo.delete()


def photo_open(*, actor: Any, photo: SitePhoto, preview: bool = False) -> SitePhoto:
    """The access entry for serving a photo (the full image is a download)."""
    record_access(
        actor=actor,
        obj=photo,
        kind=AccessKind.VIEW if preview else AccessKind.DOWNLOAD,
        detail={"site": photo.site_id, "preview": preview},
    )
    return photo


@transaction.atomic
def photo_quarantine(*, photo: SitePhoto, reason: Refusal, actor: Any = None) -> SitePhoto:
    """Set aside a stored photo the current checks refuse (``recheck_files``): kept, no
    longer served. The save logs the change."""
    photo = SitePhoto.objects.select_for_update().get(pk=photo.pk)
    if photo.quarantined_at is None:
        photo.quarantined_at = timezone.now()
        photo.quarantine_reason = reason
        photo.save(update_fields=["quarantined_at", "quarantine_reason"])
    return photo


@transaction.atomic
def photo_reencode(*, photo: SitePhoto, data: bytes, actor: Any = None) -> SitePhoto:
    """Replace a stored photo by its re-encoded pixels (``recheck_files``), and its preview."""
    photo = SitePhoto.objects.select_for_update().get(pk=photo.pk)
    photo.content = data
    photo.size = len(data)
    photo.preview = make_preview(data, photo.content_type)
    photo.save(update_fields=["content", "size", "preview"])
    return photo


# --- Escape plans --------------------------------------------------------------------------

PLAN_FIELDS = ("routes", "assembly_point", "roles")


def _clean_floor_plan(data: bytes) -> Any:
    try:
        return clean_by_content(
            data=data,
            allowed=FLOOR_PLAN_TYPES,
            refusal=FLOOR_PLAN_REFUSAL,
            strip_pdf_metadata=True,  # a refuge's floor plan may be titled with its address
        )
    except ValidationError as exc:
        raise ValidationError({"floor_plan": exc.messages}, code=exc.code) from exc


def _set_floor_plan(plan: EscapePlan, data: bytes | None) -> None:
    if data:
        cleaned = _clean_floor_plan(data)
        plan.floor_plan = cleaned.data
        plan.floor_plan_type = cleaned.content_type
        plan.floor_plan_size = len(cleaned.data)
        plan.quarantined_at = None
        plan.quarantine_reason = ""


def _copy_floor_plan(plan: EscapePlan, current: EscapePlan) -> None:
    """The current version's floor plan into the new draft; a PDF rewritten without its
    metadata, outline and annotations (one stored before they were stripped keeps its title
    otherwise)."""
    data = bytes(current.floor_plan)
    if current.floor_plan_type == "application/pdf":
        try:
            data = strip_pdf_metadata(data)
        except ValidationError as exc:
            raise ValidationError(
                {
                    "floor_plan": _(
                        "The current floor plan could not be copied into the new version: "
                        "attach the floor plan again."
                    )
                },
                code=exc.code,
            ) from exc
    plan.floor_plan = data
    plan.floor_plan_type = current.floor_plan_type
    plan.floor_plan_size = len(data)


@transaction.atomic
def escape_plan_write(
    *,
    actor: Any,
    site: Site,
    routes: str,
    assembly_point: str,
    roles: str,
    floor_plan: bytes | None = None,
) -> EscapePlan:
    """A new draft version of the site's plan. Without a new floor plan, the current
    version's is kept (unless it was set aside)."""
    _staff_only(actor, site)
    _check_location(site, routes=routes, assembly_point=assembly_point, roles=roles)
    site = Site.objects.select_for_update().get(pk=site.pk)  # one writer numbers versions
    if EscapePlan.objects.filter(site=site, status=PlanStatus.DRAFT).exists():
        raise ValidationError(
            _("A draft of the next version is already being written: edit it instead."),
            code="draft_exists",
        )
    last = EscapePlan.objects.filter(site=site).order_by("-version").first()
    plan = EscapePlan(
        site=site,
        version=(last.version + 1) if last else 1,
        routes=routes.strip(),
        assembly_point=assembly_point.strip(),
        roles=roles.strip(),
        created_by=actor,
    )
    current = EscapePlan.objects.filter(site=site, status=PlanStatus.APPROVED).first()
    if (
        not floor_plan
        and current is not None
        and current.floor_plan
        and current.quarantined_at is None
    ):
        _copy_floor_plan(plan, current)
    _set_floor_plan(plan, floor_plan)
    plan.full_clean(exclude=["floor_plan", "site", "created_by", "approved_by"])
    plan.save()
    plan.editors.add(actor)
    return plan


def _claim_plan(plan: EscapePlan, revision: int) -> EscapePlan:
    """``victimsupport.concurrency.claim`` on the plan's ``revision`` (its ``version`` is the
    plan's number): the conditional UPDATE locks the row until the transaction ends, so of
    two saves of one revision exactly one goes through."""
    rows = EscapePlan.objects.filter(pk=plan.pk)
    if rows.filter(revision=revision).update(revision=F("revision") + 1) != 1:
        raise EditConflict(current=rows.defer("floor_plan").first())
    return rows.get()


@transaction.atomic
def escape_plan_update(
    *,
    actor: Any,
    plan: EscapePlan,
    routes: str,
    assembly_point: str,
    roles: str,
    revision: int,
    floor_plan: bytes | None = None,
) -> EscapePlan:
    """Change a draft (an approved or superseded version is kept as it was approved).
    ``revision`` is the one the form was read at: if someone saved the draft since,
    ``EditConflict`` is raised with the draft as saved now, and nothing is written."""
    _staff_only(actor, plan.site)
    _check_location(plan.site, routes=routes, assembly_point=assembly_point, roles=roles)
    plan = _claim_plan(plan, revision)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed: write a new version instead."), code="not_draft"
        )
    plan.routes = routes.strip()
    plan.assembly_point = assembly_point.strip()
    plan.roles = roles.strip()
    _set_floor_plan(plan, floor_plan)
    plan.full_clean(exclude=["floor_plan", "site", "created_by", "approved_by"])
    plan.save()
    plan.editors.add(actor)
    return plan


def wrote_plan(user: Any, plan: EscapePlan) -> bool:
    """Whether ``user`` wrote or changed this version."""
    return plan.created_by_id == user.pk or plan.editors.filter(pk=user.pk).exists()


def approval_review(user: Any, plan: EscapePlan) -> tuple[bool, bool]:
    """(may approve, approves alone) for a supervisor of the site's team: four eyes when
    another supervisor who neither wrote nor changed the version exists; else the sole one
    may (``premises.review``)."""
    writers = {plan.created_by_id, *plan.editors.values_list("pk", flat=True)}
    return may_review(plan.site, user, writers)


def may_approve(user: Any, plan: EscapePlan) -> bool:
    return approval_review(user, plan)[0]


@transaction.atomic
def escape_plan_approve(*, actor: Any, plan: EscapePlan) -> EscapePlan:
    """A supervisor of the site's team who neither wrote nor changed a draft approves it (the
    one who did, when the team has no other: ``premises.review``): it becomes the current
    version and the one approved before is superseded, in one transaction (the database
    allows one approved version a site)."""
    _supervisor_only(actor, plan.site, _("Only a supervisor of the site's team approves plans."))
    Site.objects.select_for_update().filter(pk=plan.site_id).first()
    plan = EscapePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("This version is not a draft waiting for approval."), "not_draft")
    if not may_approve(actor, plan):
        raise MaySeeNotChange(
            _(
                "You wrote or changed this version: another supervisor of the team, who did "
                "neither, approves it."
            )
        )
    for previous in EscapePlan.objects.select_for_update().filter(
        site_id=plan.site_id, status=PlanStatus.APPROVED
    ):
        previous.status = PlanStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    plan.status = PlanStatus.APPROVED
    plan.approved_by = actor
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    return plan


@transaction.atomic
def escape_plan_discard(*, actor: Any, plan: EscapePlan) -> None:
    """Discard a draft (never approved, so nobody followed it): the staff of the site's team;
    the delete is its change entry, and a new version may be written."""
    _staff_only(actor, plan.site)
    Site.objects.select_for_update().filter(pk=plan.site_id).first()
    plan = EscapePlan.objects.select_for_update().defer("floor_plan").get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be discarded: an approved version is kept as evidence."),
            code="not_draft",
        )
    plan.delete()


@transaction.atomic
def escape_plan_read(*, actor: Any, plan: EscapePlan) -> EscapePlanReading:
    """A member of the team's staff records that they read and understood the current
    version (once a version: recording again keeps the first)."""
    _staff_only(actor, plan.site)
    # Locked, and its status read afresh: an approval of the next version in between
    # supersedes it, and a superseded version is not recorded as read.
    plan = EscapePlan.objects.select_for_update().defer("floor_plan").get(pk=plan.pk)
    if plan.status != PlanStatus.APPROVED:
        raise ValidationError(
            _("Only the current approved version of the plan can be recorded as read."),
            code="not_current",
        )
    reading, _created = EscapePlanReading.objects.get_or_create(
        plan=plan, user=actor, defaults={"site": plan.site}
    )
    return reading


def floor_plan_open(*, actor: Any, plan: EscapePlan) -> EscapePlan:
    record_access(
        actor=actor,
        obj=plan,
        kind=AccessKind.DOWNLOAD,
        detail={"site": plan.site_id, "floor_plan": True},
    )
    return plan


@transaction.atomic
def floor_plan_quarantine(*, plan: EscapePlan, reason: Refusal, actor: Any = None) -> EscapePlan:
    """Set aside a stored floor plan the current checks refuse (``recheck_files``)."""
    plan = EscapePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.quarantined_at is None:
        plan.quarantined_at = timezone.now()
        plan.quarantine_reason = reason
        plan.save(update_fields=["quarantined_at", "quarantine_reason"])
    return plan


@transaction.atomic
def floor_plan_reencode(*, plan: EscapePlan, data: bytes, actor: Any = None) -> EscapePlan:
    """Replace a stored floor plan by its cleaned bytes (``recheck_files``): an image's
    re-encoded pixels, a PDF without its metadata."""
    plan = EscapePlan.objects.select_for_update().get(pk=plan.pk)
    plan.floor_plan = data
    plan.floor_plan_size = len(data)
    plan.save(update_fields=["floor_plan", "floor_plan_size"])
    return plan


# --- Drills --------------------------------------------------------------------------------


def _only_team_staff(site: Site, users: Any, field: str) -> list[Any]:
    users = list(users)
    found = site_staff(site).filter(pk__in=[u.pk for u in users])
    allowed = set(found.values_list("pk", flat=True))
    if any(u.pk not in allowed for u in users):
        raise ValidationError(
            {field: _("Choose only staff of the site's team.")}, code="not_team_staff"
        )
    return users


@transaction.atomic
def drill_record(
    *,
    actor: Any,
    site: Site,
    held_on: datetime.date,
    scenario: str,
    scenario_details: str = "",
    participants: Any = (),
    others_count: int = 0,
    minutes_taken: int,
    lessons: str = "",
) -> Drill:
    """Record a drill held at the site; who took part is chosen among the team's staff (the
    others are counted, never named)."""
    _staff_only(actor, site)
    _not_in_future(held_on, "held_on")
    _check_location(site, scenario_details=scenario_details, lessons=lessons)
    people = _only_team_staff(site, participants, "participants")
    if not people and not others_count:
        raise ValidationError(
            {"participants": _("Say who took part: staff, or a count of others.")},
            code="nobody",
        )
    drill = Drill(
        site=site,
        held_on=held_on,
        scenario=scenario,
        scenario_details=scenario_details.strip(),
        others_count=others_count,
        minutes_taken=minutes_taken,
        lessons=lessons.strip(),
        recorded_by=actor,
    )
    drill.full_clean(exclude=["site", "recorded_by"])
    drill.save()
    drill.participants.set(people)
    return drill


@transaction.atomic
def drill_action_add(
    *, actor: Any, drill: Drill, description: str, owner: Any, due_on: datetime.date
) -> SiteAction:
    """A follow-up action from a drill's lessons, owned by a member of the team's staff."""
    _staff_only(actor, drill.site)
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": NOT_IN_PAST}, code="past")
    _check_location(drill.site, description=description)
    _only_team_staff(drill.site, [owner], "owner")
    action = SiteAction(
        site=drill.site,
        source=ActionSource.DRILL,
        drill=drill,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        created_by=actor,
    )
    limits.validate_text(action, ["description"])
    action.save()
    return action
