"""A partner without accounts answers by telephone, e-mail or in person: the caseworker records
it on the referral page. The page also links to the protected PDF while the referral is open,
and a referral that ends takes its protected PDFs with it. Cara is a North caseworker; Sam works
in South and was granted a look at the case (read-only); Pat works at a partner with accounts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from referrals import services
from referrals.models import Channel, ProtectedPackage, Referral
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.concurrency import EditConflict

pytestmark = pytest.mark.django_db

S = Referral.Status


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.MFA_ENFORCE = False


@pytest.fixture
def clinic():
    return factories.make_partner("Town Clinic", kind="health", channel=Channel.PHONE)


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


@pytest.fixture
def referral(case, clinic, cara):
    return factories.sent_referral(case, clinic, by=cara)


@pytest.fixture
def sam(case):
    sam = factories.caseworker(factories.make_team("South"), "Sam")
    assign_perm("cases.view_case", sam, case)
    return sam


def page(referral, action: str = "") -> str:
    name = f"referrals:referral_{action}" if action else "referrals:referral"
    return reverse(name, args=[referral.case_id, referral.pk])


def pdf_link(referral) -> str:
    return reverse("referrals:package_pdf", args=[referral.case_id, referral.pk])


# The service ---------------------------------------------------------------------------------


def test_staff_record_an_acceptance_then_the_outcome(referral, cara):
    since = factories.audit_mark()
    accepted = services.referral_record_answer(
        referral=referral, actor=cara, version=referral.version, answer="accept"
    )
    assert accepted.status == S.ACCEPTED
    assert accepted.answered_by == cara and accepted.answered_at is not None
    assert accepted.version == referral.version + 1
    entry = factories.assert_changed(accepted, AuditEntry.Action.UPDATE, since=since)
    assert "status" in entry.changes
    done = services.referral_record_answer(
        referral=accepted,
        actor=cara,
        version=accepted.version,
        answer="complete",
        outcome=" Seen by the nurse ",
    )
    assert done.status == S.COMPLETED and done.outcome == "Seen by the nurse"
    assert done.completed_at is not None and done.answered_by == cara


def test_staff_record_a_refusal_with_its_reason(referral, cara):
    with pytest.raises(ValidationError) as refused:
        services.referral_record_answer(
            referral=referral, actor=cara, version=referral.version, answer="decline"
        )
    assert "reason" in refused.value.message_dict
    declined = services.referral_record_answer(
        referral=referral, actor=cara, version=referral.version, answer="decline", reason="Full"
    )
    assert declined.status == S.DECLINED and declined.decline_reason == "Full"
    assert declined.answered_by == cara


@pytest.mark.parametrize(
    ("status", "answer", "extra"),
    [
        (S.ACCEPTED, "accept", {}),
        (S.ACCEPTED, "decline", {"reason": "Full"}),
        (S.SENT, "complete", {"outcome": "Done"}),
        (S.DRAFT, "accept", {}),
        (S.REVOKED, "accept", {}),
        (S.DECLINED, "complete", {"outcome": "Done"}),
        (S.COMPLETED, "decline", {"reason": "Full"}),
    ],
)
def test_only_from_the_states_the_partner_answers_from(referral, cara, status, answer, extra):
    Referral.objects.filter(pk=referral.pk).update(status=status)
    referral.refresh_from_db()
    with pytest.raises(EditConflict):
        services.referral_record_answer(
            referral=referral, actor=cara, version=referral.version, answer=answer, **extra
        )
    referral.refresh_from_db()
    assert referral.status == status and referral.answered_by is None


def test_a_stale_version_is_a_conflict(referral, cara):
    with pytest.raises(EditConflict):
        services.referral_record_answer(
            referral=referral, actor=cara, version=referral.version + 5, answer="accept"
        )


def test_only_staff_who_may_change_the_case(referral, sam, north):
    pat = factories.partner_user(referral.partner, "Pat")
    sofia_south = factories.supervisor(factories.make_team("East"), "Sven")
    for actor in (sam, pat, sofia_south):
        with pytest.raises(PermissionDenied):
            services.referral_record_answer(
                referral=referral, actor=actor, version=referral.version, answer="accept"
            )
    referral.refresh_from_db()
    assert referral.status == S.SENT


# The page ------------------------------------------------------------------------------------


def test_the_page_offers_the_answers_its_state_allows(client, referral, cara):
    client.force_login(cara)
    sent = client.get(page(referral)).text
    assert "Record the partner's answer (given by telephone, e-mail or in person)" in sent
    assert f'action="{page(referral, "answer")}"' in sent
    assert 'value="accept"' in sent and 'value="decline"' in sent
    assert 'value="complete"' not in sent
    Referral.objects.filter(pk=referral.pk).update(status=S.ACCEPTED)
    accepted = client.get(page(referral)).text
    assert 'value="complete"' in accepted and 'value="accept"' not in accepted
    for closed in (S.DRAFT, S.DECLINED, S.COMPLETED, S.REVOKED):
        Referral.objects.filter(pk=referral.pk).update(status=closed)
        assert page(referral, "answer") not in client.get(page(referral)).text, closed


def test_an_answer_is_recorded_through_the_page(client, referral, cara):
    client.force_login(cara)
    response = client.post(
        page(referral, "answer"),
        {"version": referral.version, "answer": "decline", "reason": "No appointments"},
    )
    assert response.status_code == 302 and response["Location"] == page(referral)
    referral.refresh_from_db()
    assert referral.status == S.DECLINED and referral.decline_reason == "No appointments"


def test_a_refused_answer_is_shown_again_with_what_was_typed(client, referral, cara):
    client.force_login(cara)
    since = factories.audit_mark()
    response = client.post(
        page(referral, "answer"), {"version": referral.version, "answer": "decline", "reason": ""}
    )
    assert response.status_code == 400
    assert "Say why the partner cannot take it on." in response.text
    factories.assert_accessed(referral, "view", cara, since=since)
    Referral.objects.filter(pk=referral.pk).update(status=S.ACCEPTED)
    referral.refresh_from_db()
    too_long = "y" * 10_001
    response = client.post(
        page(referral, "answer"),
        {"version": referral.version, "answer": "complete", "outcome": too_long},
    )
    assert response.status_code == 400 and too_long in response.text
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED


def test_an_answer_on_a_closed_referral_is_refused(client, referral, cara):
    Referral.objects.filter(pk=referral.pk).update(status=S.REVOKED)
    client.force_login(cara)
    response = client.post(page(referral, "answer"), {"version": 1, "answer": "accept"})
    assert response.status_code == 400
    assert "not waiting for the partner" in response.text
    referral.refresh_from_db()
    assert referral.status == S.REVOKED


def test_a_page_read_before_someone_answered_is_told(client, referral, cara):
    version = referral.version
    pat = factories.partner_user(referral.partner, "Pat")
    services.referral_accept(referral=referral, actor=pat, version=version)
    client.force_login(cara)
    response = client.post(page(referral, "answer"), {"version": version, "answer": "accept"})
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.answered_by == pat


def test_read_only_staff_are_offered_nothing_and_refused(client, referral, sam):
    client.force_login(sam)
    shown = client.get(page(referral))
    assert shown.status_code == 200
    assert page(referral, "answer") not in shown.text
    assert pdf_link(referral) not in shown.text
    response = client.post(page(referral, "answer"), {"version": 1, "answer": "accept"})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == S.SENT


# The link to the protected PDF -------------------------------------------------------------


def test_the_protected_pdf_is_linked_while_open_and_prominent_for_its_partners(
    client, referral, cara, clinic
):
    client.force_login(cara)
    link = f'href="{pdf_link(referral)}"'
    assert link in client.get(page(referral)).text
    assert f'{link} class="button"' not in client.get(page(referral)).text
    clinic.channel = Channel.PROTECTED_PDF
    clinic.save(update_fields=["channel"])
    assert f'{link} class="button"' in client.get(page(referral)).text
    Referral.objects.filter(pk=referral.pk).update(status=S.ACCEPTED)
    assert link in client.get(page(referral)).text
    for closed in (S.DRAFT, S.AWAITING_APPROVAL, S.DECLINED, S.COMPLETED, S.REVOKED):
        Referral.objects.filter(pk=referral.pk).update(status=closed)
        assert pdf_link(referral) not in client.get(page(referral)).text, closed


# Protected PDFs go with the referral -------------------------------------------------------


def _packages(referral, cara, n: int = 1) -> None:
    for _ in range(n):
        services.protected_package_create(referral=referral, actor=cara)


@pytest.mark.parametrize(
    "close",
    [
        lambda r, cara, pat: services.referral_revoke(referral=r, actor=cara, because="by_staff"),
        lambda r, cara, pat: services.referral_decline(
            referral=r, actor=pat, version=r.version, reason="Full"
        ),
        lambda r, cara, pat: services.referral_complete(
            referral=services.referral_accept(referral=r, actor=pat, version=r.version),
            actor=pat,
            version=r.version + 1,
            outcome="Done",
        ),
        lambda r, cara, pat: services.referral_record_answer(
            referral=r, actor=cara, version=r.version, answer="decline", reason="Full"
        ),
    ],
    ids=["revoked", "declined", "completed", "declined as told to staff"],
)
def test_a_referral_that_ends_takes_its_protected_pdfs_with_it(referral, cara, close):
    pat = factories.partner_user(referral.partner, "Pat")
    other = factories.sent_referral(referral.case, referral.partner, by=cara)
    _packages(referral, cara, 2)
    _packages(other, cara)
    referral.refresh_from_db()
    close(referral, cara, pat)
    assert not ProtectedPackage.objects.filter(referral=referral).exists()
    assert ProtectedPackage.objects.filter(referral=other).count() == 1


def test_an_accepted_referral_keeps_its_protected_pdf(referral, cara):
    _packages(referral, cara)
    services.referral_record_answer(
        referral=referral, actor=cara, version=referral.version, answer="accept"
    )
    assert ProtectedPackage.objects.filter(referral=referral).count() == 1


def test_expired_protected_pdfs_are_purged_daily(referral, cara):
    _packages(referral, cara, 2)
    old, new = ProtectedPackage.objects.order_by("created_at")
    ProtectedPackage.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    since = factories.audit_mark()
    out = io.StringIO()
    call_command("purge_protected_packages", stdout=out)
    assert "1 expired protected packages deleted." in out.getvalue()
    assert list(ProtectedPackage.objects.values_list("pk", flat=True)) == [new.pk]
    entry = AuditEntry.objects.filter(
        seq__gt=since, action=AuditEntry.Action.DELETE, object_pk=str(old.pk)
    ).get()
    assert entry.actor is None
