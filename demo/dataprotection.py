"""The data-protection officer's demo: a request from a person at each stage, a case due for
erasure and one under a legal hold, breaches, and the record of processing filled in.

Every step goes through the app's own services, as the DPO (Dara) and the supervisor (Sofia)
would take it, so what the demo shows is what the pages make. Run once, after the cases.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Victim
from dataprotection import clock, copy
from dataprotection.models import (
    AccessRequest,
    IdentityMethod,
    LegalHold,
    ReceivedVia,
    RecordKind,
    Redaction,
    RedactionStatus,
    RequestCase,
    RequesterKind,
    RequestKind,
    RequestReferenceCounter,
    RequestStatus,
)
from dataprotection.services import copy as copy_services
from dataprotection.services import delivery as delivery_services
from dataprotection.services import records as records_services
from dataprotection.services import requests as request_services
from dataprotection.services import retention as retention_services
from victimsupport import pdfjobs
from victimsupport.accounts.models import User

# The person feared in the worried demo cases (demo/cases.py).
FEARED_NAME = "A. Demo-Person"


def has_requests() -> bool:
    return AccessRequest.objects.exists()


def _case(index: int) -> Case:
    """The demo's cases in the order demo/cases.py made them (VS-<year>-00001 first)."""
    return Case.objects.order_by("reference")[index]


def _log(
    *, dara: User, case: Case, days_ago: int, name: str, kind: str = RequestKind.ACCESS, **extra
) -> AccessRequest:
    return request_services.access_request_log(
        actor=dara,
        kind=kind,
        received_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        received_via=extra.pop("received_via", ReceivedVia.IN_PERSON),
        requester_kind=RequesterKind.PERSON,
        requester_name=name,
        case_references=[case.reference],
        details=extra.pop("details", "A copy of everything you hold about me."),
        language=extra.pop("language", "en-gb"),
        **extra,
    )


def _checked(request: AccessRequest, dara: User) -> AccessRequest:
    return request_services.access_request_identity_check(
        actor=dara,
        request=request,
        version=request.version,
        method="known_to_staff",
        note="Known to her caseworker; seen at the office.",
    )


def _prepared(request: AccessRequest, dara: User) -> AccessRequest:
    """The draft made, every suggestion applied and every document confirmed."""
    request = copy_services.copy_draft_make(actor=dara, request=request)
    for redaction in Redaction.objects.filter(request=request, status=RedactionStatus.SUGGESTED):
        copy_services.redaction_apply(
            actor=dara, request=request, redaction=redaction, reason="Someone else's name."
        )
    _waiting, documents = copy_services.undecided(request)
    for key in documents:
        request = copy_services.document_confirm(actor=dara, request=request, item_key=key)
    return AccessRequest.objects.get(pk=request.pk)


def _mention_feared(case: Case, cara: User) -> None:
    case_services.note_add(
        case=case,
        actor=cara,
        body=f"She says {FEARED_NAME} waited outside her work again on Monday; she left by "
        "the back door and called us from a friend's phone.",
    )


