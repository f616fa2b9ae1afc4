"""seed_demo --cases N: many realistic cases, through the encrypted fields, with their audit
entries sealed into the chain and per-object grants that visible_to honours."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from cases.models import (
    Case,
    CaseUserObjectPermission,
    Consent,
    ContactMethod,
    ContactPreference,
    Note,
    NoticeAcknowledgement,
    StatusChange,
    Victim,
)
from demo import bulk as bulk_seeder
from demo.bulk import seed_cases
from demo.seed import seed_demo
from referrals.models import SHAREABLE, SharingConsent
from risk.models import Assessment, SafetyPlan
from tests import factories
from victimsupport.accounts.models import Team, User
from victimsupport.audit.bulk import log_created, seal
from victimsupport.audit.chain import seal_many, verify_chain
from victimsupport.audit.models import AuditEntry, AuditLogImmutable
from victimsupport.audit.redaction import EMPTY, REDACTED
from victimsupport.crypto.fields import blind_match

pytestmark = pytest.mark.django_db


N = 200


@pytest.fixture
def seeded(monkeypatch):
    """The demo, then N bulk cases in batches (so that batching is exercised)."""
    monkeypatch.setattr(bulk_seeder, "GRANT_SHARE", 0.3)
    seed_demo()
    before = AuditEntry.objects.count()
    report = seed_cases(N, batch_size=70)
    return report, before


def test_every_case_has_a_complete_file(seeded):
    report, _ = seeded
    bulk = Case.objects.exclude(reference__in=[]).filter(intake_draft__isnull=True)
    assert report.cases == N
    assert bulk.count() == N
    assert Victim.objects.filter(case__in=bulk).count() == N
    assert NoticeAcknowledgement.objects.filter(case__in=bulk).count() == N
    assert ContactPreference.objects.filter(case__in=bulk).count() == N * len(ContactMethod.values)
    opened = StatusChange.objects.filter(case__in=bulk, kind="opened").count()
    assert opened == N
    processing = Consent.objects.filter(case__in=bulk, kind="processing").count()
    assert processing == N
    # References are unique and numbered per year of opening.
    refs = list(bulk.values_list("reference", "opened_at"))
    assert len({r for r, _ in refs}) == N
    assert all(r.startswith(f"VS-{timezone.localtime(at).year}-") for r, at in refs)


def test_the_mix_looks_like_years_of_work(seeded):
    bulk = Case.objects.filter(intake_draft__isnull=True)
    statuses = dict(bulk.values_list("status").annotate(n=Count("pk")))
    assert statuses["open"] > 30 and statuses["closed"] > 30
    levels = dict(bulk.values_list("risk_level").annotate(n=Count("pk")))
    assert {"standard", "medium", "high", "unknown"} <= set(levels)
    assert Note.objects.filter(case__in=bulk).count() > N
    assert Assessment.objects.filter(case__in=bulk, status="final").count() > N // 4
    high_open = bulk.filter(risk_level="high", status="open")
    with_plan = high_open.filter(safety_plan__isnull=False).count()
    # Most high-risk open cases have a plan; some do not (the dashboard's first tile).
    assert 0 < with_plan < high_open.count() or high_open.count() < 5
    assert SafetyPlan.objects.filter(case__in=bulk).exists()
    sharing = SharingConsent.objects.filter(case__in=bulk)
    assert sharing.filter(withdrawn_at__isnull=False).exists()
    # As the service gives them: one kind, one purpose, shareable categories, an end date.
    for consent in sharing:
        assert consent.authorises and consent.partner_kind and consent.purpose
        assert consent.categories and set(consent.categories) <= SHAREABLE
        assert consent.expires_on is not None
    assert bulk.filter(review_due__isnull=False, status="open").exists()
    # Teams of a realistic size, each with caseworkers and a supervisor.
    assert Team.objects.count() >= 2
    for team in Team.objects.all():
        assert team.members.filter(groups__name="caseworker").count() >= 6
        assert team.members.filter(groups__name="supervisor").exists()


def test_values_are_encrypted_and_searchable_by_blind_index(seeded):
    victim = next(v for v in Victim.objects.filter(case__intake_draft__isnull=True) if v.phone)
    raw = factories.raw_database_bytes()
    assert victim.phone.encode() not in raw
    assert victim.address.encode() not in raw or not victim.address
    found = Victim.objects.filter(blind_match(Victim, "phone_index", victim.phone))
    assert victim in found


def test_grants_give_sight_of_a_case_to_a_colleague_elsewhere(seeded):
    grants = CaseUserObjectPermission.objects.select_related("user", "content_object")
    assert grants.exists()
    grant = grants.first()
    case = grant.content_object
    assert not grant.user.teams.filter(pk=case.team_id).exists()
    seen = Case.objects.visible_to(grant.user).filter(pk=case.pk).first()
    assert seen is not None and not seen.can_write


def test_audit_entries_match_the_rows_and_the_chain_verifies(seeded):
    report, before = seeded
    assert AuditEntry.objects.count() - before == report.audit_entries
    assert report.audit_entries > report.rows  # a create per row, plus access entries
    victim = Victim.objects.filter(case__intake_draft__isnull=True).first()
    entry = AuditEntry.objects.get(
        content_type__model="victim", object_pk=str(victim.pk), action=AuditEntry.Action.CREATE
    )
    assert entry.changes["given_name"] == [EMPTY, REDACTED]
    assert victim.given_name not in str(entry.changes)
    assert entry.changes["address_withheld"] == ["None", "False"]
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, object_pk=str(victim.case_id)
    ).exists()
    result = verify_chain()
    assert result.ok, result.problem


def test_seal_many_refuses_sealed_entries_and_redacts_what_it_seals(seeded):
    victim = Victim.objects.filter(case__intake_draft__isnull=True).first()
    [entry] = log_created([victim])
    entry.changes["given_name"] = ["None", "Plaintext Name"]  # a careless caller
    seal([entry])
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes["given_name"][1] == REDACTED
    assert "Plaintext" not in str(stored.changes)
    with pytest.raises(AuditLogImmutable):
        seal_many([stored])
    assert verify_chain().ok
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(content_type_id=entry.content_type_id)])
    with pytest.raises(ValueError):
        log_created([Victim(given_name="unsaved")])


def test_command_shows_progress_and_refuses_bad_numbers():
    out, err = StringIO(), StringIO()
    call_command("seed_demo", cases=40, batch_size=15, stdout=out, stderr=err)
    assert "Added 40 cases" in out.getvalue()
    progress = [line for line in out.getvalue().splitlines() if line.startswith("[")]
    assert progress[-1].startswith("[###") and "40/40 cases" in progress[-1]
    assert len(progress) >= 3  # one line per batch when not on a terminal
    assert Case.objects.count() == 12 + 40
    with pytest.raises(CommandError):
        call_command("seed_demo", cases=-1)
    with pytest.raises(CommandError):
        call_command("seed_demo", cases=5, batch_size=0)
    # A second run adds more, with fresh references and the same staff.
    call_command("seed_demo", cases=10, stdout=StringIO(), stderr=StringIO())
    assert Case.objects.count() == 62
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_keep_one_chain_and_unique_references():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel seeding is for PostgreSQL (SQLite has a single writer)")
    seed_demo()
    report = seed_cases(90, batch_size=15, workers=2)
    assert report.cases == 90
    assert Case.objects.count() == 12 + 90
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    result = verify_chain()
    assert result.ok, result.problem
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0


def test_seeded_data_obeys_the_rules_the_services_enforce(seeded):
    from cases.models import ContactLog, ContactPreference
    from risk.services import has_current_training

    bulk = Case.objects.filter(intake_draft__isnull=True)
    safe = {
        (p.case_id, p.method) for p in ContactPreference.objects.filter(case__in=bulk, is_safe=True)
    }
    contacts = list(ContactLog.objects.filter(case__in=bulk))
    assert contacts
    for contact in contacts:
        assert contact.method_was_safe == ((contact.case_id, contact.method) in safe)
        if contact.direction == "out":
            assert contact.method_was_safe  # outbound only by a method marked safe
    assert not ContactLog.objects.filter(case__do_not_contact=True, direction="out").exists()
    finalisers = {a.finalised_by for a in Assessment.objects.filter(case__in=bulk)}
    assert finalisers and all(has_current_training(u) for u in finalisers)
    assert not bulk.filter(status="closed", review_due__isnull=False).exists()
    for case in bulk.filter(status="open").exclude(risk_level="unknown")[:50]:
        latest = case.assessments.order_by("-finalised_at").first()
        assert latest.level == case.risk_level and latest.review_due == case.review_due


def test_seeding_again_after_a_staff_account_was_deactivated_or_teams_renamed(monkeypatch):
    monkeypatch.setattr(bulk_seeder, "CASES_PER_TEAM", 5)  # 12 cases: three teams
    seed_demo()
    seed_cases(10, batch_size=10)
    leaver = User.objects.filter(email__endswith="@staff.demo.example").order_by("pk").first()
    leaver.is_active = False
    leaver.save()
    Team.objects.create(name="North")  # "North" and "North team" once made the same address
    assert Team.objects.count() == 3
    report = seed_cases(12, batch_size=12)
    assert report.cases == 12
    emails = list(User.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    assert verify_chain().ok
