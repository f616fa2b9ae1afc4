"""Small builders for test data. Named people, as in the specifications:
Cara is a caseworker in the North team, Sofia supervises North, Sam works in South,
Oscar has no role at all."""

from __future__ import annotations

import datetime
import io
import itertools
import re
import signal
import uuid
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from pypdf import PdfWriter

from cases.models import Case
from cases.services import case_create
from referrals.models import (
    SHAREABLE,
    Agreement,
    OrganisationKind,
    PartnerMembership,
    PartnerOrganisation,
    Purpose,
    Referral,
    SharingConsent,
)
from risk import engine
from risk import services as risk_services
from risk.models import InstrumentVersion, TrainingRecord
from victimsupport.access import Role, sync_roles
from victimsupport.accounts.models import Team, User
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_team(name: str | None = None) -> Team:
    return Team.objects.get_or_create(name=name or f"Team {next(_seq)}")[0]


def make_user(
    name: str = "user",
    *,
    role: str | None = None,
    teams: tuple[Team, ...] = (),
    password: str = PASSWORD,
    **extra: Any,
) -> User:
    sync_roles()
    email = f"{name.lower()}{next(_seq)}@test.example"
    user = User.objects.create_user(
        username=email, email=email, password=password, first_name=name, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    if teams:
        user.teams.add(*teams)
    return user


def make_partner(
    name: str | None = None, *, kind: str = OrganisationKind.REFUGE, **fields: Any
) -> PartnerOrganisation:
    """A partner organisation (an active refuge unless told otherwise)."""
    fields.setdefault("channel", "accounts")
    return PartnerOrganisation.objects.create(
        name=name or f"Partner {next(_seq)}", kind=kind, **fields
    )


def make_agreement(
    partner: PartnerOrganisation,
    *,
    purposes: tuple[str, ...] = tuple(Purpose.values),
    categories: tuple[str, ...] | frozenset[str] = SHAREABLE,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    recorded_by: User | None = None,
    **fields: Any,
) -> Agreement:
    """A data-sharing agreement valid today (a year either side) covering everything
    shareable, unless told otherwise."""
    today = timezone.localdate()
    return Agreement.objects.create(
        partner=partner,
        type=fields.pop("type", Agreement.Type.DATA_SHARING),
        purposes=list(purposes),
        categories=sorted(categories),
        valid_from=valid_from or today - datetime.timedelta(days=365),
        valid_to=valid_to or today + datetime.timedelta(days=365),
        recorded_by=recorded_by or make_user("Keeper", role=Role.SUPERVISOR),
        **fields,
    )


def make_sharing_consent(
    case: Case,
    partner: PartnerOrganisation | None = None,
    *,
    purpose: str = Purpose.SAFETY,
    categories: tuple[str, ...] | frozenset[str] = SHAREABLE,
    recorded_by: User | None = None,
    **fields: Any,
) -> SharingConsent:
    """A consent to share with ``partner`` (or, with ``partner_kind=``, any partner of a
    kind) for ``purpose``, valid today, covering everything shareable unless told otherwise."""
    return SharingConsent.objects.create(
        case=case,
        partner=partner,
        purpose=purpose,
        categories=sorted(categories),
        method=fields.pop("method", "verbal"),
        recorded_by=recorded_by or case.assigned_to or make_user("Recorder"),
        **fields,
    )


def partner_user(partner: PartnerOrganisation, name: str = "Pat") -> User:
    """A member of ``partner`` with the partner role."""
    user = make_user(name, role=Role.PARTNER)
    PartnerMembership.objects.create(user=user, partner=partner)
    return user


PACKAGE_HTML = '<section class="package-part"><h3>Needs</h3><p>Needs a refuge place</p></section>'


def sent_referral(
    case: Case,
    partner: PartnerOrganisation,
    *,
    by: User | None = None,
    package: str = PACKAGE_HTML,
    **fields: Any,
) -> Referral:
    """A referral of ``case`` already sent to ``partner``, as the send service leaves it (its
    package rendered then); ``status=`` and the rest may be given."""
    sender = by or case.assigned_to or make_user("Sender", role=Role.CASEWORKER)
    now = timezone.now()
    # Sent as the service sends: under an agreement and a consent that cover it (unless given,
    # or sent on an approved override).
    categories = fields.get("categories", ["needs"])
    purpose = fields.get("purpose", Purpose.HOUSING)
    if "agreement" not in fields:
        fields["agreement"] = make_agreement(partner, recorded_by=sender)
    if "consent" not in fields and not fields.get("override_approved"):
        fields["consent"] = make_sharing_consent(
            case, partner, purpose=purpose, categories=categories, recorded_by=sender
        )
    fields.setdefault("status", Referral.Status.SENT)
    fields.setdefault("sent_at", now)
    return Referral.objects.create(
        case=case,
        partner=partner,
        purpose=fields.pop("purpose", Purpose.HOUSING),
        message=fields.pop("message", "Please call her on the safe number"),
        categories=fields.pop("categories", ["needs"]),
        package=package,
        created_by=sender,
        sent_by=sender,
        **fields,
    )


def make_case(*, team: Team, assigned_to: User | None = None) -> Case:
    return case_create(team=team, assigned_to=assigned_to)


def caseworker(team: Team, name: str = "Cara") -> User:
    return make_user(name, role=Role.CASEWORKER, teams=(team,))


def with_totp(user: User) -> str:
    """Give ``user`` an activated authenticator app; return its secret (to make codes)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_secret(user: User) -> str:
    """The secret of ``user``'s authenticator app, read back (to make codes in a browser)."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    data = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data
    return get_adapter().decrypt(data["secret"])


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def supervisor(team: Team, name: str = "Sofia") -> User:
    """A supervisor who has set up two-factor authentication, as their role requires."""
    user = make_user(name, role=Role.SUPERVISOR, teams=(team,))
    with_totp(user)
    return user


def dpo(name: str = "Dana") -> User:
    """A data-protection officer, with two-factor authentication set up."""
    user = make_user(name, role=Role.DATA_PROTECTION_OFFICER)
    with_totp(user)
    return user


def make_access_request(
    *cases: Case,
    logged_by: User,
    received_on: datetime.date | None = None,
    requester_name: str = "Alex Martin",
    identity_checked: bool = True,
    **fields: Any,
) -> Any:
    """An access request about ``cases``, logged (and its identity checked) by ``logged_by``,
    written directly (tests of the later steps start from here)."""
    from dataprotection import clock
    from dataprotection.models import AccessRequest, RequestCase, RequestStatus

    received_on = received_on or timezone.localdate()
    now = timezone.now()
    fields.setdefault(
        "status", RequestStatus.PREPARING if identity_checked else RequestStatus.RECEIVED
    )
    if identity_checked:
        fields.setdefault("identity_method", "known_to_staff")
        fields.setdefault("identity_checked_by", logged_by)
        fields.setdefault("identity_checked_at", now)
    request = AccessRequest.objects.create(
        reference=f"DP-T-{next(_seq):05d}",
        received_on=received_on,
        received_via="in_person",
        requester_name=requester_name,
        logged_by=logged_by,
        due_on=clock.due_date(received_on),
        language="en",
        **fields,
    )
    for case in cases:
        RequestCase.objects.create(request=request, case=case)
    return request


def make_full_case(worker: User, *, team: Team | None = None, **person: Any) -> Case:
    """A case taken in through every intake step, as a caseworker would."""
    from cases import intake
    from cases.models import ConfidentialityNotice

    notice = ConfidentialityNotice.objects.first() or ConfidentialityNotice.objects.create(
        version=1, title="Confidentiality", body="What we keep and when we must share it."
    )
    draft = intake.draft_start(owner=worker, team=team or worker.teams.first())
    intake.draft_save_step(
        draft=draft,
        step="safety",
        answers={"safe_to_talk": "yes", "phone_safe": True, "phone_times": "Mornings"},
    )
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    n = next(_seq)
    answers = {
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "phone": f"+3260000{n:04d}",
        "email": f"person{n}@example.org",
        "date_of_birth": "1990-01-01",
        **person,
    }
    intake.draft_save_step(draft=draft, step="person", answers=answers)
    intake.draft_save_step(
        draft=draft,
        step="screening",
        answers={
            "ongoing_threat": "no",
            "ongoing_victimisation": "no",
            "fearful": "no",
            "victim_view": "low",
        },
    )
    intake.draft_save_step(draft=draft, step="needs", answers={"crime_reported": "no"})
    intake.draft_save_step(
        draft=draft, step="consent", answers={"processing": "yes", "method": "verbal"}
    )
    return intake.intake_finish(draft_id=draft.pk, actor=worker)


# Risk: the shipped instrument, a full set of answers, training that allows finalising.


def default_version():
    # A transactional test before this one may have flushed what the migrations loaded.
    from risk.services import ensure_shipped_instruments

    ensure_shipped_instruments()
    return InstrumentVersion.objects.get(instrument__key="default")


def full_answers(strangulation: str = "no", threat: str = "no") -> dict:
    definition = default_version().definition
    answers = {q["key"]: "no" for q in engine.questions(definition) if q["type"].startswith("yes")}
    answers.update(
        ongoing_threat=threat,
        strangulation=strangulation,
        recent="longer",
        likely_again=2,
        own_fear=2,
        kinds=["control"],
    )
    return answers


def train(user: User, **kwargs: Any):
    return TrainingRecord.objects.create(
        user=user,
        course="Risk assessment in practice",
        completed_on=kwargs.get("completed_on", timezone.localdate() - datetime.timedelta(days=10)),
        expires_on=kwargs.get("expires_on"),
        provider="Regional network",
        recorded_by=user,
    )


OVERRIDE_REASON = "Threats to kill reported by the police yesterday, not yet disclosed."


def finalise_overridden(case: Case, worker: User, reason: str = OVERRIDE_REASON):
    """A finalised assessment whose level was raised by hand (``worker`` must be trained)."""
    version = default_version()
    assessment = risk_services.assessment_start(case=case, actor=worker, version=version)
    return risk_services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=worker,
        answers=full_answers(),
        override_level="high",
        override_reason=reason,
    )