def seed_dataprotection(*, dara: User, sofia: User, cara: User) -> None:
    today = timezone.localdate()

    # 1. Just received: the identity is still to be checked.
    _log(dara=dara, case=_case(1), days_ago=2, name="Lena Vos", received_via=ReceivedVia.PHONE)

    # 2. Asked in the name of the person a case records as feared: flagged, waiting for the
    # DPO's decision before anything else can happen.
    _log(
        dara=dara,
        case=_case(0),
        days_ago=1,
        name=FEARED_NAME,
        received_via=ReceivedVia.EMAIL,
        details="I want to see everything she has said about me.",
    )

    # 3. Being prepared: the draft is made and the feared person's name is suggested for
    # redaction where a note mentions it.
    preparing = _case(2)
    _mention_feared(preparing, cara)
    request = _checked(_log(dara=dara, case=preparing, days_ago=12, name="Sofie Janssens"), dara)
    copy_services.copy_draft_make(actor=dara, request=request)

    # 4. Waiting for review: prepared by Dara, for Sofia (the case's team's supervisor) to
    # read and sign off.
    in_review = _case(4)
    _mention_feared(in_review, cara)
    request = _prepared(
        _checked(_log(dara=dara, case=in_review, days_ago=18, name="Yasmin El Idrissi"), dara),
        dara,
    )
    copy_services.copy_submit_for_review(actor=dara, request=request)

    # 5. Signed off, to deliver: in French, the language the person reads.
    approved = _case(10)
    request = _prepared(
        _checked(
            _log(dara=dara, case=approved, days_ago=20, name="Rosa Lindqvist", language="fr"),
            dara,
        ),
        dara,
    )
    request = copy_services.copy_submit_for_review(actor=dara, request=request)
    copy_services.copy_sign_off(
        actor=sofia,
        request=request,
        note="Read in full; fine to send.",
        digest=copy.digest(copy.review_copy(request)),
    )

    # 6. Delivered: the final copy made now (the worker would), handed over at the office.
    delivered = _case(7)
    request = _prepared(
        _checked(_log(dara=dara, case=delivered, days_ago=26, name="Chloe Martin"), dara), dara
    )
    request = copy_services.copy_submit_for_review(actor=dara, request=request)
    request = copy_services.copy_sign_off(
        actor=sofia, request=request, digest=copy.digest(copy.review_copy(request))
    )
    delivery, job = delivery_services.delivery_prepare(actor=dara, request=request)
    pdfjobs.produce_document.func(job._meta.label_lower, str(job.pk))
    job.refresh_from_db()
    delivery = delivery_services.delivery_store(actor=dara, request=request, job=job)
    delivery_services.delivery_hand_over(actor=dara, delivery=delivery, via=ReceivedVia.IN_PERSON)

    # 7. Overdue: received forty days ago and still being prepared.
    _checked(_log(dara=dara, case=_case(8), days_ago=40, name="Nadia Haddad"), dara)

    # 8. Extended: a request about two files, with the person told in time.
    request = _checked(
        _log(
            dara=dara,
            case=_case(6),
            days_ago=25,
            name="Hanna Berg",
            received_via=ReceivedVia.LETTER,
        ),
        dara,
    )
    received = request.received_on
    request_services.access_request_extend(
        actor=dara,
        request=request,
        version=request.version,
        extended_to=request.due_on + datetime.timedelta(days=30),
        reason="Her file holds many documents from three partners; each needs reading.",
        told_on=max(received, today - datetime.timedelta(days=3)),
        told_via="in_person",
    )

    # 9. An erasure request, identity checked, waiting for the DPO's decision.
    _checked(
        _log(
            dara=dara,
            case=_case(9),
            days_ago=5,
            name="Eva Novak",
            kind=RequestKind.ERASURE,
            details="Please delete my file now that I have moved on.",
        ),
        dara,
    )

    # Retention: the closed case (support completed) closed long enough ago to be due, and a
    # legal hold on another case while a court case runs.
    closed = Case.objects.filter(status=Case.Status.CLOSED).order_by("reference").first()
    if closed is not None:
        period = retention_services.retention_days(RecordKind.CLOSED_CASE)
        long_ago = timezone.now() - datetime.timedelta(days=period + 40)
        # Demo data only: the case is made today, so its closure is moved back in time.
        Case.objects.filter(pk=closed.pk).update(closed_at=long_ago)
    retention_services.legal_hold_place(
        actor=dara,
        case=_case(3),
        reason="Family court proceedings: the court may ask for the file.",
        review_on=today + datetime.timedelta(days=90),
    )
    retention_services.retention_due(today=today)

    # Breaches: one discovered this morning (the clock runs), one notified and told.
    records_services.breach_log(
        actor=dara,
        discovered_at=timezone.now() - datetime.timedelta(hours=20),
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        description="A laptop with an unencrypted spreadsheet of appointment times was left on "
        "a train.",
        data_categories=["identity", "contact_details"],
        people_affected=14,
        measures="Asked the rail company; the spreadsheet was deleted from shared drives.",
    )
    breach = records_services.breach_log(
        actor=dara,
        discovered_at=timezone.now() - datetime.timedelta(days=9),
        occurred_at=timezone.now() - datetime.timedelta(days=10),
        description="A letter meant for one person was posted to another person's address.",
        data_categories=["contact_details", "needs"],
        people_affected=1,
        measures="The letter was returned unopened; the address list was corrected.",
    )
    breach = records_services.breach_decide(
        actor=dara,
        breach=breach,
        decision="notify",
        reason="The letter named the service: it could tell someone she is a client.",
        people_to_be_told=True,
    )
    records_services.breach_regulator_notified(
        actor=dara,
        breach=breach,
        notified_at=breach.discovered_at + datetime.timedelta(hours=30),
        reference="BN-DEMO-0042",
    )
    records_services.breach_person_told(
        actor=dara, breach=breach, case_reference=_case(1).reference, method="phone"
    )

    records_services.processing_prefill(actor=dara)


