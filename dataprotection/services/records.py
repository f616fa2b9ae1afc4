"""The records the data-protection officer keeps: the record of processing activities
(GDPR art. 30) and the breach register (arts. 33 and 34).

The record is pre-filled from what the app actually stores (the categories of the case file,
the purposes its agreements and consents name, the partner organisations that receive data,
the retention schedule) and edited by the DPO; filling it in again adds the entries that are
missing and never touches one that exists, edited or not.

A breach is logged with its 72-hour clock, fixed when it is logged from the country profile;
the decision to notify the regulator or not needs its reason either way; each person told is
found by their case's exact reference (the DPO does not open case files) and told only by a
method their case records as safe, never if the case says do not contact.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, ContactMethod, ContactPreference, ThirdParty
from dataprotection.models import (
    Breach,
    BreachDecision,
    BreachNotice,
    LawfulBasis,
    ProcessingActivity,
    RecordKind,
    RetentionRule,
)
from referrals.models import Agreement, OrganisationKind, Purpose, SharingConsent
from victimsupport import country
from victimsupport.access import Role, roles_of
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.casefile import Category
from victimsupport.concurrency import claim
from victimsupport.limits import validate_text


def _require_dpo(actor: Any) -> None:
    if Role.DATA_PROTECTION_OFFICER not in roles_of(actor):
        raise PermissionDenied(_("These records are kept by the data-protection officer."))


# --- The record of processing activities ----------------------------------------------------

# An entry may name no category of the case file (staff accounts): checked by the service.
NOT_CHECKED_BY_MODEL = ["data_categories"]

# The fields a processing activity's form edits (and the services write).
ACTIVITY_FIELDS = [
    "name",
    "purpose",
    "lawful_basis",
    "special_category_condition",
    "data_categories",
    "people",
    "recipients",
    "transfers",
    "retention",
    "security",
]


def security_measures() -> str:
    """What the app does to keep the data safe (art. 32), in plain words."""
    return " ".join(
        [
            _(
                "Every free text and document is encrypted in the database, field by field, "
                "with AES-256-GCM; the keys are kept apart from the data and can be rotated."
            ),
            _(
                "Names, telephone numbers and e-mail addresses are found through blind "
                "indexes (keyed digests), so a search never reads or stores them in clear."
            ),
            _(
                "Every change and every opening of a case file is written to a sealed audit "
                "log (each entry chained to the one before), which holds no values and can be "
                "checked for tampering."
            ),
            _("Staff sign in with two-factor authentication; sessions end when left idle."),
            _(
                "Access is decided case by case: staff see the cases of their teams, emergency "
                "access is recorded with its reason, partners see only what was sent to them."
            ),
            _("Copies and referrals leave as password-protected PDFs (AES-256)."),
        ]
    )


def retention_days(kind: str) -> int:
    """The period the schedule keeps ``kind`` for: the DPO's rule, else the profile's."""
    rule = RetentionRule.objects.filter(kind=kind).values_list("days", flat=True).first()
    if rule is not None:
        return rule
    return country.current().retention_days.get(kind, 0)


def _period(days: int) -> str:
    if days and days % 365 == 0:
        years = days // 365
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _kept(kind: str) -> str:
    label = dict(RecordKind.choices)[kind]
    period = _period(retention_days(kind))
    return _("%(what)s: kept for %(period)s.") % {"what": label, "period": period}


def _erased_after() -> str:
    return _(
        "When the period ends the data-protection officer is told and approves the erasure, "
        "unless a legal hold keeps the file; a deletion certificate without personal data "
        "remains."
    )


def _labels(choices: Any, values: list[str]) -> str:
    names = dict(choices)
    return ", ".join(str(names.get(v, v)) for v in values)


def purposes_in_use() -> list[str]:
    """The purposes named by an agreement or a consent to share, in Purpose's order."""
    used: set[str] = set()
    for purposes in Agreement.objects.values_list("purposes", flat=True):
        used.update(purposes or [])
    used.update(
        SharingConsent.objects.exclude(purpose="").values_list("purpose", flat=True).distinct()
    )
    return [p for p in Purpose.values if p in used]