def add_risk(case: Case, worker: User):
    """An overridden assessment, a trigger and a safety action; returns the action."""
    finalise_overridden(case, worker)
    risk_services.trigger_record(
        case=case, actor=worker, kind="court", occurred_on=timezone.localdate(), note="Hearing set"
    )
    return risk_services.safety_action_add(
        case=case,
        actor=worker,
        kind="accommodation",
        description="Refuge place in another town",
        owner_other="Themselves",
    )


def blank_pdf() -> bytes:
    """A real one-page PDF: uploads are parsed and checked for active content."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# Audit assertions: every test of a view of case data checks the entry it writes.


def audit_mark() -> int:
    """The last sealed entry's number: pass it as ``since`` to look only at what follows."""
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _entries(obj: Any, action: int, since: int) -> Any:
    return AuditEntry.objects.get_for_object(obj).filter(action=action, seq__gt=since)


def assert_accessed(
    obj: Any, kind: AccessKind | str, actor: Any, *, since: int = 0, **detail: Any
) -> AuditEntry:
    """An access entry of ``kind`` for ``obj`` by ``actor`` (after ``since``), whose detail
    holds ``detail``; returns the latest such entry."""
    entries = _entries(obj, AuditEntry.Action.ACCESS, since).filter(
        additional_data__access=str(kind), actor=actor
    )
    found = [e for e in entries.order_by("seq") if detail.items() <= e.additional_data.items()]
    seen = [(e.actor_id, e.additional_data) for e in _entries(obj, AuditEntry.Action.ACCESS, since)]
    assert found, f"no {kind} entry for {obj._meta.label} by {actor} with {detail}; saw {seen}"
    return found[-1]


