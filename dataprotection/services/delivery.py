"""Delivering the signed-off copy: the protected PDF, its passphrase by the person's safe
channel, and either a one-time download link or a hand-over in person.

The steps, each audited:

1. ``delivery_prepare``: a fresh passphrase, and the worker asked for the final PDF (the HTML
   signed off, in the person's language, AES-256 under that passphrase);
2. ``delivery_store``: the finished PDF copied from its job (which expires in a day) onto the
   delivery, where it lasts as long as the link: by the DPO's POST, or by the next step
   (``passphrase_sent``, ``delivery_link_create``, ``delivery_hand_over``) if not yet done;
   never by opening the page;
3. ``passphrase_sent``: the passphrase told by a method every case of the request records as
   safe; a case marked do-not-contact blocks it;
4. ``delivery_link_create`` (the person downloads it once, within ``LINK_DAYS``) or
   ``delivery_hand_over`` (given in person);
5. ``delivery_purge``: the PDF and the passphrase cleared once used, handed over, expired or
   the request closed (``manage.py purge_deliveries``, daily, by cron only: no user's action
   runs it). Until it runs, an expired link counts as cleared (``link_expired``): nothing more
   is sent from that delivery, and preparing it again gives a new passphrase.

The link's secret travels only in the part of the address after "#", which browsers never
send: the server keeps its SHA-256, compares it in constant time, and lets one download
through with a conditional UPDATE, so two clicks cannot both get the file.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import ContactMethod, ContactPreference
from dataprotection.models import (
    AccessRequest,
    CopyJob,
    Delivery,
    ReceivedVia,
    RequestStatus,
)
from dataprotection.services.copy import FEARED_BLOCKED, feared_stop
from victimsupport import pdfjobs
from victimsupport.access import Role, has_role
from victimsupport.audit.context import acting_as
from victimsupport.audit.services import AccessKind, record_access

# The rule: a link works once, for seven days.
LINK_DAYS = 7
# The label of the anonymous download in the audit log (no one is signed in).
LINK_SYSTEM = "copy_download"

# The passphrase is read aloud over the telephone or typed from a text message into a PDF
# reader, which forgives nothing: lower-case letters and digits only, none that can be taken
# for another (no 0/o, 1/l/i), in groups of four. 31 symbols, 24 of them: log2(31) * 24 = 118
# bits. It must be that strong: the PDF may be forwarded, left in a downloads folder or on a
# shared computer, and attacked offline for as long as anyone likes; AES-256 (R6) derives its
# key with a fast hash, so the passphrase itself has to make guessing hopeless.
PASSPHRASE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105 (symbols, not a password)
PASSPHRASE_GROUPS = 6
PASSPHRASE_GROUP_LENGTH = 4

# Ways a copy can be handed over rather than downloaded.
HAND_OVER_CHOICES = [
    (ReceivedVia.IN_PERSON, ReceivedVia.IN_PERSON.label),
    (ReceivedVia.CASEWORKER, ReceivedVia.CASEWORKER.label),
]

# What the public page says when a link cannot be used, whatever the reason: nobody holding a
# guessed or old link learns whether it existed, was used or has expired.
LINK_REFUSED = gettext_lazy(
    "This link cannot be used: it may have expired or been used already, or the code may be "
    "wrong. Ask the person who sent it to you for a new one."
)


def new_passphrase() -> str:
    """Six groups of four unambiguous characters (118 bits), from ``secrets``."""
    return "-".join(
        "".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(PASSPHRASE_GROUP_LENGTH))
        for _ in range(PASSPHRASE_GROUPS)
    )


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_dpo(actor: Any) -> None:
    if not has_role(actor, Role.DATA_PROTECTION_OFFICER):
        raise ValidationError(_("Only the data-protection officer delivers a copy."))


def _delivery_of(request: AccessRequest) -> Delivery | None:
    return Delivery.objects.filter(request=request).first()


# --- The person's safe channel ----------------------------------------------------------------


@dataclass(frozen=True)
class SafeChannel:
    """What the cases of a request say about contacting the person, for the delivery page
    and for ``passphrase_sent``'s check."""

    # The references of the request's cases marked do-not-contact.
    do_not_contact: list[str]
    # method value -> list of (case reference, safe times, instructions), safe in every case
    # that records the method and recorded in at least one.
    safe: dict[str, list[tuple[str, str, str]]]
    # Methods some case records as not safe.
    unsafe: set[str]

    @property
    def blocked(self) -> bool:
        return bool(self.do_not_contact)

    def methods(self) -> list[tuple[str, Any, list[tuple[str, str, str]]]]:
        """(value, label, details) of the safe methods, in ContactMethod's order."""
        return [(m.value, m.label, self.safe[m.value]) for m in ContactMethod if m in self.safe]


