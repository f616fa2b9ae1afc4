"""E-mails about referrals say only that one is waiting, with a link; they go through a task
given the referral's id alone; reminders follow the working days each urgency allows. Pat and
Robin work at the refuge; Cara sent the referral."""

from __future__ import annotations

import datetime
import io
import smtplib
import zoneinfo

import pytest
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from referrals import notifications
from referrals.models import Referral
from referrals.services import referral_revoke
from tests import factories
from tests.factories import run_worker
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 09:00 in the service's time zone.
MONDAY = datetime.datetime(2026, 12, 7, 9, 0)


@pytest.fixture
def refuge():
    return factories.make_partner("Safe Haven Refuge", notify_email="intake@refuge.example")


@pytest.fixture
def pat(refuge):
    return factories.partner_user(refuge, "Pat")


@pytest.fixture
def referral(cara, refuge, pat):
    case = factories.make_full_case(cara)
    return factories.sent_referral(case, refuge, by=cara)


def content_of(referral) -> list[str]:
    victim = referral.case.victim
    return [
        referral.case.reference,
        str(referral.case_id),
        victim.given_name,
        victim.family_name,
        referral.partner.name,
        "Needs a refuge place",
        referral.message,
        str(referral.get_purpose_display()),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_waiting_referral_enqueues_its_id_only_and_tells_every_member(
    referral, refuge, pat, mailoutbox, settings
):
    settings.SITE_URL = "https://casework.example.org"
    robin = factories.partner_user(refuge, "Robin")
    gone = factories.partner_user(refuge, "Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with transaction.atomic():
        notifications.referral_waiting(referral)
        assert not DBTaskResult.objects.exists()  # not before the sending commits
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "referrals.notifications.notify_referral_waiting"
    assert queued.args_kwargs == {"args": [str(referral.pk)], "kwargs": {}}
    run_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [pat.email.lower(), robin.email.lower(), "intake@refuge.example"]
    )
    for message in mailoutbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        assert message.subject == "A referral is waiting for you"
        assert "https://casework.example.org/network/inbox/" in message.body
        for secret in content_of(referral):
            assert secret not in message.subject and secret not in message.body


def test_nothing_is_sent_for_a_referral_revoked_before_the_worker_ran(referral, cara, mailoutbox):
    referral_revoke(referral=referral, actor=cara, because="by_staff")
    assert notifications.notify_referral_waiting.call(str(referral.pk)) == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-12-07", "2026-12-07", 0),  # Monday, same day
        ("2026-12-07", "2026-12-08", 1),
        ("2026-12-04", "2026-12-07", 1),  # Friday to Monday: one working day
        ("2026-12-05", "2026-12-06", 0),  # the weekend
        ("2026-12-07", "2026-12-14", 5),
        ("2026-12-07", "2026-12-25", 14),
        ("2026-12-08", "2026-12-07", 0),
    ],
)
def test_working_days(start, end, days):
    d = datetime.date.fromisoformat
    assert notifications.working_days_between(d(start), d(end)) == days


def aware(naive: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(naive, zoneinfo.ZoneInfo(timezone.get_current_timezone_name()))


@pytest.mark.parametrize(
    ("urgency", "sent_days_before", "due"),
    [
        ("urgent", 3, True),  # Friday to Monday: one working day
        ("urgent", 0, False),  # sent this morning
        ("urgent", 2, True),  # Saturday: Monday is a working day begun
        ("soon", 3, False),
        ("soon", 5, True),  # Wednesday to Monday: three working days
        ("routine", 6, False),  # Tuesday to Monday: four
        ("routine", 7, True),
    ],
)
def test_reminders_follow_the_working_days_of_each_urgency(
    referral, urgency, sent_days_before, due
):
    monday = aware(MONDAY)
    Referral.objects.filter(pk=referral.pk).update(
        urgency=urgency, sent_at=monday - datetime.timedelta(days=sent_days_before)
    )
    found = notifications.referrals_to_remind(monday)
    assert (referral.pk in {r.pk for r in found}) is due


def test_the_command_reminds_partner_and_caseworker_once(referral, cara, pat, mailoutbox):
    Referral.objects.filter(pk=referral.pk).update(
        urgency="urgent", sent_at=timezone.now() - datetime.timedelta(days=7)
    )
    answered = factories.sent_referral(
        referral.case, referral.partner, status="accepted", sent_at=referral.sent_at
    )
    Referral.objects.filter(pk=answered.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=7)
    )
    since = factories.audit_mark()
    out = io.StringIO()
    call_command("remind_referrals", stdout=out)
    assert "1 referrals reminded" in out.getvalue()
    to = sorted(m.to[0] for m in mailoutbox)
    assert to == sorted([pat.email.lower(), "intake@refuge.example", cara.email])
    staff = next(m for m in mailoutbox if m.to == [cara.email])
    assert staff.subject == "A referral you made has had no answer"
    assert f"/cases/{referral.case_id}/" in staff.body
    for message in mailoutbox:
        for secret in content_of(referral):
            if secret != str(referral.case_id) or message is not staff:
                assert secret not in message.body and secret not in message.subject
    referral.refresh_from_db()
    assert referral.reminded_at is not None
    entry = factories.assert_changed(referral, AuditEntry.Action.UPDATE, since=since)
    assert set(entry.changes) == {"reminded_at"}
    # Not again the next time it runs the same day: it was reminded since.
    mailoutbox.clear()
    call_command("remind_referrals", stdout=io.StringIO())
    assert mailoutbox == []


