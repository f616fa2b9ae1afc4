"""seed_demo --cases N after an interruption: the rerun continues where the run stopped, with
the same rows and audit entries as a run that was never stopped, and never half a batch.
And what wave two added (referrals, requests, sites) is in every run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction

from cases.models import Case
from dataprotection.models import AccessRequest, LegalHold, RequestCase
from demo import bulk as bulk_seeder
from demo.bulk import RunPending, seed_cases
from demo.models import BulkBatch, BulkRun
from demo.referrals import BULK_MESSAGES
from demo.seed import seed_demo
from premises.models import Site
from referrals.models import PartnerMembership, Referral
from victimsupport.accounts.models import Team
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import AuditEntry
from victimsupport.crypto.fields import encrypted_fields

pytestmark = pytest.mark.django_db

N = 240
BATCH = 40


class Stop(Exception):
    pass


def _counts() -> dict[str, int]:
    labels = [m for m in apps.get_models() if m._meta.app_label not in {"demo", "sessions"}]
    return {m._meta.label: m._default_manager.count() for m in labels}


def _stop_after(batches: int):
    def progress(done: int, total: int) -> None:
        if done >= batches * BATCH and done < total:
            raise Stop

    return progress


def _uninterrupted() -> dict[str, int]:
    """The counts a run that is never stopped leaves, then rolled back."""
    with transaction.atomic():
        seed_cases(N, batch_size=BATCH)
        counts = _counts()
        transaction.set_rollback(True)
    return counts


def _every_encrypted_value_decrypts() -> None:
    for model in apps.get_models():
        fields = [f.name for f in encrypted_fields(model)]
        if fields:
            # Reading a value decrypts it; a value that does not decrypt raises.
            for row in model._default_manager.only("pk", *fields).iterator():
                for name in fields:
                    getattr(row, name)


def test_an_interrupted_run_continues_to_what_an_uninterrupted_run_makes():
    seed_demo()
    expected = _uninterrupted()
    with pytest.raises(Stop):
        seed_cases(N, batch_size=BATCH, progress=_stop_after(2))
    run = BulkRun.objects.get()
    assert run.finished_at is None and BulkBatch.objects.filter(run=run).count() == 2
    assert Case.objects.count() == 12 + 2 * BATCH
    with pytest.raises(RunPending):
        seed_cases(N + 1, batch_size=BATCH)  # neither the run's number nor what it lacks
    # Stopped again, then finished with what it still lacks (as bench/run.py asks).
    with pytest.raises(Stop):
        seed_cases(N, batch_size=BATCH, progress=_stop_after(4))
    report = seed_cases(N - 4 * BATCH, batch_size=BATCH)
    assert report.resumed_from == 4 * BATCH and report.cases == N - 4 * BATCH
    run.refresh_from_db()
    assert run.finished_at is not None and BulkBatch.objects.filter(run=run).count() == N // BATCH
    assert _counts() == expected
    result = verify_chain()
    assert result.ok, result.problem
    _every_encrypted_value_decrypts()


def test_a_batch_stopped_halfway_leaves_nothing(monkeypatch):
    seed_demo()
    expected = _uninterrupted()
    seal = bulk_seeder.audit_bulk.seal
    calls = {"n": 0}

    def failing_seal(entries):
        calls["n"] += 1
        if calls["n"] == 3:  # the third batch: its rows are in, its entries not yet
            raise Stop
        return seal(entries)

    monkeypatch.setattr(bulk_seeder.audit_bulk, "seal", failing_seal)
    with pytest.raises(Stop):
        seed_cases(N, batch_size=BATCH)
    monkeypatch.setattr(bulk_seeder.audit_bulk, "seal", seal)
    batches = BulkBatch.objects.count()
    written = Case.objects.count() - 12
    assert written == batches * BATCH  # whole batches only
    seed_cases(N, batch_size=BATCH)
    assert _counts() == expected
    assert verify_chain().ok


def test_wave_two_rows_are_there_and_follow_the_rules(monkeypatch):
    monkeypatch.setattr("demo.dataprotection.REQUEST_SHARE", 0.05)
    monkeypatch.setattr("demo.dataprotection.HOLD_SHARE", 0.05)
    seed_demo()
    before = AuditEntry.objects.count()
    report = seed_cases(N, batch_size=BATCH)
    bulk = Referral.objects.filter(
        case__intake_draft__isnull=True, partner__name__startswith="Region"
    )
    statuses = set(bulk.values_list("status", flat=True))
    assert len(statuses) >= 3, statuses
    for referral in bulk.exclude(status__in=["draft", "awaiting_approval"]).select_related(
        "consent", "agreement", "partner"
    ):
        # It went under a consent naming the partner's kind and the partner's agreement.
        assert referral.consent.names(referral.partner)
        assert referral.agreement.partner_id == referral.partner_id
        assert referral.sent_at >= referral.consent.given_at
        if referral.status in ("sent", "accepted"):
            assert referral.grounds_hold()
        if referral.answered_by_id:
            assert PartnerMembership.objects.filter(
                user_id=referral.answered_by_id, partner=referral.partner
            ).exists()
        if referral.status == "revoked":
            assert referral.consent.withdrawn_at is not None
    # A partner's member sees exactly its open referrals.
    member = PartnerMembership.objects.filter(partner__referrals__isnull=False).first().user
    seen = Referral.objects.visible_to(member)
    assert all(r.is_open for r in seen)
    # Requests: one case each, numbered, signed off by that case's team's supervisor.
    requests = AccessRequest.objects.all()
    assert requests.exists() and LegalHold.objects.exists()
    references = list(requests.values_list("reference", flat=True))
    assert len(set(references)) == len(references) and all(r.startswith("DP-") for r in references)
    for request in requests.filter(status="delivered"):
        case = Case.objects.get(pk=RequestCase.objects.get(request=request).case_id)
        assert request.reviewed_by.teams.filter(pk=case.team_id).exists()
    # Sites: every team the run used has its office.
    for team in Team.objects.filter(pk__in=BulkRun.objects.get().team_ids):
        assert Site.objects.filter(team=team, kind="office").exists()
    # Audited, without plaintext: a create entry per referral, masked.
    entry = AuditEntry.objects.filter(
        content_type__model="referral", action=AuditEntry.Action.CREATE
    ).first()
    assert entry is not None and not any(m in str(entry.changes) for m in BULK_MESSAGES)
    assert AuditEntry.objects.filter(
        content_type__model="referral",
        action=AuditEntry.Action.ACCESS,
        additional_data__access="export",
    ).exists()
    assert AuditEntry.objects.count() - before >= report.audit_entries
    assert verify_chain().ok


def test_the_command_continues_an_interrupted_run_and_prints_progress(monkeypatch):
    seed_demo()
    original = bulk_seeder._run_batch
    calls = {"n": 0}

    def stopping(job):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C in the third batch
        return original(job)

    monkeypatch.setattr(bulk_seeder, "_run_batch", stopping)
    with pytest.raises(KeyboardInterrupt):
        call_command("seed_demo", cases=100, batch_size=20, stdout=StringIO(), stderr=StringIO())
    monkeypatch.setattr(bulk_seeder, "_run_batch", original)
    with pytest.raises(CommandError, match="--cases 100"):
        call_command("seed_demo", cases=101, stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("seed_demo", cases=100, stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Continuing the interrupted run of 100 cases" in text
    assert "100/100 cases" in text and "/s," in text and "left" in text
    assert Case.objects.count() == 12 + 100
    assert verify_chain().ok