def safe_channel(request: AccessRequest) -> SafeChannel:
    """The contact rules of every case of ``request`` (two queries)."""
    cases = list(request.cases.only("id", "reference", "do_not_contact"))
    prefs = ContactPreference.objects.filter(case__in=cases).order_by("method")
    reference = {c.pk: c.reference for c in cases}
    safe: dict[str, list[tuple[str, str, str]]] = {}
    unsafe: set[str] = set()
    for pref in prefs:
        if pref.is_safe:
            entry = (reference[pref.case_id], pref.safe_times, pref.instructions)
            safe.setdefault(pref.method, []).append(entry)
        else:
            unsafe.add(pref.method)
    for method in unsafe:
        safe.pop(method, None)
    return SafeChannel(
        do_not_contact=[c.reference for c in cases if c.do_not_contact],
        safe=safe,
        unsafe=unsafe,
    )


def do_not_contact_message(channel: SafeChannel) -> str:
    return _(
        "Case %(cases)s is marked do not contact: contacting the person could put them in "
        "danger, so the passphrase cannot be sent and no link can be sent to them. Give the "
        "copy and its passphrase in person only if they come to you, and record the hand-over."
    ) % {"cases": ", ".join(channel.do_not_contact)}


# --- Someone the victim fears, checked again at each step -----------------------------------


class _Feared(Exception):
    """A feared-person match found at a delivery step, before the step writes anything."""


def _refuse_if_feared(request_pk: Any) -> None:
    """The request locked and checked against the file now: a new match is flagged (kept)."""
    if feared_stop(AccessRequest.objects.select_for_update().get(pk=request_pk)):
        raise _Feared


def _feared_checked(step: Callable[..., Any]) -> Callable[..., Any]:
    """``step`` in one transaction, refused with ``FEARED_BLOCKED`` when it finds the person
    asking recorded as feared (``_refuse_if_feared``, called before it writes anything): the
    transaction then ends normally, so the flag a new match sets is kept, and the step is
    refused after. Any other refusal rolls everything back, as ``transaction.atomic`` does."""

    @functools.wraps(step)
    def checked(**kwargs: Any) -> Any:
        with transaction.atomic():
            try:
                return step(**kwargs)
            except _Feared:
                pass
        raise ValidationError(FEARED_BLOCKED)

    return checked


# --- Preparing the final PDF ----------------------------------------------------------------


@_feared_checked
def delivery_prepare(*, actor: Any, request: AccessRequest) -> tuple[Delivery, CopyJob]:
    """The delivery of a signed-off request, with a passphrase, and the worker asked for the
    final PDF in the person's language. A delivery whose PDF was cleared (its link expired)
    gets a new passphrase: the one told before no longer opens anything."""
    _check_dpo(actor)
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.APPROVED or not request.approved_html:
        raise ValidationError(_("Only a copy that has been signed off can be delivered."))
    if request.blocked_by_feared_match:
        raise ValidationError(
            _("The request was made by someone the file records as feared: decide on it first.")
        )
    if feared_stop(request):  # recorded as feared since the sign-off: flagged, kept
        raise _Feared
    delivery = Delivery.objects.select_for_update().filter(request=request).first()
    expired = delivery is not None and link_expired(delivery)
    if delivery is not None and delivery.pdf is not None and not expired:
        raise ValidationError(_("The final copy is already made: deliver it."))
    if delivery is None:
        delivery = Delivery.objects.create(
            request=request, passphrase=new_passphrase(), created_by=actor
        )
    elif expired or not delivery.passphrase:
        # Its link expired (whether or not the purge has run since): the old PDF and the
        # passphrase told with it open nothing any more.
        delivery.pdf = None
        delivery.passphrase = new_passphrase()
        delivery.passphrase_sent_via = ""
        delivery.passphrase_sent_at = None
        delivery.passphrase_sent_by = None
        delivery.link_id = None
        delivery.link_secret_hash = ""
        delivery.link_expires_at = None
        delivery.link_used_at = None
        delivery.save()
    job = pdfjobs.job_request(
        model=CopyJob,
        requested_by=actor,
        request=request,
        final=True,
        language=request.language or settings.LANGUAGE_CODE,
    )
    return delivery, job