# --- The bulk seeder's part (demo/bulk.py) -----------------------------------------------------

# Of the cases, the share whose person asked for a copy of their file, and the share under a
# legal hold (a court case keeps the file past its retention).
REQUEST_SHARE = 0.004
HOLD_SHARE = 0.002


class BulkRequests:
    """The data-protection officer's work on one batch's cases: requests for a copy by the
    person (most delivered within the month, a few withdrawn, the recent ones still open) and
    legal holds. Requests are logged by the DPO and signed off by the case's team supervisor,
    as the services require."""

    def __init__(self, batch: Any) -> None:
        self.batch = batch
        self.rng = batch.rng
        self.now = batch.now
        self.dpo = User.objects.filter(email__iexact="dpo@demo.example").first()
        self.requests: list[AccessRequest] = []

    def add(self, case: Case, team: Any, worker: User, opened: Any, end: Any) -> None:
        rng = self.rng
        if self.dpo is None:
            return
        if rng.random() < HOLD_SHARE:
            placed = self.batch._when(opened, end)
            self.batch._add(
                LegalHold(
                    case=case,
                    reason="Criminal proceedings are pending; the court may ask for the file.",
                    review_on=(placed + datetime.timedelta(days=365)).date(),
                    placed_by=team.supervisor,
                    placed_at=placed,
                )
            )
        if rng.random() >= REQUEST_SHARE:
            return
        victim = self.batch.rows[Victim][-1]  # this case's, added just before
        received_at = self.batch._when(opened, self.now)
        received = timezone.localtime(received_at).date()
        request = AccessRequest(
            id=uuid.uuid4(),
            reference="",  # numbered with the batch's cases
            kind=RequestKind.ACCESS,
            received_on=received,
            received_via=rng.choice(list(ReceivedVia.values)),
            requester_kind=RequesterKind.PERSON,
            requester_name=f"{victim.given_name} {victim.family_name}",
            details="A copy of everything you hold about me.",
            logged_by=self.dpo,
            logged_at=received_at,
            due_on=clock.due_date(received),
            language="en-gb",
        )
        age = (self.now - received_at).days
        if age > 35 or rng.random() < 0.3:
            checked = received_at + datetime.timedelta(days=rng.randint(1, 5))
            request.identity_method = IdentityMethod.KNOWN_TO_STAFF
            request.identity_note = "Known to her caseworker."
            request.identity_checked_by, request.identity_checked_at = self.dpo, checked
            request.status = RequestStatus.PREPARING
            if age > 35:
                closed = checked + datetime.timedelta(days=rng.randint(5, 20))
                if rng.random() < 0.08:
                    request.status = RequestStatus.WITHDRAWN
                else:
                    request.status = RequestStatus.DELIVERED
                    request.prepared_by = self.dpo
                    request.draft_made_at = checked
                    request.reviewed_by = team.supervisor
                    request.reviewed_at = closed - datetime.timedelta(days=1)
                request.closed_at, request.closed_by = closed, self.dpo
        self.batch._add(request)
        self.batch._add(RequestCase(request=request, case=case))
        self.requests.append(request)

    def number(self) -> None:
        """References DP-<year>-NNNN, in order of receipt, each year's block taken in a
        short transaction of its own (as the cases' numbers)."""
        by_year: dict[int, list[AccessRequest]] = {}
        for request in sorted(self.requests, key=lambda r: r.logged_at):
            by_year.setdefault(request.received_on.year, []).append(request)
        for year, group in by_year.items():
            with transaction.atomic():
                counter, _ = RequestReferenceCounter.objects.select_for_update().get_or_create(
                    year=year
                )
                first = counter.last + 1
                counter.last += len(group)
                counter.save(update_fields=["last"])
            for number, request in enumerate(group, start=first):
                request.reference = f"DP-{year}-{number:04d}"

    def save(self, report: Any) -> list[Any]:
        return []
