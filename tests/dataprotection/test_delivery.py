"""Delivery of the signed-off copy, on the staff's side: the final PDF (AES-256, in the
person's language, under the delivery's passphrase), the passphrase by the safe channel,
the one-time link shown once, the hand-over, the purge, and who may do it.

Dana is the data-protection officer; Sofia supervises North; Cara works in North."""

from __future__ import annotations

import datetime
import io
import math
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import ContactPreference
from dataprotection.models import CopyJob, Delivery, RequestStatus
from dataprotection.services import delivery as services
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.pdfjobs import produce_document

pytestmark = pytest.mark.django_db

CONTENT = "Notes kept about you: the meeting of Tuesday."


@pytest.fixture
def dana():
    return factories.dpo("Dana")


@pytest.fixture
def case(north, cara):
    case = factories.make_case(team=north, assigned_to=cara)
    ContactPreference.objects.create(
        case=case, method="text", is_safe=True, safe_times="Weekdays, 9 to 12"
    )
    ContactPreference.objects.create(case=case, method="phone", is_safe=False)
    return case


@pytest.fixture
def approved(case, dana):
    return factories.approved_request(case, logged_by=dana, html=f"<p>{CONTENT}</p>")


def produce(job) -> None:
    """Run the worker's task inline, as the background worker would."""
    produce_document.call("dataprotection.copyjob", str(job.pk))


def prepared(dana, request) -> Delivery:
    """Prepared, rendered by the worker and stored, as the DPO's page does."""
    delivery, job = services.delivery_prepare(actor=dana, request=request)
    produce(job)
    job.refresh_from_db()
    services.delivery_store(actor=dana, request=request, job=job)
    delivery.refresh_from_db()
    return delivery


def text_of(content: bytes, password: str) -> str:
    reader = PdfReader(io.BytesIO(content))
    assert reader.decrypt(password)
    return " ".join(page.extract_text() for page in reader.pages)


def delivery_url(name: str, request) -> str:
    return reverse(f"dataprotection:{name}", args=[request.pk])


# --- The final PDF -----------------------------------------------------------------------


def test_the_final_pdf_opens_only_with_the_passphrase_under_aes_256(dana, approved):
    delivery = prepared(dana, approved)
    reader = PdfReader(io.BytesIO(delivery.pdf))
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)
    assert not reader.decrypt("not the passphrase")
    assert not reader.decrypt("")
    assert CONTENT.encode() not in delivery.pdf
    assert CONTENT in text_of(delivery.pdf, delivery.passphrase)


def test_the_final_pdf_is_in_the_persons_language(dana, case):
    request = factories.approved_request(case, logged_by=dana, language="fr")
    delivery, job = services.delivery_prepare(actor=dana, request=request)
    assert job.language == "fr" and job.final
    produce(job)
    job.refresh_from_db()
    text = text_of(job.pdf, delivery.passphrase)
    # The page footer: "page 1 sur 1" in French, "page 1 of 1" in English.
    assert re.search(r"page\s*1\s*sur\s*1", text), text
    assert not re.search(r"page\s*1\s*of\s*1", text)


def test_the_passphrase_can_be_read_aloud_and_holds_100_bits(dana, approved):
    delivery, _job = services.delivery_prepare(actor=dana, request=approved)
    groups = delivery.passphrase.split("-")
    assert len(groups) == services.PASSPHRASE_GROUPS and all(len(g) == 4 for g in groups)
    assert set("".join(groups)) <= set(services.PASSPHRASE_ALPHABET)
    assert not set("01ilo") & set(services.PASSPHRASE_ALPHABET)
    bits = services.PASSPHRASE_GROUPS * 4 * math.log2(len(services.PASSPHRASE_ALPHABET))
    assert bits >= 100
    assert services.new_passphrase() != services.new_passphrase()


def test_a_copy_not_signed_off_cannot_be_prepared(dana, case):
    request = factories.make_access_request(case, logged_by=dana)
    with pytest.raises(ValidationError, match="signed off"):
        services.delivery_prepare(actor=dana, request=request)
    assert not Delivery.objects.exists() and not CopyJob.objects.exists()


def test_opening_the_delivery_page_writes_nothing_even_when_the_pdf_is_done(client, dana, approved):
    client.force_login(dana)
    assert client.post(delivery_url("delivery_prepare", approved)).status_code == 302
    job = CopyJob.objects.get()
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert 'id="export-status"' in page  # its progress, from pdf/_job_status.html
    produce(job)
    delivery = Delivery.objects.get()
    before = Delivery.objects.filter(pk=delivery.pk).values().get()
    since = factories.audit_mark()
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert Delivery.objects.filter(pk=delivery.pk).values().get() == before
    assert (
        not AuditEntry.objects.filter(seq__gt=since)
        .exclude(action=AuditEntry.Action.ACCESS)
        .exists()
    )
    # It offers the POST that keeps it instead.
    assert delivery_url("delivery_keep", approved) in page
    assert "Keep the finished copy for delivery" in page