def _recipients_for(purpose: str) -> tuple[str, list[str]]:
    """(the partner organisations with an agreement covering ``purpose``, by kind; the
    categories those agreements let go to them)."""
    today = timezone.localdate()
    by_kind: dict[str, set[str]] = {}
    categories: set[str] = set()
    agreements = Agreement.objects.select_related("partner").filter(valid_to__gte=today)
    for agreement in agreements:
        if purpose not in (agreement.purposes or []):
            continue
        by_kind.setdefault(agreement.partner.kind, set()).add(agreement.partner.name)
        categories.update(agreement.categories or [])
    kinds = dict(OrganisationKind.choices)
    lines = [
        f"{kinds.get(kind, kind)}: {', '.join(sorted(names))}"
        for kind, names in sorted(by_kind.items(), key=lambda item: str(kinds.get(item[0])))
    ]
    if not lines:
        text = _(
            "No partner organisation has a valid agreement for this purpose now: nothing "
            "can be sent for it until one does."
        )
    else:
        text = (
            _("Partner organisations with an agreement covering this purpose:")
            + " "
            + ("; ".join(lines))
        )
    return text, [c for c in Category.values if c in categories]


def _people_in_files() -> str:
    roles = set(ThirdParty.objects.values_list("role", flat=True).distinct())
    people = [_("victims who come to the service")]
    named = {
        ThirdParty.Role.FEARED: _("the people they fear"),
        ThirdParty.Role.CHILD: _("their children and dependants"),
        ThirdParty.Role.REFERRER: _("whoever referred them"),
        ThirdParty.Role.OTHER: _("other people named in their story"),
    }
    # The people the intake always asks about, and any other kind a file records.
    for role in [ThirdParty.Role.FEARED, ThirdParty.Role.CHILD, ThirdParty.Role.REFERRER]:
        people.append(named[role])
    if ThirdParty.Role.OTHER in roles:
        people.append(named[ThirdParty.Role.OTHER])
    people.append(_("the staff who work on the case"))
    return "; ".join(str(p) for p in people) + "."