def assert_not_accessed(obj: Any, *, since: int = 0) -> None:
    entries = _entries(obj, AuditEntry.Action.ACCESS, since)
    assert not entries.exists(), [e.additional_data for e in entries]


_ANYONE = object()


def assert_changed(
    obj: Any, action: int = AuditEntry.Action.UPDATE, actor: Any = _ANYONE, *, since: int = 0
) -> AuditEntry:
    """A change entry (create, update or delete) for ``obj``, by ``actor`` when given."""
    entries = _entries(obj, action, since)
    if actor is not _ANYONE:
        entries = entries.filter(actor=actor)
    entry = entries.order_by("seq").last()
    assert entry is not None, f"no change entry ({action}) for {obj._meta.label} {obj.pk}"
    return entry


# The raw database, for canary scans: what an attacker with a copy of the file would see.


def raw_database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        parts = [name.read_bytes()]
        for suffix in ("-journal", "-wal"):
            side = name.with_name(name.name + suffix)
            if side.exists():
                parts.append(side.read_bytes())
        return b"".join(parts)
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT t::text FROM {quoted} AS t")  # noqa: S608
            chunks.extend(row[0].encode() for row in cursor.fetchall())
    return b"\n".join(chunks)


# The intake as a browser sends it: one answer set per step.