def link_expired(delivery: Delivery, *, now: datetime.datetime | None = None) -> bool:
    """Its link ran out unused: the delivery is done with, whether or not the purge (cron)
    has cleared it yet."""
    return (
        delivery.link_used_at is None
        and delivery.link_expires_at is not None
        and delivery.link_expires_at <= (now or timezone.now())
    )


def link_expired_message(delivery: Delivery) -> str:
    return _(
        "The one-time link expired on %(when)s without being used. Make the final PDF again: "
        "it gets a new passphrase, and the one sent before opens nothing."
    ) % {"when": date_format(timezone.localtime(delivery.link_expires_at), "j M Y, H:i")}


def final_job(*, actor: Any, request: AccessRequest) -> CopyJob | None:
    """The latest final PDF the DPO asked for, without its content."""
    return (
        CopyJob.objects.visible_to(actor)
        .filter(request=request, final=True)
        .defer("pdf")
        .order_by("-created_at")
        .first()
    )


def _keep_finished(delivery: Delivery, *, actor: Any, job: CopyJob | None = None) -> bool:
    """Copy the finished final PDF onto ``delivery`` (locked by the caller) if it has none
    yet and its link has not expired. True when the delivery holds its PDF afterwards."""
    if delivery.pdf is not None:
        return True
    if not delivery.passphrase or link_expired(delivery):
        return False
    job = job or final_job(actor=actor, request=delivery.request)
    if job is None or job.request_id != delivery.request_id or not job.final:
        return False
    if not job.is_ready:
        return False
    content = CopyJob.objects.filter(pk=job.pk).values_list("pdf", flat=True).first()
    if not content:
        return False
    delivery.pdf = content
    delivery.save(update_fields=["pdf"])
    return True


@transaction.atomic
def delivery_store(*, actor: Any, request: AccessRequest, job: CopyJob | None = None) -> Delivery:
    """Copy the finished final PDF (``job``, or the latest one asked for) onto the delivery:
    the job is purged within a day, the delivery keeps it for the link's seven days. Run by
    the DPO's POST only, never by opening the page."""
    _check_dpo(actor)
    delivery = (
        Delivery.objects.select_for_update().select_related("request").filter(request=request)
    ).first()
    if delivery is None or not delivery.passphrase:
        raise ValidationError(_("Prepare the delivery first."))
    if link_expired(delivery):
        raise ValidationError(link_expired_message(delivery))
    if job is not None and (job.request_id != request.pk or not job.final):
        raise ValidationError(_("The final PDF is not ready yet."))
    if not _keep_finished(delivery, actor=actor, job=job):
        raise ValidationError(_("The final PDF is not ready yet."))
    return delivery


# --- The passphrase, by the safe channel -------------------------------------------------------