def prefilled_activities() -> list[dict[str, Any]]:
    """The entries the app can fill in from what it stores, each with its ``key``."""
    security = security_measures()
    no_transfers = _("None: the data stays with the service and its partners in the EU.")
    entries: list[dict[str, Any]] = [
        {
            "key": "casework",
            "name": _("Casework: supporting victims"),
            "purpose": _(
                "To support each person who comes to us: listen, keep their file, agree "
                "what help they want and follow it up, and keep them safe while we do."
            ),
            "lawful_basis": LawfulBasis.CONSENT,
            "special_category_condition": _(
                "Explicit consent (art. 9(2)(a)), recorded in the file with how it was given; "
                "when someone's life is in danger and they cannot consent, their vital "
                "interests (art. 9(2)(c))."
            ),
            "data_categories": list(Category.values),
            "people": _people_in_files(),
            "recipients": _(
                "No one outside the service, except through a referral the person agreed to "
                "(see the referral entries) or where the law requires it."
            ),
            "transfers": no_transfers,
            "retention": " ".join(
                [_kept(RecordKind.CLOSED_CASE), _kept(RecordKind.INTAKE_DRAFT), _erased_after()]
            ),
            "security": security,
        }
    ]
    purposes = dict(Purpose.choices)
    for order, purpose in enumerate(purposes_in_use(), start=10):
        recipients, categories = _recipients_for(purpose)
        entries.append(
            {
                "key": f"referral:{purpose}",
                "order": order,
                "name": _("Referral: %(purpose)s") % {"purpose": purposes[purpose]},
                "purpose": _(
                    "To refer a person to a partner organisation for: %(purpose)s. Only what "
                    "they consented to share, and what the agreement with the partner covers, "
                    "is sent."
                )
                % {"purpose": purposes[purpose]},
                "lawful_basis": LawfulBasis.CONSENT,
                "special_category_condition": _(
                    "Explicit consent to share (art. 9(2)(a)), for this purpose and these "
                    "parts of the file, recorded with its date and how it was given."
                ),
                "data_categories": categories,
                "people": _("Victims who are referred, and the people named in what is sent."),
                "recipients": recipients,
                "transfers": no_transfers,
                "retention": " ".join(
                    [
                        _("The referral is kept with the case file, for as long as the file."),
                        _kept(RecordKind.EXPORT),
                    ]
                ),
                "security": security,
            }
        )
    entries += [
        {
            "key": "risk",
            "order": 2,
            "name": _("Risk assessment and safety planning"),
            "purpose": _(
                "To understand how much danger a person is in, plan with them how to stay "
                "safe, and review it when things change."
            ),
            "lawful_basis": LawfulBasis.VITAL_INTERESTS,
            "special_category_condition": _(
                "Explicit consent (art. 9(2)(a)); when a life is in danger, vital interests "
                "(art. 9(2)(c))."
            ),
            "data_categories": [
                Category.RISK,
                Category.SAFETY,
                Category.THIRD_PARTIES,
                Category.NEEDS,
            ],
            "people": _("Victims, the people they fear, and their children and dependants."),
            "recipients": _(
                "No one outside the service, unless the person agrees to a referral for their "
                "safety, or the law requires it."
            ),
            "transfers": no_transfers,
            "retention": _kept(RecordKind.CLOSED_CASE) + " " + _erased_after(),
            "security": security,
        },
        {
            "key": "access_requests",
            "order": 50,
            "name": _("Requests from people: copies of their file and erasure"),
            "purpose": _(
                "To answer people who ask for a copy of what we hold on them or for its "
                "erasure, within the deadlines of the law, and to show how we answered."
            ),
            "lawful_basis": LawfulBasis.LEGAL_OBLIGATION,
            "special_category_condition": _(
                "Establishing and defending legal claims and complying with the law "
                "(art. 9(2)(f) and (g))."
            ),
            "data_categories": [Category.IDENTITY, Category.CONTACT_DETAILS, Category.SAFETY],
            "people": _("People who ask, and anyone acting for them."),
            "recipients": _("The person who asked, through their safe channel."),
            "transfers": no_transfers,
            "retention": _kept(RecordKind.ACCESS_REQUEST) + " " + _kept(RecordKind.EXPORT),
            "security": security,
        },
        {
            "key": "breaches",
            "order": 51,
            "name": _("Breach register"),
            "purpose": _(
                "To record every personal-data breach, decide whether to tell the regulator "
                "and the people affected, and tell them in time."
            ),
            "lawful_basis": LawfulBasis.LEGAL_OBLIGATION,
            "special_category_condition": "",
            "data_categories": [Category.IDENTITY],
            "people": _("The people affected by a breach (by their case's reference)."),
            "recipients": _("%(regulator)s, when a breach is notified.")
            % {"regulator": country.current().regulator},
            "transfers": no_transfers,
            "retention": _kept(RecordKind.BREACH),
            "security": security,
        },
        {
            "key": "staff",
            "order": 60,
            "name": _("Staff accounts and the audit log"),
            "purpose": _(
                "To let staff and partners sign in, decide what each may see, and keep a "
                "record of who saw and changed what, so that misuse is found."
            ),
            "lawful_basis": LawfulBasis.LEGAL_OBLIGATION,
            "special_category_condition": "",
            "data_categories": [],
            "people": _("Staff, volunteers and the users of partner organisations."),
            "recipients": _("No one outside the service; the auditor reads the log."),
            "transfers": no_transfers,
            "retention": _(
                "Accounts are kept while the person works with the service, then "
                "deactivated. The audit log is kept whole, so that it can still be checked: "
                "it holds who, when and which record, never the values."
            ),
            "security": security,
        },
    ]
    return entries