INTAKE_SAFETY = {
    "safe_to_talk": "yes",
    "phone_safe": "on",
    "phone_times": "Weekdays 10-12 only",
    "email_times": "",
    "code_word": "blue umbrella",
}
INTAKE_NOTICE = {"method": "verbal", "understood": "on"}
INTAKE_PERSON = {
    "given_name": "Mira",
    "family_name": "Okafor",
    "preferred_name": "M",
    "date_of_birth": "1988-04-12",
    "phone": "+44 20 7946 0011",
    "email": "mira@example.org",
    "address": "12 Quiet Lane",
    "language": "English",
    "feared_name": "R. Okafor",
    "feared_relationship": "ex-partner",
}
INTAKE_SCREENING = {
    "ongoing_threat": "yes",
    "ongoing_victimisation": "no",
    "fearful": "yes",
    "victim_view": "high",
    "victim_words": "He said he would find me",
}
INTAKE_NEEDS = {
    "categories": ["housing", "legal"],
    "details": "Needs a refuge",
    "crime_reported": "no",
}
INTAKE_CONSENT = {"processing": "yes", "method": "verbal"}
INTAKE_STEPS = [
    ("safety", INTAKE_SAFETY),
    ("notice", INTAKE_NOTICE),
    ("person", INTAKE_PERSON),
    ("screening", INTAKE_SCREENING),
    ("needs", INTAKE_NEEDS),
    ("consent", INTAKE_CONSENT),
]


def intake_start(client) -> str:
    response = client.post("/cases/intake/")
    assert response.status_code == 302
    return response["Location"].split("/")[3]


def intake_step_url(draft_id: str, step: str) -> str:
    return f"/cases/intake/{draft_id}/{step}/"


def intake_walk(client, draft_id: str, steps=INTAKE_STEPS, **overrides) -> None:
    for step, data in steps:
        data = {**data, **overrides.get(step, {})}
        response = client.post(intake_step_url(draft_id, step), data)
        assert response.status_code == 302, (step, response.content[:2000])


# URLs: each pattern filled with well-formed samples.

URL_SAMPLES = {
    "int": "1",
    "uuid": str(uuid.uuid4()),
    "slug": "x",
    "str": "x",
    "path": "x",
}
URL_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_sample(match: re.Match[str]) -> str:
    return URL_SAMPLES.get(match.group(1) or "str", "x")