@_feared_checked
def passphrase_sent(*, actor: Any, delivery: Delivery, method: str) -> Delivery:
    """Record that the passphrase went to the person by ``method``, which every case of the
    request that records it must record as safe; a case marked do-not-contact blocks it."""
    _check_dpo(actor)
    delivery = Delivery.objects.select_for_update().select_related("request").get(pk=delivery.pk)
    _refuse_if_feared(delivery.request_id)
    if not delivery.passphrase:
        raise ValidationError(_("This delivery's passphrase has been cleared: prepare it again."))
    if link_expired(delivery):
        raise ValidationError(link_expired_message(delivery))
    _keep_finished(delivery, actor=actor)
    channel = safe_channel(delivery.request)
    if channel.blocked:
        raise ValidationError({"method": do_not_contact_message(channel)})
    if method not in channel.safe:
        raise ValidationError(
            {
                "method": _(
                    "The case does not record this method as safe for this person. Use one "
                    "of the safe methods shown, or ask their caseworker to record one."
                )
            }
        )
    delivery.passphrase_sent_via = method
    delivery.passphrase_sent_at = timezone.now()
    delivery.passphrase_sent_by = actor
    delivery.save(update_fields=["passphrase_sent_via", "passphrase_sent_at", "passphrase_sent_by"])
    return delivery


# --- The one-time link, or a hand-over ---------------------------------------------------------


def _check_deliverable(delivery: Delivery, *, actor: Any) -> None:
    """Refused unless the request waits for delivery, the person asking is not recorded as
    feared (checked again, under the request's lock) and its link has not expired; the
    finished PDF is kept on the delivery first if it is not yet."""
    if delivery.request.status != RequestStatus.APPROVED:
        raise ValidationError(_("This copy has already been delivered."))
    _refuse_if_feared(delivery.request_id)
    if link_expired(delivery):
        raise ValidationError(link_expired_message(delivery))
    if not _keep_finished(delivery, actor=actor):
        raise ValidationError(_("The final PDF is not ready yet."))


def link_url(link_id: str, secret: str) -> str:
    """The address given to the person: the secret after "#", which no browser sends."""
    path = reverse("copy_download", args=[link_id])
    return f"{settings.SITE_URL}{path}#{secret}"


@_feared_checked
def delivery_link_create(*, actor: Any, delivery: Delivery) -> tuple[Delivery, str]:
    """A new one-time link, replacing any earlier unused one. Returns the delivery and the
    full address, shown once to the DPO: only the secret's SHA-256 is kept."""
    _check_dpo(actor)
    delivery = Delivery.objects.select_for_update().select_related("request").get(pk=delivery.pk)
    _check_deliverable(delivery, actor=actor)
    channel = safe_channel(delivery.request)
    if channel.blocked:
        raise ValidationError(do_not_contact_message(channel))
    if delivery.link_used_at is not None:
        raise ValidationError(_("The link has been used: the copy is delivered."))
    link_id = secrets.token_urlsafe(16)  # 128 bits: the public half, in the path
    secret = secrets.token_urlsafe(32)  # 256 bits: after "#", never sent to the server
    delivery.link_id = link_id
    delivery.link_secret_hash = _secret_digest(secret)
    delivery.link_expires_at = timezone.now() + datetime.timedelta(days=LINK_DAYS)
    delivery.save(update_fields=["link_id", "link_secret_hash", "link_expires_at"])
    return delivery, link_url(link_id, secret)


def _mark_delivered(request: AccessRequest, *, actor: Any, now: datetime.datetime) -> None:
    request.status = RequestStatus.DELIVERED
    request.closed_at = now
    request.closed_by = actor
    request.save(update_fields=["status", "closed_at", "closed_by"])


@_feared_checked
def delivery_hand_over(*, actor: Any, delivery: Delivery, via: str) -> Delivery:
    """The protected copy given to the person in person (or through their caseworker): the
    request is delivered, and the hand-over is its download entry."""
    _check_dpo(actor)
    if via not in {value for value, _label in HAND_OVER_CHOICES}:
        raise ValidationError({"via": _("Choose how the copy was handed over.")})
    delivery = Delivery.objects.select_for_update().select_related("request").get(pk=delivery.pk)
    _check_deliverable(delivery, actor=actor)
    now = timezone.now()
    delivery.handed_over_at = now
    delivery.handed_over_via = via
    delivery.save(update_fields=["handed_over_at", "handed_over_via"])
    _mark_delivered(delivery.request, actor=actor, now=now)
    record_access(
        actor=actor,
        obj=delivery.request,
        kind=AccessKind.DOWNLOAD,
        detail={"delivery": delivery.pk, "via": via},
    )
    return delivery