def test_keeping_the_finished_copy_stores_it_on_the_delivery(client, dana, approved):
    client.force_login(dana)
    client.post(delivery_url("delivery_prepare", approved))
    # Not finished yet: refused, nothing kept.
    response = client.post(delivery_url("delivery_keep", approved))
    assert response.status_code == 400 and "not ready yet" in response.content.decode()
    produce(CopyJob.objects.get())
    response = client.post(delivery_url("delivery_keep", approved))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.pdf is not None
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert "Made and kept for the delivery" in page
    # Kept after the job itself is purged.
    CopyJob.objects.all().delete()
    delivery.refresh_from_db()
    assert CONTENT in text_of(delivery.pdf, delivery.passphrase)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("delivery_passphrase_sent", {"method": "text"}),
        ("delivery_link", {}),
        ("delivery_hand_over", {"via": "in_person"}),
    ],
)
def test_the_next_step_keeps_the_finished_copy_first(client, dana, approved, name, data):
    client.force_login(dana)
    client.post(delivery_url("delivery_prepare", approved))
    produce(CopyJob.objects.get())
    assert Delivery.objects.get().pdf is None
    response = client.post(delivery_url(name, approved), data)
    assert response.status_code in (200, 302), response.content.decode()
    delivery = Delivery.objects.get()
    assert delivery.pdf is not None
    assert CONTENT in text_of(delivery.pdf, delivery.passphrase)


# --- The passphrase by the safe channel ----------------------------------------------------


def test_the_page_shows_the_passphrase_with_the_safe_methods_and_times(client, dana, approved):
    delivery = prepared(dana, approved)
    client.force_login(dana)
    since = factories.audit_mark()
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert delivery.passphrase in page
    assert "Weekdays, 9 to 12" in page and "Text message" in page
    factories.assert_accessed(approved, AccessKind.VIEW, dana, since=since)
    factories.assert_accessed(approved.cases.get(), AccessKind.VIEW, dana, since=since)


def test_once_sent_the_passphrase_is_hidden_and_shown_again_once_on_request(client, dana, approved):
    delivery = prepared(dana, approved)
    services.passphrase_sent(actor=dana, delivery=delivery, method="text")
    client.force_login(dana)
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert delivery.passphrase not in page
    assert "Sent by Text message on" in page
    assert delivery_url("delivery_passphrase_show", approved) in page
    assert "Show the passphrase again" in page
    since = factories.audit_mark()
    response = client.post(delivery_url("delivery_passphrase_show", approved))
    assert response.status_code == 200
    assert delivery.passphrase in response.content.decode()
    factories.assert_accessed(
        approved, AccessKind.VIEW, dana, since=since, delivery=delivery.pk, **{"as": "passphrase"}
    )
    # Once: the next visit hides it again.
    again = client.get(delivery_url("delivery", approved)).content.decode()
    assert delivery.passphrase not in again


def test_only_the_dpo_is_shown_the_passphrase_again(client, north, cara, dana, approved):
    delivery = prepared(dana, approved)
    services.passphrase_sent(actor=dana, delivery=delivery, method="text")
    client.force_login(cara)
    response = client.post(delivery_url("delivery_passphrase_show", approved))
    assert response.status_code == 404
    assert delivery.passphrase not in response.content.decode()


def test_the_passphrase_sent_by_a_safe_method_is_recorded_and_audited(client, dana, approved):
    delivery = prepared(dana, approved)
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.post(delivery_url("delivery_passphrase_sent", approved), {"method": "text"})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.passphrase_sent_via == "text" and delivery.passphrase_sent_by == dana
    factories.assert_changed(delivery, actor=dana, since=since)


def test_a_method_the_case_does_not_record_as_safe_is_refused(client, dana, approved):
    delivery = prepared(dana, approved)
    client.force_login(dana)
    for method in ("phone", "email"):  # recorded unsafe; not recorded at all
        response = client.post(
            delivery_url("delivery_passphrase_sent", approved), {"method": method}
        )
        assert response.status_code == 400
        assert "does not record this method as safe" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.passphrase_sent_at is None


