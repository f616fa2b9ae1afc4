from __future__ import annotations

import datetime
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from cases.models import Case, Consent, Document, IntakeDraft, Note, Victim
from referrals.models import SHAREABLE, Agreement, Referral, SharingConsent
from risk.models import Assessment, SafetyPlan, TrainingRecord
from victimsupport.access import roles_of
from victimsupport.accounts.models import Team, User
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_prints_passwords_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "local trials only" in text
    users = {u.email: u for u in User.objects.all()}
    assert len(users) == 7
    roles = set().union(*(roles_of(u) for u in users.values()))
    assert roles == {
        "caseworker",
        "supervisor",
        "data_protection_officer",
        "auditor",
        "administrator",
        "partner",
    }
    for email in users:
        assert email in text
    cara = users["caseworker@demo.example"]
    password = next(line.split()[-1] for line in text.splitlines() if cara.email in line)
    assert cara.check_password(password)
    assert Team.objects.count() == 2
    # A dozen cases that went through every step of intake, then were worked on.
    assert Case.objects.count() == 12
    assert Victim.objects.count() == 12
    # A note each, and two more naming the person feared (demo/dataprotection.py: the
    # copies being prepared suggest redacting that name).
    assert Note.objects.count() == 14
    assert Document.objects.count() == 1
    assert not Consent.objects.filter(withdrawn_at__isnull=False).exists()
    # Consents to share, given from the case file: four to any legal-aid partner (one of them
    # withdrawn), and six for the network's referrals (one withdrawn after sending).
    assert SharingConsent.objects.filter(partner_kind="legal_aid").count() == 4
    assert SharingConsent.objects.count() == 10
    assert SharingConsent.objects.filter(withdrawn_at__isnull=False).count() == 2
    assert all(c.authorises and c.notice_id for c in SharingConsent.objects.all())
    assert Case.objects.filter(status="closed").count() == 1
    assert Case.objects.filter(do_not_contact=True).count() == 1
    # North's positive screens were assessed; South's wait (Sam is not trained yet).
    assert Case.objects.filter(assessment_needed=True).count() == 2
    assert Case.objects.filter(risk_level="high").count() >= 2
    assert Assessment.objects.filter(status="final").exclude(level=F("computed_level")).count() == 1
    assert SafetyPlan.objects.count() == 1 and TrainingRecord.objects.count() == 2
    assert IntakeDraft.objects.filter(finished_at__isnull=True).count() == 1
    assert verify_chain().ok


