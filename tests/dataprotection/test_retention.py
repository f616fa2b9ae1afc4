"""The retention schedule, what is due, legal holds, and the daily command."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, ExportJob, IntakeDraft
from dataprotection.models import Erasure, ErasureStatus, RecordKind, RetentionRule
from dataprotection.services import retention
from tests import factories
from victimsupport import country
from victimsupport.concurrency import EditConflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def cara(north):
    return factories.caseworker(north, "Cara")


@pytest.fixture
def dana():
    return factories.dpo("Dana")


def closed(case: Case, worker, days_ago: int) -> Case:
    case_services.case_close(case=case, actor=worker, reason="Support ended")
    Case.objects.filter(pk=case.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    case.refresh_from_db()
    return case


def test_the_schedule_shows_the_profiles_defaults_until_the_dpo_sets_a_period(dana):
    defaults = country.current().retention_days
    rows = {r.kind: r for r in retention.retention_schedule()}
    assert set(rows) == set(RecordKind.values)
    assert all(r.is_default and r.days == defaults[r.kind] for r in rows.values())
    retention.retention_rule_set(actor=dana, kind=RecordKind.CLOSED_CASE, days=400, version=0)
    row = {r.kind: r for r in retention.retention_schedule()}[RecordKind.CLOSED_CASE]
    assert row.days == 400 and not row.is_default and row.default_days == defaults["closed_case"]
    retention.retention_rule_set(
        actor=dana, kind=RecordKind.CLOSED_CASE, days=500, version=row.version
    )
    assert RetentionRule.objects.get(kind="closed_case").days == 500
    with pytest.raises(EditConflict):  # edited from a page read before the last save
        retention.retention_rule_set(
            actor=dana, kind=RecordKind.CLOSED_CASE, days=600, version=row.version
        )


def test_only_the_dpo_sets_the_schedule(cara):
    with pytest.raises(ValidationError):
        retention.retention_rule_set(actor=cara, kind="closed_case", days=10, version=0)


def test_a_closed_case_past_its_period_is_due_once_and_not_one_within_or_on_hold(cara, dana):
    period = country.current().retention_days["closed_case"]
    old = closed(factories.make_full_case(cara), cara, period + 5)
    recent = closed(factories.make_full_case(cara), cara, period - 5)
    held = closed(factories.make_full_case(cara), cara, period + 50)
    factories.make_full_case(cara)  # open
    retention.legal_hold_place(
        actor=dana,
        case=held,
        reason="Court case",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
    )
    report = retention.retention_due()
    assert (report.cases_due, report.erasures_recorded, report.on_hold) == (1, 1, 1)
    erasure = Erasure.objects.get()
    assert erasure.case == old and erasure.case_reference == old.reference
    assert erasure.status == ErasureStatus.DUE and erasure.basis == Erasure.Basis.SCHEDULE
    assert erasure.due_since == retention.period_end(timezone.localdate(old.closed_at), period)
    assert not Erasure.objects.filter(case__in=[recent, held]).exists()
    # Idempotent: a second run records nothing more.
    assert retention.retention_due().erasures_recorded == 0
    assert Erasure.objects.count() == 1


def test_the_dpos_period_decides_what_is_due(cara, dana):
    case = closed(factories.make_full_case(cara), cara, 40)
    assert retention.retention_due().cases_due == 0
    retention.retention_rule_set(actor=dana, kind="closed_case", days=30, version=0)
    assert retention.retention_due().cases_due == 1
    assert Erasure.objects.get().case == case


def test_technical_records_past_their_period_are_purged(cara, north):
    stale = IntakeDraft.objects.create(
        owner=cara,
        team=north,
        expires_at=timezone.now() + datetime.timedelta(days=1),
        updated_at=timezone.now() - datetime.timedelta(days=400),
    )
    fresh = IntakeDraft.objects.create(
        owner=cara, team=north, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    case = factories.make_full_case(cara)
    old_job = ExportJob.objects.create(case=case, requested_by=cara, expires_at=timezone.now())
    ExportJob.objects.filter(pk=old_job.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    new_job = ExportJob.objects.create(case=case, requested_by=cara, expires_at=timezone.now())
    report = retention.retention_due()
    assert report.purged["cases.IntakeDraft"] == 1
    assert report.purged["cases.ExportJob"] == 1
    assert not IntakeDraft.objects.filter(pk=stale.pk).exists()
    assert IntakeDraft.objects.filter(pk=fresh.pk).exists()
    # A draft that became a case is the case's: it goes with the case, not here.
    assert IntakeDraft.objects.filter(pk=case.intake_draft_id).exists()
    assert ExportJob.objects.filter(pk=new_job.pk).exists()


def test_the_command_prints_counts_only_and_its_dry_run_writes_nothing(cara):
    period = country.current().retention_days["closed_case"]
    case = closed(factories.make_full_case(cara), cara, period + 1)
    name = case.victim.given_name
    out = StringIO()
    call_command("retention_due", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Closed cases due for erasure: 1 (1 would be newly recorded" in text
    assert "Dry run: nothing was written." in text
    assert not Erasure.objects.exists()
    out = StringIO()
    call_command("retention_due", stdout=out)
    text = out.getvalue()
    assert "Closed cases due for erasure: 1 (1 newly recorded" in text
    assert name not in text and case.reference not in text
    assert Erasure.objects.filter(case=case, status="due").exists()


def test_the_command_fails_with_a_non_zero_exit_when_the_check_fails(monkeypatch):
    from django.core.management import CommandError

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("dataprotection.management.commands.retention_due.retention_due", broken)
    with pytest.raises(CommandError, match="Retention check failed"):
        call_command("retention_due", stdout=StringIO())


def test_a_hold_is_placed_by_exact_reference_and_needs_a_reason_and_a_future_review(cara, dana):
    case = factories.make_full_case(cara)
    assert retention.case_by_reference(case.reference.lower()) == case
    with pytest.raises(ValidationError):
        retention.case_by_reference(case.reference[:-1])
    future = timezone.localdate() + datetime.timedelta(days=10)
    with pytest.raises(ValidationError):
        retention.legal_hold_place(actor=dana, case=case, reason=" ", review_on=future)
    with pytest.raises(ValidationError):
        retention.legal_hold_place(
            actor=dana, case=case, reason="Court", review_on=timezone.localdate()
        )
    hold = retention.legal_hold_place(actor=dana, case=case, reason="Court", review_on=future)
    retention.legal_hold_lift(actor=dana, hold=hold, note="Over")
    with pytest.raises(ValidationError):
        retention.legal_hold_lift(actor=dana, hold=hold)


def test_a_case_closed_six_calendar_years_ago_across_leap_days_is_due_on_the_anniversary(
    cara, dana
):
    # 2190 days is "6 years"; from 1 January 2020 six years hold two leap days (2020, 2024).
    assert country.current().retention_days["closed_case"] == 2190
    case = closed(factories.make_full_case(cara), cara, 0)
    closed_at = timezone.make_aware(datetime.datetime(2020, 1, 1, 10, 0))
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)
    for day in (datetime.date(2025, 12, 30), datetime.date(2025, 12, 31)):
        assert retention.retention_due(today=day).cases_due == 0, day
    assert not Erasure.objects.exists()
    report = retention.retention_due(today=datetime.date(2026, 1, 1))
    assert report.cases_due == 1
    assert Erasure.objects.get().due_since == datetime.date(2026, 1, 1)


def test_a_period_in_days_that_is_not_whole_years_is_counted_in_days():
    assert retention.period_end(datetime.date(2024, 2, 1), 30) == datetime.date(2024, 3, 2)
    assert retention.period_end(datetime.date(2024, 2, 29), 365) == datetime.date(2025, 2, 28)
    assert retention.period_start(datetime.date(2026, 3, 1), 730) == datetime.date(2024, 3, 1)


def test_the_schedule_page_says_whole_years_and_their_days(client, dana):
    client.force_login(dana)
    response = client.get(reverse("dataprotection:retention_schedule"))
    assert response.status_code == 200
    assert "6 years (2190 days)" in response.content.decode()


# Review: deleting the DPO's old records ignored the legal holds on the cases they concern.


def test_records_about_a_case_under_a_legal_hold_are_not_due_but_kept(cara, dana):
    from dataprotection.models import AccessRequest, Breach, BreachNotice, LegalHold, RequestStatus

    long_ago = timezone.now() - datetime.timedelta(days=365 * 30)
    held_case, free_case = factories.make_full_case(cara), factories.make_full_case(cara)
    LegalHold.objects.create(
        case=held_case,
        reason="A court needs the file",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        placed_by=dana,
    )
    held_request = factories.make_access_request(
        held_case, logged_by=dana, status=RequestStatus.DELIVERED
    )
    free_request = factories.make_access_request(
        free_case, logged_by=dana, status=RequestStatus.DELIVERED
    )
    AccessRequest.objects.update(closed_at=long_ago)
    breaches = {}
    for name, case in (("held", held_case), ("free", free_case)):
        breaches[name] = Breach.objects.create(
            reference=f"BR-{name}",
            discovered_at=long_ago,
            description="A letter went to the wrong address",
            people_affected=1,
            regulator_due_at=long_ago,
            logged_by=dana,
            closed_at=long_ago,
        )
        BreachNotice.objects.create(breach=breaches[name], case=case, method="phone", told_by=dana)
    today = timezone.localdate()

    due = retention.records_due(today)
    assert list(due[RecordKind.ACCESS_REQUEST]) == [free_request]
    assert list(due[RecordKind.BREACH]) == [breaches["free"]]
    held = retention.records_held(today)
    assert list(held[RecordKind.ACCESS_REQUEST]) == [held_request]
    assert list(held[RecordKind.BREACH]) == [breaches["held"]]
    for kind, rows in (
        (RecordKind.ACCESS_REQUEST, [held_request, free_request]),
        (RecordKind.BREACH, list(breaches.values())),
    ):
        deleted = retention.records_delete_due(actor=dana, kind=kind, ids=[str(r.pk) for r in rows])
        assert deleted == 1
    assert AccessRequest.objects.filter(pk=held_request.pk).exists()
    assert not AccessRequest.objects.filter(pk=free_request.pk).exists()
    assert list(Breach.objects.all()) == [breaches["held"]]
    # The report of the daily run lists only what may go.
    assert retention.retention_due(dry_run=True).listed[RecordKind.ACCESS_REQUEST] == []