def test_a_partner_without_accounts_is_not_asked_to_sign_in(cara, mailoutbox, settings):
    settings.SITE_URL = "https://casework.example.org"
    clinic = factories.make_partner(
        "Town Clinic", kind="health", channel="phone", notify_email="desk@clinic.example"
    )
    referral = factories.sent_referral(factories.make_full_case(cara), clinic, by=cara)
    assert notifications.notify_referral_waiting.call(str(referral.pk)) == 1
    [message] = mailoutbox
    assert message.to == ["desk@clinic.example"]
    assert "will contact you to hand it over securely" in message.body
    assert "sign in" not in message.body.lower()
    assert "casework.example.org" not in message.body
    for secret in content_of(referral):
        assert secret not in message.subject and secret not in message.body


def test_a_partner_with_accounts_is_still_sent_to_its_inbox(referral, mailoutbox, settings):
    settings.SITE_URL = "https://casework.example.org"
    notifications.notify_referral_waiting.call(str(referral.pk))
    notice = next(m for m in mailoutbox if m.to == ["intake@refuge.example"])
    assert "sign in" in notice.body and "https://casework.example.org/network/inbox/" in notice.body
    assert "will contact you" not in notice.body


def _due(referral):
    Referral.objects.filter(pk=referral.pk).update(
        urgency="urgent", sent_at=timezone.now() - datetime.timedelta(days=7)
    )
    referral.refresh_from_db()
    return referral


@pytest.mark.parametrize("status", ["accepted", "declined", "revoked"])
def test_a_referral_answered_since_the_list_was_made_is_not_reminded(referral, mailoutbox, status):
    listed = _due(referral)
    assert [r.pk for r in notifications.referrals_to_remind()] == [referral.pk]
    Referral.objects.filter(pk=referral.pk).update(status=status)
    assert notifications.remind(listed) == 0
    assert mailoutbox == []
    referral.refresh_from_db()
    assert referral.reminded_at is None


def test_one_failing_e_mail_stops_no_other_reminder(
    referral, cara, pat, mailoutbox, caplog, monkeypatch
):
    _due(referral)
    second = _due(factories.sent_referral(factories.make_full_case(cara), referral.partner))
    real_send = EmailMessage.send
    refused = pat.email.lower()

    def send(self, *args, **kwargs):
        if self.to == [refused]:
            raise smtplib.SMTPRecipientsRefused(
                {refused: (550, b"no such user " + refused.encode())}
            )
        return real_send(self, *args, **kwargs)

    caplog.set_level("ERROR", logger="referrals.notifications")
    out = io.StringIO()
    monkeypatch.setattr(EmailMessage, "send", send)
    call_command("remind_referrals", stdout=out)
    assert "2 referrals reminded" in out.getvalue()
    # Each referral's other e-mails went: the address for notices and the caseworker.
    to = sorted(m.to[0] for m in mailoutbox)
    assert to.count("intake@refuge.example") == 2 and refused not in to
    for r in (referral, second):
        r.refresh_from_db()
        assert r.reminded_at is not None
    assert "could not be sent" in caplog.text
    assert refused not in caplog.text and "@" not in caplog.text


def test_a_reminder_none_of_whose_e_mails_went_is_tried_again(referral, mailoutbox, monkeypatch):
    _due(referral)

    def fail(self, *args, **kwargs):
        raise OSError(111, "Connection refused")

    monkeypatch.setattr(EmailMessage, "send", fail)
    assert notifications.remind(referral) == 0
    referral.refresh_from_db()
    assert referral.reminded_at is None
    assert [r.pk for r in notifications.referrals_to_remind()] == [referral.pk]


def test_the_reminder_goes_to_the_caseworker_who_made_it_not_the_approving_supervisor(
    referral, cara, mailoutbox
):
    # Sent on an override: the supervisor who approved it sent it, the caseworker follows it.
    sofia = factories.make_user("Sofia", role="supervisor")
    Referral.objects.filter(pk=referral.pk).update(sent_by=sofia)
    _due(referral)
    notifications.remind(Referral.objects.get(pk=referral.pk))
    staff = [m.to[0] for m in mailoutbox if m.subject == "A referral you made has had no answer"]
    assert staff == [cara.email]