@transaction.atomic
def processing_prefill(*, actor: Any) -> list[ProcessingActivity]:
    """Add the pre-filled entries the record does not have yet (by ``key``). An entry that
    exists is left as it is, whether or not the DPO edited it. Returns those added."""
    _require_dpo(actor)
    existing = set(ProcessingActivity.objects.exclude(key="").values_list("key", flat=True))
    added = []
    for entry in prefilled_activities():
        if entry["key"] in existing:
            continue
        fields = {"order": 1, **entry}
        fields["data_categories"] = [str(c) for c in fields["data_categories"]]
        activity = ProcessingActivity(updated_by=actor, **fields)
        activity.full_clean(exclude=NOT_CHECKED_BY_MODEL)
        activity.save()
        added.append(activity)
    return added


def _check_activity(fields: dict[str, Any]) -> None:
    categories = fields.get("data_categories")
    if categories is not None:
        unknown = set(categories) - set(Category.values)
        if unknown:
            raise ValidationError({"data_categories": _("Choose categories from the list.")})


@transaction.atomic
def processing_activity_add(*, actor: Any, **fields: Any) -> ProcessingActivity:
    _require_dpo(actor)
    fields = {k: v for k, v in fields.items() if k in ACTIVITY_FIELDS}
    _check_activity(fields)
    last = ProcessingActivity.objects.order_by("-order").values_list("order", flat=True).first()
    activity = ProcessingActivity(updated_by=actor, order=(last or 0) + 1, key="", **fields)
    activity.full_clean(exclude=NOT_CHECKED_BY_MODEL)
    activity.save()
    return activity


@transaction.atomic
def processing_activity_update(
    *, actor: Any, activity: ProcessingActivity, version: int, **changes: Any
) -> ProcessingActivity:
    """Change an entry (pre-filled or not): the next "fill in" leaves it as edited."""
    _require_dpo(actor)
    changes = {k: v for k, v in changes.items() if k in ACTIVITY_FIELDS}
    _check_activity(changes)
    activity = claim(ProcessingActivity, pk=activity.pk, version=version)
    for name, value in changes.items():
        setattr(activity, name, value)
    activity.updated_by = actor
    activity.updated_at = timezone.now()
    activity.full_clean(exclude=NOT_CHECKED_BY_MODEL)
    activity.save()
    return activity


@transaction.atomic
def processing_activity_remove(*, actor: Any, activity: ProcessingActivity, version: int) -> None:
    _require_dpo(actor)
    activity = claim(ProcessingActivity, pk=activity.pk, version=version)
    activity.delete()


def processing_export(*, actor: Any) -> bytes:
    """The record as a PDF, with an export entry for each entry in it."""
    from victimsupport.pdf import render_pdf

    _require_dpo(actor)
    activities = list(ProcessingActivity.objects.select_related("updated_by"))
    names = dict(Category.choices)
    for activity in activities:
        activity.category_labels = [names.get(c, c) for c in activity.data_categories]
    profile = country.current()
    content = render_pdf(
        "dataprotection/processing_pdf.html",
        {
            "activities": activities,
            "profile": profile,
            "produced_at": timezone.now(),
            "kept_by": actor,
        },
        title=_("Record of processing activities"),
    )
    for activity in activities:
        record_access(actor=actor, obj=activity, kind=AccessKind.EXPORT, detail={"as": "pdf"})
    return content


# --- The breach register ---------------------------------------------------------------------

_REFERENCE = re.compile(r"^BR-(\d{4})-(\d+)$")


def _next_number(year: int) -> int:
    numbers = [
        int(m.group(2))
        for ref in Breach.objects.filter(reference__startswith=f"BR-{year}-").values_list(
            "reference", flat=True
        )
        if (m := _REFERENCE.match(ref))
    ]
    return max(numbers, default=0) + 1