def delivery_passphrase_shown(*, actor: Any, delivery: Delivery) -> None:
    """The DPO asked to see the passphrase again after it was sent: its access entry on the
    request, naming the delivery."""
    _check_dpo(actor)
    if not delivery.passphrase:
        raise ValidationError(_("This delivery's passphrase has been cleared: prepare it again."))
    record_access(
        actor=actor,
        obj=delivery.request,
        kind=AccessKind.VIEW,
        detail={"delivery": delivery.pk, "as": "passphrase"},
    )


def delivery_downloaded(*, actor: Any, delivery: Delivery) -> None:
    """The DPO took the protected PDF (to hand it over): its access entry."""
    record_access(
        actor=actor,
        obj=delivery.request,
        kind=AccessKind.DOWNLOAD,
        detail={"delivery": delivery.pk, "as": "staff"},
    )


# An unknown link is compared against this, so that it takes as long as a known one.
_NO_SUCH_DIGEST = _secret_digest("no link has this secret")


# What token_urlsafe makes, within the column's length: the address is anyone's to type, and
# PostgreSQL refuses a NUL in a query's text (a server error instead of the neutral refusal).
LINK_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@acting_as(system=LINK_SYSTEM)
@transaction.atomic
def delivery_link_use(*, link_id: str, secret: str) -> bytes:
    """The protected PDF for whoever holds the link's secret, once, within its seven days;
    the request is delivered. Refused with one neutral message for every reason."""
    now = timezone.now()
    delivery = (
        Delivery.objects.select_related("request").filter(link_id=link_id).first()
        if link_id and LINK_ID.fullmatch(link_id)
        else None
    )
    expected = delivery.link_secret_hash if delivery and delivery.link_secret_hash else None
    matches = hmac.compare_digest(_secret_digest(secret or ""), expected or _NO_SUCH_DIGEST)
    if (
        delivery is None
        or expected is None
        or not matches
        or delivery.pdf is None
        or delivery.link_used_at is not None
        or delivery.link_expires_at is None
        or delivery.link_expires_at <= now
        or delivery.request.status != RequestStatus.APPROVED
    ):
        raise ValidationError(str(LINK_REFUSED))
    # The gate: of two clicks at once, one UPDATE finds the link unused; the other finds none.
    claimed = Delivery.objects.filter(
        pk=delivery.pk, link_used_at__isnull=True, link_expires_at__gt=now
    ).update(link_used_at=now)
    if claimed != 1:
        raise ValidationError(str(LINK_REFUSED))
    content = bytes(delivery.pdf)
    delivery.link_used_at = now
    delivery.save(update_fields=["link_used_at"])  # its audited change entry
    _mark_delivered(delivery.request, actor=None, now=now)
    record_access(
        actor=None,
        obj=delivery.request,
        kind=AccessKind.DOWNLOAD,
        detail={"delivery": delivery.pk, "via": "link"},
    )
    return content


# --- Clearing what is no longer needed ----------------------------------------------------------


@transaction.atomic
def delivery_purge(*, now: datetime.datetime | None = None) -> int:
    """Clear the stored PDF and the passphrase of every delivery that is done with: its link
    used or expired, handed over, or its request no longer waiting for delivery. Each one is
    saved (an audited change, values masked). Returns how many were cleared."""
    now = now or timezone.now()
    done = (
        Q(link_used_at__isnull=False)
        | Q(link_expires_at__lte=now)
        | Q(handed_over_at__isnull=False)
        | ~Q(request__status=RequestStatus.APPROVED)
    )
    done_with = Delivery.objects.filter(done)
    with_pdf = set(done_with.filter(pdf__isnull=False).values_list("pk", flat=True))
    count = 0
    for delivery in done_with.defer("pdf"):
        if delivery.pk not in with_pdf and not delivery.passphrase:
            continue  # cleared already
        delivery.pdf = None
        delivery.passphrase = ""
        delivery.save(update_fields=["pdf", "passphrase"])
        count += 1
    return count