def test_a_method_unsafe_in_another_case_of_the_request_is_refused(dana, north, case):
    other = factories.make_case(team=north)
    ContactPreference.objects.create(case=other, method="text", is_safe=False)
    request = factories.approved_request(case, other, logged_by=dana)
    delivery = prepared(dana, request)
    with pytest.raises(ValidationError, match="does not record"):
        services.passphrase_sent(actor=dana, delivery=delivery, method="text")


def test_do_not_contact_blocks_the_passphrase_and_says_why(client, dana, case, approved):
    delivery = prepared(dana, approved)
    case.do_not_contact = True
    case.save()
    client.force_login(dana)
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert "marked do not contact" in page and case.reference in page
    assert delivery_url("delivery_passphrase_sent", approved) not in page  # no form offered
    response = client.post(delivery_url("delivery_passphrase_sent", approved), {"method": "text"})
    assert response.status_code == 400
    assert "could put them in danger" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.passphrase_sent_at is None
    # Nor can a link be sent to them.
    with pytest.raises(ValidationError, match="do not contact"):
        services.delivery_link_create(actor=dana, delivery=delivery)


# --- The link, shown once; the hand-over --------------------------------------------------


def test_the_link_is_shown_once_and_only_its_digest_is_kept(client, dana, approved, settings):
    prepared(dana, approved)
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.post(delivery_url("delivery_link", approved))
    assert response.status_code == 200
    page = response.content.decode()
    delivery = Delivery.objects.get()
    match = re.search(re.escape(settings.SITE_URL) + r"/copy/([\w-]+)/#([\w-]+)", page)
    assert match, page
    link_id, secret = match.groups()
    assert link_id == delivery.link_id and len(link_id) >= 22  # 128 bits, urlsafe
    assert secret not in delivery.link_secret_hash and len(delivery.link_secret_hash) == 64
    assert delivery.link_expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)
    assert delivery.link_expires_at - timezone.now() <= datetime.timedelta(days=7)
    factories.assert_changed(delivery, actor=dana, since=since)
    # Never again: the page afterwards does not show it.
    assert secret not in client.get(delivery_url("delivery", approved)).content.decode()
    assert secret.encode() not in factories.raw_database_bytes()


def test_the_hand_over_delivers_the_request_and_is_its_download_entry(client, dana, approved):
    delivery = prepared(dana, approved)
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.post(delivery_url("delivery_hand_over", approved), {"via": "in_person"})
    assert response.status_code == 302
    approved.refresh_from_db()
    delivery.refresh_from_db()
    assert approved.status == RequestStatus.DELIVERED and approved.closed_by == dana
    assert delivery.handed_over_via == "in_person"
    factories.assert_accessed(
        approved, AccessKind.DOWNLOAD, dana, since=since, via="in_person", delivery=delivery.pk
    )
    with pytest.raises(ValidationError, match="already been delivered"):
        services.delivery_link_create(actor=dana, delivery=delivery)