def _check_breach_times(errors: dict[str, Any], *, discovered_at: Any, occurred_at: Any) -> None:
    now = timezone.now()
    if discovered_at and discovered_at > now:
        errors["discovered_at"] = _("The breach cannot have been discovered in the future.")
    if occurred_at and discovered_at and occurred_at > discovered_at:
        errors["occurred_at"] = _("It cannot have happened after it was discovered.")


@transaction.atomic
def breach_log(
    *,
    actor: Any,
    discovered_at: datetime.datetime,
    occurred_at: datetime.datetime | None,
    description: str,
    data_categories: list[str],
    people_affected: int,
    measures: str = "",
) -> Breach:
    """Log a breach, its reference (BR-2026-0003) and its clock: the regulator is to be told
    within the profile's hours of its discovery."""
    _require_dpo(actor)
    errors: dict[str, Any] = {}
    _check_breach_times(errors, discovered_at=discovered_at, occurred_at=occurred_at)
    if not (description or "").strip():
        errors["description"] = _("Say what happened.")
    if set(data_categories) - set(Category.values):
        errors["data_categories"] = _("Choose categories from the list.")
    if people_affected is None or people_affected < 0:
        errors["people_affected"] = _("Give the number of people affected (0 if none).")
    if errors:
        raise ValidationError(errors)
    year = timezone.localtime(discovered_at).year
    breach = Breach(
        discovered_at=discovered_at,
        occurred_at=occurred_at,
        description=description.strip(),
        data_categories=[c for c in Category.values if c in data_categories],
        people_affected=people_affected,
        measures=(measures or "").strip(),
        regulator_due_at=discovered_at + datetime.timedelta(hours=country.current().breach_hours),
        logged_by=actor,
    )
    validate_text(breach, ["description", "measures"])
    # Two breaches logged at once: the unique reference refuses the second, which takes the
    # next number (the savepoint keeps the transaction usable).
    for _attempt in range(10):
        breach.reference = f"BR-{year}-{_next_number(year):04d}"
        try:
            with transaction.atomic():
                breach.save()
        except IntegrityError:
            breach.pk = None
            continue
        return breach
    raise ValidationError(_("The register is busy: try again in a moment."))


def _open(breach: Breach) -> Breach:
    if breach.closed_at is not None:
        raise ValidationError(_("This breach is closed: nothing more can be recorded on it."))
    return breach


def _claimed(breach: Breach, version: int | None) -> Breach:
    if version is None:
        return Breach.objects.select_for_update().get(pk=breach.pk)
    return claim(Breach, pk=breach.pk, version=version)


@transaction.atomic
def breach_decide(
    *,
    actor: Any,
    breach: Breach,
    decision: str,
    reason: str,
    people_to_be_told: bool,
    version: int | None = None,
) -> Breach:
    """Notify the regulator or not, with the reason either way (art. 33(5)), and whether the
    people affected must be told (art. 34)."""
    _require_dpo(actor)
    errors: dict[str, Any] = {}
    if decision not in (BreachDecision.NOTIFY, BreachDecision.NOT_NOTIFY):
        errors["decision"] = _("Choose whether to notify the regulator.")
    if not (reason or "").strip():
        errors["reason"] = _(
            "Give the reason for the decision: the law asks for it whether you notify or not."
        )
    if errors:
        raise ValidationError(errors)
    breach = _open(_claimed(breach, version))
    if breach.regulator_notified_at and decision != BreachDecision.NOTIFY:
        raise ValidationError(
            {"decision": _("The regulator has already been told: the decision stays “notify”.")}
        )
    breach.decision = decision
    breach.decision_reason = reason.strip()
    breach.people_to_be_told = bool(people_to_be_told)
    breach.decided_by = actor
    breach.decided_at = timezone.now()
    validate_text(breach, ["decision_reason"])
    breach.save()
    return breach