def case_urls(pk) -> list[str]:
    """Every URL pattern that takes a case id, filled in with ``pk``."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = getattr(p.pattern, "_route", None)
            if route is None:
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif "<uuid:pk>" in prefix + route or "<uuid:case_pk>" in prefix + route:
                # A case's own pages name it ``pk``; another app's pages under a case name
                # it ``case_pk`` (their ``pk`` is their own object's).
                full = (prefix + route).replace("<uuid:pk>", str(pk))
                full = full.replace("<uuid:case_pk>", str(pk))
                # Other ids get a well-formed sample, so the view itself (not the URL
                # resolver) answers for them: an export job's UUID, for instance.
                found.append("/" + URL_CONVERTER.sub(url_sample, full))

    walk(get_resolver().url_patterns)
    return found


def run_worker():
    """Run the real database worker until the queue is empty."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO()
        )
    finally:  # the worker installs its own signal handlers; give pytest back its own
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


# --- Retention and erasure (issue 13) ----------------------------------------------------------


def make_erasable_case(worker: User, *, closed_days_ago: int = 0) -> tuple[Case, list[bytes]]:
    """A full case with a canary in every encrypted field and blind index of every row it owns
    or that tells of the person (the person, a third party, a note, a document, risk, a
    referral with its package and protected PDF, an export job, its intake draft, a delivered
    access request with every field, its copy job, delivery, redaction and withholding, an
    earlier refused erasure with its reason), closed
    ``closed_days_ago`` days ago. Returns the case and the canaries' bytes: the plaintexts and
    the values as stored (ciphertexts, blind-index digests), which an erasure must leave
    nowhere in the database."""
    from cases import services as case_services
    from cases.models import ExportJob, ThirdParty
    from dataprotection.models import (
        AccessRequest,
        CopyJob,
        Delivery,
        Erasure,
        ErasureStatus,
        Exemption,
        Redaction,
        RequestStatus,
        Withholding,
    )
    from referrals import services as referral_services
    from tests.core.test_canary import canary_for
    from victimsupport import casefile
    from victimsupport.crypto.fields import blind_index_fields, encrypted_fields

    case = make_full_case(worker)
    ThirdParty.objects.create(case=case, role="feared", name="Feared Person")
    case_services.note_add(case=case, actor=worker, body="A note")
    case_services.document_add(
        case=case,
        actor=worker,
        name="letter.pdf",
        content_type="application/pdf",
        data=blank_pdf(),
    )
    train(worker)
    add_risk(case, worker)
    referral = sent_referral(case, make_partner("Refuge for erasure"), by=worker)
    referral_services.protected_package_create(referral=referral, actor=worker)
    referral.status = Referral.Status.COMPLETED
    referral.save()
    now = timezone.now()
    ExportJob.objects.create(
        case=case,
        requested_by=worker,
        expires_at=now + datetime.timedelta(hours=1),
        status=ExportJob.Status.DONE,
        pdf=blank_pdf(),
    )
    keeper = dpo(f"Keeper{next(_seq)}")
    request = make_access_request(
        case,
        logged_by=keeper,
        status=RequestStatus.DELIVERED,
        closed_at=now,
        approved_html="<p>copy</p>",
    )
    CopyJob.objects.create(
        request=request,
        requested_by=keeper,
        expires_at=now + datetime.timedelta(hours=1),
        status=CopyJob.Status.DONE,
        pdf=blank_pdf(),
    )
    # What the copy's preparation and delivery left on the request.
    delivery = Delivery.objects.create(
        request=request,
        pdf=blank_pdf(),
        passphrase="x",
        link_id=f"link{next(_seq):028d}",
        link_secret_hash="e" * 64,
        link_expires_at=now,
        created_by=keeper,
    )
    redaction = Redaction.objects.create(
        request=request, item_key=f"section:people:{case.pk}", term="x", kind="feared"
    )
    withholding = Withholding.objects.create(
        request=request,
        item_key="note:1",
        exemption=Exemption.choices[0][0],
        reason="x",
        decided_by=keeper,
    )
    # An earlier erasure of the case, refused with a reason.
    refused = Erasure.objects.create(
        case=case,
        case_reference=case.reference,
        basis=Erasure.Basis.SCHEDULE,
        status=ErasureStatus.KEPT,
        due_since=now.date(),
        kept_grounds=["court_case"],
        kept_reason="x",
    )
    case_services.case_close(case=case, actor=worker, reason="Support ended")
    Case.objects.filter(pk=case.pk).update(closed_at=now - datetime.timedelta(days=closed_days_ago))
    case.refresh_from_db()

    # Every row the case owns, with every encrypted field set to a canary.
    rows: list[Any] = []
    for model, path in casefile.case_models():
        if model._meta.label.startswith("dataprotection."):
            continue
        rows += list(model._default_manager.filter(**{path: case}))
    rows += [case.intake_draft, request, delivery, redaction, withholding, refused]
    rows += list(CopyJob.objects.filter(request=request))
    canaries: list[bytes] = []
    for row in rows:
        values = {}
        for field in encrypted_fields(type(row)):
            values[field.name], needle = canary_for(field, type(row)._meta.model_name)
            canaries.append(needle)
        # Written around save(): a finalised assessment refuses to be saved again.
        type(row)._default_manager.filter(pk=row.pk).update(**values)
    # The request's blind index (of the name, under the third parties' key) follows a save.
    AccessRequest.objects.get(pk=request.pk).save()
    # And the values as the database holds them: small ones, whole on their page.
    with connection.cursor() as cursor:
        for row in rows:
            model = type(row)
            stored = list(encrypted_fields(model)) + list(blind_index_fields(model))
            for field in stored:
                table = connection.ops.quote_name(model._meta.db_table)
                column = connection.ops.quote_name(field.column)
                cursor.execute(
                    f"SELECT {column} FROM {table} WHERE {model._meta.pk.column} = %s",  # noqa: S608
                    [model._meta.pk.get_db_prep_value(row.pk, connection)],
                )
                value = cursor.fetchone()[0]
                if value is None:
                    continue
                raw = value if isinstance(value, bytes) else str(value).encode()
                if 24 <= len(raw) <= 300:
                    middle = len(raw) // 2
                    canaries.append(raw[middle - 12 : middle + 12])
    return case, canaries


