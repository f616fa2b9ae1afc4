"""E-mails about referrals. They carry no case content, ever: no name, no reference, no
purpose, not the partner's name in what goes to staff. "A referral is waiting for you" and a
link; the reader signs in to see the rest, where it is checked and audited.

E-mail leaves through a task (django-tasks) that is given the referral's id and nothing else:
the queue keeps arguments and tracebacks in plain text. A failure to send is logged by its
kind only (an SMTP error's text can quote an address) and raised without its cause.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from referrals.models import Channel, Referral
from victimsupport.audit.context import acting_as

logger = logging.getLogger(__name__)


class NoticeNotSent(Exception):
    """An e-mail about a referral could not be sent (the cause is left out on purpose);
    ``sent`` says how many of the others went."""

    def __init__(self, message: str = "a referral notice could not be sent", sent: int = 0):
        super().__init__(message)
        self.sent = sent


def referral_waiting(referral: Referral) -> None:
    """Tell the partner a referral is waiting for them, once the sending has committed. Called
    by the service that sends a referral."""
    referral_id = str(referral.pk)
    transaction.on_commit(lambda: notify_referral_waiting.enqueue(referral_id))


@task()
@acting_as(system="notify_referral_waiting")
def notify_referral_waiting(referral_id: str) -> int:
    """E-mail every active member of the partner (and its address for notices) that a
    referral is waiting. Nothing is sent for a referral revoked or answered meanwhile.
    Returns how many e-mails went."""
    referral = Referral.objects.filter(pk=referral_id).select_related("partner").first()
    if referral is None or referral.status != Referral.Status.SENT:
        return 0
    return send_to_partner(referral, "referrals/email/waiting")


def partner_recipients(referral: Referral) -> list[tuple[str, str, bool]]:
    """(address, language, signs in) of each active member of the referral's partner, then
    the partner's own address for notices (in the service's language), without repeats. The
    address for notices of a partner without accounts is read by someone who cannot sign in."""
    members = referral.partner.memberships.filter(user__is_active=True).select_related("user")
    found: dict[str, tuple[str, bool]] = {}
    for membership in members.order_by("user__pk"):
        user = membership.user
        if user.email:
            found.setdefault(user.email.lower(), (user.preferred_language, True))
    if referral.partner.notify_email:
        signs_in = referral.partner.channel == Channel.ACCOUNTS
        found.setdefault(referral.partner.notify_email.strip().lower(), ("", signs_in))
    return [(address, language, signs_in) for address, (language, signs_in) in found.items()]


def send_to_partner(referral: Referral, template: str) -> int:
    """To those who sign in, the link to their inbox; to a partner without accounts, that the
    service will contact them to hand it over securely (they have nothing to sign in to)."""
    recipients = partner_recipients(referral)
    inbox = absolute(reverse("referrals:inbox"))
    sent, failed = 0, False
    for signs_in, context in ((True, {"link": inbox}), (False, {"no_account": True})):
        group = [(a, lang) for a, lang, s in recipients if s is signs_in]
        try:
            sent += _send(group, template, context)
        except NoticeNotSent as exc:
            sent += exc.sent
            failed = True
    if failed:
        raise NoticeNotSent(sent=sent)
    return sent


def send_to_staff(user: Any, referral: Referral, template: str) -> int:
    if user is None or not user.is_active or not user.email:
        return 0
    link = absolute(reverse("cases:detail", args=[referral.case_id]))
    return _send([(user.email, user.preferred_language)], template, {"link": link})


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _send(recipients: Iterable[tuple[str, str]], template: str, context: dict[str, Any]) -> int:
    """One message per recipient (nobody sees who else was told), each in the recipient's
    language. One that fails does not stop the others; NoticeNotSent is raised once they have
    all been tried."""
    sent, failed = 0, False
    for address, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            body = render_to_string(f"{template}_body.txt", context)
        message = EmailMessage(subject=" ".join(subject.split()), body=body, to=[address])
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
            logger.error("A referral notice could not be sent: %s (%s)", type(exc).__name__, code)
            failed = True
            continue
        sent += 1
    if failed:
        raise NoticeNotSent(sent=sent)
    return sent


# --- Reminders ---------------------------------------------------------------------------------


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The working days (Monday to Friday) begun since the day ``start``: those after it, up
    to and including ``end`` (a referral sent on Friday has had one on Monday morning)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + datetime.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def referrals_to_remind(now: datetime.datetime | None = None) -> list[Referral]:
    """Sent referrals the partner has not answered in the working days their urgency allows
    (``REFERRAL_RESPONSE_DAYS``), counted from the sending or from the last reminder."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    allowed = settings.REFERRAL_RESPONSE_DAYS
    # N working days take at least N calendar days: narrow in the database, count here.
    earliest = now - datetime.timedelta(days=min(allowed.values()))
    candidates = (
        Referral.objects.filter(status=Referral.Status.SENT, sent_at__lte=earliest)
        .select_related("partner", "sent_by", "created_by")
        .order_by("sent_at")
    )
    due = []
    for referral in candidates:
        since = referral.reminded_at or referral.sent_at
        days = allowed.get(referral.urgency, max(allowed.values()))
        if working_days_between(timezone.localdate(since), today) >= days:
            due.append(referral)
    return due


def remind(referral: Referral, *, now: datetime.datetime | None = None) -> int:
    """Remind the partner and the caseworker who made ``referral``, if it is still waiting for
    an answer (read again now: answered or revoked since the list was made, it is left
    alone); note when, as soon as one e-mail went. A failed e-mail is logged (without its
    address) and the others still go. Returns how many e-mails went."""
    current = (
        Referral.objects.filter(pk=referral.pk, status=Referral.Status.SENT)
        .select_related("partner", "sent_by", "created_by")
        .first()
    )
    if current is None:
        return 0
    sent = 0
    sends = (
        lambda: send_to_partner(current, "referrals/email/waiting"),
        # The caseworker who made it: on an override it is the approving supervisor who
        # sent it, but the person's caseworker is the one who follows it up.
        lambda: send_to_staff(current.created_by, current, "referrals/email/no_answer"),
    )
    for send in sends:
        try:
            sent += send()
        except NoticeNotSent as exc:
            sent += exc.sent  # the failure is logged by _send, by its kind only
    if sent:
        with transaction.atomic():
            current.reminded_at = now or timezone.now()
            current.save(update_fields=["reminded_at"])
    return sent