def test_second_run_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    before = (
        list(User.objects.values_list("email", "password")),
        Case.objects.count(),
        AuditEntry.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", stdout=out)
    after = (
        list(User.objects.values_list("email", "password")),
        Case.objects.count(),
        AuditEntry.objects.count(),
    )
    assert before == after
    assert "nothing changed" in out.getvalue()
    assert "demo-" not in out.getvalue()


def test_reset_passwords_prints_new_ones():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--reset-passwords", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "auditor@demo.example" in line)
    assert User.objects.get(email="auditor@demo.example").check_password(line.split()[-1])


def test_refused_in_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refused"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_seed_demo_prints_the_address_it_is_given():
    out = StringIO()
    call_command("seed_demo", address="http://127.0.0.1:8123/", stdout=out)
    assert "Sign in at http://127.0.0.1:8123/" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_seed_demo_takes_the_address_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEED_DEMO_ADDRESS", "http://127.0.0.1:8124/")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:8124/" in out.getvalue()


def _make_run_dry(*args: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [make, "-n", "-C", str(root), "run", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_run_serves_on_the_port_given_and_seed_demo_prints_it():
    text = _make_run_dry("PORT=8123")
    assert "runserver 127.0.0.1:8123" in text
    assert "seed_demo --address http://127.0.0.1:8123/" in text
    assert "8000" not in text


def test_make_run_serves_on_8000_by_default():
    text = _make_run_dry()
    assert "runserver 127.0.0.1:8000" in text
    assert "seed_demo --address http://127.0.0.1:8000/" in text


def test_seed_demo_shows_the_network_working():
    call_command("seed_demo", stdout=StringIO())
    # Referrals in every state, an override waiting and one approved.
    assert set(Referral.objects.values_list("status", flat=True)) == set(Referral.Status.values)
    assert Referral.objects.filter(status="awaiting_approval", override_approved=None).exists()
    assert Referral.objects.filter(status="sent", override_approved=True).exists()
    today = timezone.localdate()
    # One agreement expired, one covering only some parts of a file, one ending soon.
    assert Agreement.objects.filter(valid_to__lt=today).count() == 1
    assert any(set(a.categories) < SHAREABLE for a in Agreement.objects.all())
    assert Agreement.objects.filter(
        valid_to__gte=today, valid_to__lte=today + datetime.timedelta(days=60)
    ).exists()
    # The partner user belongs to the refuge and sees its open referrals, nothing else.
    pia = User.objects.get(email="partner@demo.example")
    assert pia.partner_membership.partner.name == "Northside Women's Refuge"
    seen = Referral.objects.visible_to(pia)
    assert seen.exists() and not seen.exclude(partner__name="Northside Women's Refuge").exists()
    # Seeding again adds nothing.
    count = Referral.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Referral.objects.count() == count


def test_seed_demo_shows_the_data_protection_officers_work():
    from dataprotection.models import (
        AccessRequest,
        Breach,
        Delivery,
        Erasure,
        LegalHold,
        ProcessingActivity,
        RequestStatus,
    )

    call_command("seed_demo", stdout=StringIO())
    today = timezone.localdate()
    requests = AccessRequest.objects.all()
    # A request at each stage of a copy, an erasure request waiting, one overdue, one extended,
    # one flagged as made by the person a file records as feared.
    assert {
        RequestStatus.RECEIVED,
        RequestStatus.PREPARING,
        RequestStatus.IN_REVIEW,
        RequestStatus.APPROVED,
        RequestStatus.DELIVERED,
    } <= set(requests.values_list("status", flat=True))
    assert requests.filter(kind="erasure", status=RequestStatus.PREPARING).exists()
    assert any(r.deadline < today for r in requests.open())
    assert requests.exclude(extended_to=None).exists()
    assert requests.filter(feared_match=True, feared_decision="").exists()
    # The copy in review has the feared person's name redacted; the delivered one was handed
    # over with its protected PDF.
    in_review = requests.get(status=RequestStatus.IN_REVIEW)
    assert in_review.redactions.filter(status="applied").exists()
    assert (
        Delivery.objects.filter(request__status=RequestStatus.DELIVERED)
        .filter(pdf__isnull=False)
        .exists()
    )
    # A case due for erasure, one under a legal hold, breaches with the clock, the record.
    assert Erasure.objects.filter(status="due").count() == 1
    assert LegalHold.objects.filter(lifted_at=None).count() == 1
    assert Breach.objects.count() == 2 and Breach.objects.filter(decision="").exists()
    assert ProcessingActivity.objects.count() >= 5
    assert verify_chain().ok
    # Seeding again adds nothing.
    call_command("seed_demo", stdout=StringIO())
    assert AccessRequest.objects.count() == requests.count()


def test_seed_demo_shows_the_premises():
    from premises.models import (
        EscapePlan,
        PageStatus,
        SafetyPage,
        SiteAction,
        SiteKind,
        SitePhoto,
    )
    from premises.selectors.sites import dashboard
    from victimsupport.stored_files import carries_metadata

    call_command("seed_demo", stdout=StringIO())
    sofia = User.objects.get(email="supervisor@demo.example")
    office = sofia.teams.get().sites.get(kind=SiteKind.OFFICE)
    refuge = sofia.teams.get().sites.get(kind=SiteKind.REFUGE)
    # The office: a signed-off assessment with findings and an overdue action, photos with no
    # metadata, an escape plan read by some staff, a drill, a published safety page.
    assessment = office.assessments.get(status="signed_off")
    assert assessment.findings.count() == 2
    assert SiteAction.objects.overdue().filter(site=office).count() == 1
    assert SiteAction.objects.filter(site=office, done_on__isnull=False).exists()
    photos = SitePhoto.objects.filter(site=office)
    assert photos.count() == 2
    assert not any(carries_metadata(p.content, p.content_type) for p in photos)
    plan = EscapePlan.objects.get(site=office, status="approved")
    assert plan.floor_plan and plan.readings.count() == 1
    assert office.drills.get().actions.count() == 1
    assert SafetyPage.objects.filter(site=office, status=PageStatus.PUBLISHED).exists()
    # The refuge: an incident made its review due; a reassessment links it; a page waits.
    assert refuge.review_reason == "incident" and refuge.review_overdue is False
    assert refuge.assessments.get().incident == refuge.incidents.get()
    assert SafetyPage.objects.filter(site=refuge, status=PageStatus.SUBMITTED).exists()
    assert EscapePlan.objects.filter(site=refuge, status="draft").exists()
    # The supervisor's dashboard shows them.
    figures = dashboard(sofia)
    assert [site.pk for site in figures["reviews_due"]] == [refuge.pk]
    assert len(figures["overdue_actions"]) == 1 and figures["pages_waiting"] == 1
    assert {row["site"].pk: row["read"] for row in figures["sites"]} == {office.pk: 1, refuge.pk: 1}
    assert verify_chain().ok
    call_command("seed_demo", stdout=StringIO())
    assert SitePhoto.objects.count() == 3