# --- Data protection: delivery of the copy (issue 13, delivery part) -------------------------


def approved_request(
    *cases: Case,
    logged_by: User,
    html: str = "<h1>Your file</h1><p>Notes kept about you.</p>",
    **fields: Any,
) -> Any:
    """An access request whose copy is signed off (``approved_html`` and its digest written
    directly, status APPROVED): where the delivery starts."""
    import hashlib

    from dataprotection.models import RequestStatus

    fields.setdefault("reviewed_by", logged_by)
    fields.setdefault("reviewed_at", timezone.now())
    language = fields.pop("language", "en")  # make_access_request writes "en" itself
    request = make_access_request(*cases, logged_by=logged_by, **fields)
    request.language = language
    request.approved_html = html
    request.approved_digest = hashlib.sha256(html.encode()).hexdigest()
    request.status = RequestStatus.APPROVED
    request.save()
    return request


# --- Premises (issue 14): sites and their records, written directly (tests of the pages and
# services start from here). Each takes the site and whoever records it.

REFUGE_ADDRESS = "12 Lantern Row, Harbourside"


def make_site(
    team: Team,
    *,
    kind: str = "office",
    name: str | None = None,
    address: str | None = None,
    created_by: User | None = None,
    **fields: Any,
) -> Any:
    from premises.models import Opening, Site

    fields.setdefault(
        "opening", Opening.RESIDENTS_ONLY if kind == "refuge" else Opening.APPOINTMENT_ONLY
    )
    return Site.objects.create(
        team=team,
        kind=kind,
        name=name or f"{team.name} {kind} {next(_seq)}",
        address=address or (REFUGE_ADDRESS if kind == "refuge" else f"{next(_seq)} Market Street"),
        created_by=created_by or make_user(f"Admin{next(_seq)}"),
        **fields,
    )