def test_a_hand_over_without_saying_how_shows_the_page_again(client, dana, approved):
    prepared(dana, approved)
    client.force_login(dana)
    response = client.post(delivery_url("delivery_hand_over", approved), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == RequestStatus.APPROVED


def test_the_dpo_downloads_the_protected_pdf_with_an_entry(client, dana, approved):
    delivery = prepared(dana, approved)
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.get(delivery_url("delivery_pdf", approved))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == delivery.pdf
    assert 'filename="copy.pdf"' in response["Content-Disposition"]
    factories.assert_accessed(approved, AccessKind.DOWNLOAD, dana, since=since, **{"as": "staff"})


# --- Who may -------------------------------------------------------------------------------


def test_only_the_dpo_reaches_the_delivery_pages(client, north, cara, dana, approved):
    prepared(dana, approved)
    sofia = factories.supervisor(north, "Sofia")
    names = [
        "delivery",
        "delivery_prepare",
        "delivery_passphrase_sent",
        "delivery_link",
        "delivery_hand_over",
        "delivery_pdf",
    ]
    for user in (cara, sofia):
        client.force_login(user)
        for name in names:
            url = delivery_url(name, approved)
            assert client.get(url).status_code in (404, 405), (user, name)
            assert client.post(url, {"method": "text", "via": "in_person"}).status_code in (
                404,
                405,
            ), (user, name)
    delivery = Delivery.objects.get()
    assert delivery.link_id is None and delivery.passphrase_sent_at is None
    with pytest.raises(ValidationError):
        services.delivery_prepare(actor=sofia, request=approved)


def test_the_delivery_page_answers_in_a_fixed_number_of_queries(
    client, dana, north, case, django_assert_max_num_queries
):
    others = [factories.make_case(team=north) for _ in range(3)]
    for other in others:
        ContactPreference.objects.create(case=other, method="text", is_safe=True)
    request = factories.approved_request(case, *others, logged_by=dana)
    prepared(dana, request)
    client.force_login(dana)
    # Each case it concerns is an access entry (a few writes each); the reads stay fixed.
    with django_assert_max_num_queries(40 + 4 * 8):
        assert client.get(delivery_url("delivery", request)).status_code == 200


# --- Clearing ------------------------------------------------------------------------------


def test_no_step_of_a_user_runs_the_global_purge(client, dana, approved, case, monkeypatch):
    other = prepared(dana, factories.approved_request(case, logged_by=dana))
    Delivery.objects.filter(pk=other.pk).update(
        link_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    def no_purge(**kwargs):
        raise AssertionError("the purge is cron's, not a user's action")

    monkeypatch.setattr(services, "delivery_purge", no_purge)
    delivery = prepared(dana, approved)
    services.delivery_link_create(actor=dana, delivery=delivery)
    other.refresh_from_db()
    assert other.pdf is not None and other.passphrase  # untouched until cron runs


def test_an_expired_link_is_refused_and_explained_before_the_purge_runs(client, dana, approved):
    delivery = prepared(dana, approved)
    services.delivery_link_create(actor=dana, delivery=delivery)
    Delivery.objects.filter(pk=delivery.pk).update(
        link_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    delivery.refresh_from_db()
    assert delivery.pdf is not None and delivery.passphrase  # the purge has not run
    assert services.link_expired(delivery)
    client.force_login(dana)
    page = client.get(delivery_url("delivery", approved)).content.decode()
    assert "expired on" in page and "Expired unused on" in page
    assert delivery.passphrase not in page
    assert delivery_url("delivery_link", approved) not in page
    assert delivery_url("delivery_prepare", approved) in page  # start again
    for name, data in [
        ("delivery_link", {}),
        ("delivery_hand_over", {"via": "in_person"}),
        ("delivery_passphrase_sent", {"method": "text"}),
    ]:
        response = client.post(delivery_url(name, approved), data)
        assert response.status_code == 400 and "expired on" in response.content.decode(), name
    assert client.get(delivery_url("delivery_pdf", approved)).status_code == 404
    approved.refresh_from_db()
    assert approved.status == RequestStatus.APPROVED
    # Prepared again: a new passphrase, the old PDF gone, the link reset.
    old = delivery.passphrase
    again, _job = services.delivery_prepare(actor=dana, request=approved)
    again.refresh_from_db()
    assert again.passphrase != old and again.pdf is None and again.link_id is None


def test_the_purge_clears_the_pdf_and_passphrase_after_use_or_expiry(dana, approved, case):
    delivery = prepared(dana, approved)
    _made, _link = services.delivery_link_create(actor=dana, delivery=delivery)
    waiting = factories.approved_request(case, logged_by=dana)
    kept = prepared(dana, waiting)
    assert services.delivery_purge() == 0
    Delivery.objects.filter(pk=delivery.pk).update(
        link_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    since = factories.audit_mark()
    call_command("purge_deliveries", stdout=io.StringIO())
    delivery.refresh_from_db()
    kept.refresh_from_db()
    assert delivery.pdf is None and delivery.passphrase == ""
    assert kept.pdf is not None and kept.passphrase
    entry = factories.assert_changed(delivery, since=since)
    assert entry.additional_data.get("system") == "purge_deliveries"
    assert services.delivery_purge() == 0  # once
    # Prepared again after expiry: a new passphrase, the old one opens nothing.
    old = kept.passphrase
    again, _job = services.delivery_prepare(actor=dana, request=approved)
    assert again.passphrase and again.passphrase != old and again.link_id is None


def test_every_step_is_in_the_audit_log(dana, approved):
    since = factories.audit_mark()
    delivery = prepared(dana, approved)
    services.passphrase_sent(actor=dana, delivery=delivery, method="text")
    services.delivery_link_create(actor=dana, delivery=delivery)
    entries = AuditEntry.objects.get_for_object(delivery).filter(seq__gt=since)
    assert entries.filter(action=AuditEntry.Action.CREATE).exists()
    changed = [set(e.changes) for e in entries.filter(action=AuditEntry.Action.UPDATE)]
    assert any("passphrase_sent_via" in c for c in changed)
    assert any("link_secret_hash" in c for c in changed)
    # No value of the passphrase or the hash in the log.
    for entry in entries:
        assert delivery.passphrase not in str(entry.changes)