@transaction.atomic
def breach_regulator_notified(
    *,
    actor: Any,
    breach: Breach,
    notified_at: datetime.datetime,
    reference: str = "",
    version: int | None = None,
) -> Breach:
    _require_dpo(actor)
    breach = _open(_claimed(breach, version))
    errors: dict[str, Any] = {}
    if breach.decision != BreachDecision.NOTIFY:
        errors["notified_at"] = _("Record the decision to notify the regulator first.")
    elif notified_at > timezone.now():
        errors["notified_at"] = _("That time is in the future.")
    elif notified_at < breach.discovered_at:
        errors["notified_at"] = _("That is before the breach was discovered.")
    if errors:
        raise ValidationError(errors)
    breach.regulator_notified_at = notified_at
    breach.regulator_reference = (reference or "").strip()
    validate_text(breach, ["regulator_reference"])
    breach.save()
    return breach


def breach_person_told(
    *, actor: Any, breach: Breach, case_reference: str, method: str
) -> BreachNotice:
    """Record that the person of the case ``case_reference`` was told of ``breach``.

    The case is found by its exact reference; it is refused if it says do not contact, and
    the method must be one the case records as safe. ``through_safe_channel`` is set here
    from those rules, never taken from a form. Looking at the case's contact rules is an
    access: its entry is kept even when the notice is refused (the refusal is raised after
    the transaction that wrote it)."""
    _require_dpo(actor)
    with transaction.atomic():
        refusal, notice = _tell(actor=actor, breach=breach, reference=case_reference, method=method)
    if refusal is not None:
        raise refusal
    return notice


def _tell(
    *, actor: Any, breach: Breach, reference: str, method: str
) -> tuple[ValidationError | None, Any]:
    breach = _open(Breach.objects.select_for_update().get(pk=breach.pk))
    reference = (reference or "").strip().upper()
    case = Case.objects.filter(reference=reference).first() if reference else None
    if case is None:
        return ValidationError(
            {"case_reference": _("No case has this reference: check it and type it again.")}
        ), None
    # The DPO learns what the case's contact rules say: that is an access, recorded.
    record_access(actor=actor, obj=case, kind=AccessKind.LOOKUP, detail={"breach": breach.pk})
    if case.do_not_contact:
        return ValidationError(
            {
                "case_reference": _(
                    "This case is marked do not contact: the person may be in danger if we "
                    "contact them, so they are not told this way. Speak to their caseworker's "
                    "supervisor about how and when it can be done safely."
                )
            }
        ), None
    safe = set(
        ContactPreference.objects.filter(case=case, is_safe=True).values_list("method", flat=True)
    )
    if method not in ContactMethod.values:
        return ValidationError({"method": _("Choose how they were told.")}), None
    if method not in safe:
        labels = _labels(ContactMethod.choices, [m for m in ContactMethod.values if m in safe])
        if labels:
            message = _(
                "The case does not record %(method)s as safe for this person. Safe ways to "
                "reach them: %(safe)s."
            ) % {"method": dict(ContactMethod.choices)[method], "safe": labels}
        else:
            message = _(
                "The case records no safe way to contact this person: they cannot be told "
                "until their caseworker records one."
            )
        return ValidationError({"method": message}), None
    if BreachNotice.objects.filter(breach=breach, case=case).exists():
        return ValidationError({"case_reference": _("This person has already been told.")}), None
    notice = BreachNotice.objects.create(
        breach=breach, case=case, method=method, through_safe_channel=True, told_by=actor
    )
    return None, notice


@transaction.atomic
def breach_close(*, actor: Any, breach: Breach, version: int | None = None) -> Breach:
    _require_dpo(actor)
    breach = _open(_claimed(breach, version))
    if breach.decision == BreachDecision.UNDECIDED:
        raise ValidationError(_("Record the decision on notifying the regulator first."))
    if breach.decision == BreachDecision.NOTIFY and breach.regulator_notified_at is None:
        raise ValidationError(_("Record when the regulator was told first."))
    breach.closed_at = timezone.now()
    breach.save()
    return breach