def checklist_version() -> Any:
    """The published premises checklist shipped with the application (installed again if a
    test emptied the database)."""
    from premises.models import ChecklistVersion
    from premises.services.assessments import ensure_shipped_checklists

    ensure_shipped_checklists()
    return (
        ChecklistVersion.objects.filter(status="published", template__key="premises-security")
        .order_by("-version")
        .first()
    )


def make_security_assessment(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import SecurityAssessment

    fields.setdefault("checklist", checklist_version())
    return SecurityAssessment.objects.create(site=site, started_by=by, **fields)


def make_finding(assessment: Any, by: User, **fields: Any) -> Any:
    from premises.models import Finding

    fields.setdefault("description", "The back door does not close by itself.")
    fields.setdefault("likelihood", 3)
    fields.setdefault("impact", 4)
    return Finding.objects.create(
        assessment=assessment, site=assessment.site, recorded_by=by, **fields
    )


def make_site_action(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import SiteAction

    fields.setdefault("source", "assessment")
    fields.setdefault("description", "Fit a door closer.")
    fields.setdefault("owner", by)
    fields.setdefault("due_on", timezone.localdate() + datetime.timedelta(days=30))
    return SiteAction.objects.create(site=site, created_by=by, **fields)


def small_image(content_type: str = "image/jpeg", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real image, without metadata (as the core's cleaning stores it)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (120, 140, 160)).save(
        out, format="JPEG" if content_type == "image/jpeg" else "PNG"
    )
    return out.getvalue()


def make_photo(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import SitePhoto

    data = small_image()
    fields.setdefault("caption", "The entrance, seen from inside")
    fields.setdefault("taken_on", timezone.localdate())
    return SitePhoto.objects.create(
        site=site,
        uploaded_by=by,
        content_type="image/jpeg",
        size=len(data),
        width=64,
        height=48,
        content=data,
        preview=data,
        **fields,
    )


def make_escape_plan(site: Any, by: User, *, approved: bool = True, **fields: Any) -> Any:
    from premises.models import EscapePlan

    fields.setdefault("version", site.escape_plans.count() + 1)
    fields.setdefault("routes", "Out through the garden gate, or the front door.")
    fields.setdefault("assembly_point", "The car park across the road")
    fields.setdefault("roles", "The duty worker takes the visitors' list.")
    if approved:
        fields.setdefault("status", "approved")
        fields.setdefault("approved_by", by)
        fields.setdefault("approved_at", timezone.now())
    return EscapePlan.objects.create(site=site, created_by=by, **fields)


def make_drill(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import Drill

    fields.setdefault("held_on", timezone.localdate())
    fields.setdefault("scenario", "intruder")
    fields.setdefault("minutes_taken", 6)
    fields.setdefault("lessons", "The alarm button in room B was hard to reach.")
    drill = Drill.objects.create(site=site, recorded_by=by, **fields)
    drill.participants.add(by)
    return drill


def make_incident(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import PremisesIncident

    fields.setdefault("kind", "threat_at_door")
    fields.setdefault("occurred_at", timezone.now() - datetime.timedelta(hours=3))
    fields.setdefault("description", "A man asked at the door for a resident by name.")
    return PremisesIncident.objects.create(site=site, recorded_by=by, **fields)


def make_safety_page(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import SafetyPage

    fields.setdefault("number", site.safety_pages.count() + 1)
    fields.setdefault("title_en", "Your safety here")
    fields.setdefault("body_en", "The door is always locked. We see people by appointment.")
    fields.setdefault("title_fr", "Votre sécurité ici")
    fields.setdefault(
        "body_fr", "La porte est toujours fermée à clé. Nous recevons sur rendez-vous."
    )
    if fields.get("status") == "published":
        fields.setdefault("published_by", by)
        fields.setdefault("published_at", timezone.now())
    return SafetyPage.objects.create(site=site, written_by=by, **fields)


def make_sensitive_term(site: Any, by: User, **fields: Any) -> Any:
    from premises.models import SensitiveTerm

    fields.setdefault("kind", "door_code")
    fields.setdefault("term", "4711")
    return SensitiveTerm.objects.create(site=site, added_by=by, **fields)
