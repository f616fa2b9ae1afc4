"""The case file: notes, contacts, consents, documents, details with optimistic locking,
assignment, closure, history; every view and download audited."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from cases import services
from cases.forms import ConsentGiveForm
from cases.models import Consent, ContactLog, Document, Note, Victim
from cases.services import break_glass_open
from tests import factories
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


def url(case, tail=""):
    return f"/cases/{case.pk}/{tail}"


def accesses(case, kind):
    return AuditEntry.objects.get_for_object(case).filter(
        action=AuditEntry.Action.ACCESS, additional_data__access=kind
    )


def test_case_page_shows_the_file_and_is_audited(client_cara, case):
    page = client_cara.get(url(case))
    assert page.status_code == 200
    assert "Mira Okafor" in page.text and case.reference in page.text
    assert "Phone call: Mornings" in page.text
    assert "Confidentiality notice" in page.text
    assert accesses(case, "view").count() == 1


def test_case_page_queries_do_not_grow_with_the_file(client_cara, case, cara):
    client_cara.get(url(case))
    with CaptureQueriesContext(connection) as small:
        client_cara.get(url(case))
    for i in range(15):
        Note.objects.create(case=case, author=cara, body=f"note {i}")
        ContactLog.objects.create(
            case=case,
            method="phone",
            direction="in",
            summary="x",
            method_was_safe=True,
            recorded_by=cara,
        )
    with CaptureQueriesContext(connection) as large:
        client_cara.get(url(case))
    assert len(large) == len(small)


def test_do_not_contact_is_prominent_and_blocks_outbound_contact(client_cara, case):
    case.do_not_contact = True
    case.save()
    page = client_cara.get(url(case))
    assert "DO NOT CONTACT" in page.text
    response = client_cara.post(
        url(case, "contacts/"),
        {"direction": "out", "method": "phone", "summary": "Called", "safety_checked": "on"},
    )
    assert response.status_code == 400
    assert "outbound contact is blocked" in response.text
    assert not ContactLog.objects.exists()
    inbound = client_cara.post(
        url(case, "contacts/"), {"direction": "in", "method": "phone", "summary": "She called"}
    )
    assert inbound.status_code == 302


def test_unsafe_method_needs_an_explicit_check(client_cara, case):
    data = {"direction": "out", "method": "email", "summary": "Sent the leaflet"}
    refused = client_cara.post(url(case, "contacts/"), data)
    assert refused.status_code == 400
    assert "not marked safe" in refused.text
    assert "Sent the leaflet" in refused.text  # nothing typed is lost
    accepted = client_cara.post(url(case, "contacts/"), {**data, "safety_checked": "on"})
    assert accepted.status_code == 302
    contact = ContactLog.objects.get()
    assert contact.method_was_safe is False
    assert "Method not marked safe" in client_cara.get(url(case)).text


def test_notes_are_added_and_empty_ones_refused(client_cara, case):
    assert client_cara.post(url(case, "notes/"), {"body": "  "}).status_code == 400
    assert (
        client_cara.post(url(case, "notes/"), {"body": "Called the housing office"}).status_code
        == 302
    )
    note = Note.objects.get()
    assert note.body == "Called the housing office"
    assert "Called the housing office" in client_cara.get(url(case)).text


def test_consent_given_and_withdrawn_in_one_step(client_cara, case):
    response = client_cara.post(
        url(case, "consents/"),
        {
            "purpose": "Keeping notes of our calls",
            "data_categories": ["identity", "contact"],
            "method": "written",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.filter(case=case).latest("pk")
    assert consent.kind == Consent.Kind.PROCESSING and consent.is_valid
    assert consent.purpose == "Keeping notes of our calls"
    client_cara.post(url(case, f"consents/{consent.pk}/withdraw/"), {"version": 1})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and not consent.is_valid
    page = client_cara.get(url(case)).text
    assert "Consent withdrawn" in page


def test_the_case_page_records_no_free_text_consent_to_share(client_cara, case):
    # Consent to share names a partner and a purpose of the list (referrals): the processing
    # form has no kind or recipient to type one in, and what is posted for them is ignored.
    assert not {"kind", "recipient"} & set(ConsentGiveForm().fields)
    assert "Recipient organisation" not in client_cara.get(url(case)).text
    response = client_cara.post(
        url(case, "consents/"),
        {
            "kind": "sharing",
            "recipient": "Safe Homes",
            "purpose": "x",
            "data_categories": ["identity"],
            "method": "verbal",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.filter(case=case).latest("pk")
    assert consent.kind == Consent.Kind.PROCESSING and consent.recipient == ""
    assert not case.sharing_consents.exists()


def test_the_service_refuses_a_free_text_consent_to_share(case, cara):
    with pytest.raises(ValidationError):
        services.consent_give(
            case=case,
            actor=cara,
            kind=Consent.Kind.SHARING,
            purpose="Referral",
            recipient="Safe Homes",
            data_categories=["identity"],
            method=Consent.Method.VERBAL,
        )
    assert not Consent.objects.filter(case=case, kind=Consent.Kind.SHARING).exists()


def test_consent_of_another_case_gives_404(client_cara, case, cara):
    other = factories.make_full_case(cara)
    consent = Consent.objects.filter(case=other).first()
    assert client_cara.post(url(case, f"consents/{consent.pk}/withdraw/")).status_code == 404


def test_second_editor_is_told_and_nothing_is_overwritten(cara, case):
    first, second = Client(), Client()
    first.force_login(cara)
    second.force_login(cara)
    form = first.get(url(case, "details/"))
    assert 'name="version" value="1"' in form.text
    base = {
        "given_name": "Mira",
        "family_name": "Okafor",
        "phone": "+44 20 0000 0001",
        "email": "",
        "address": "",
        "version": "1",
    }
    assert first.post(url(case, "details/"), {**base, "phone": "111"}).status_code == 302
    conflict = second.post(url(case, "details/"), {**base, "phone": "222"})
    assert conflict.status_code == 409
    assert "Someone else saved changes" in conflict.text
    assert 'value="222"' in conflict.text  # their typing is kept
    victim = Victim.objects.get(case=case)
    assert victim.phone == "111" and victim.version == 2


def test_editing_keeps_the_search_indexes_current(client_cara, case):
    data = {
        "given_name": "Mira",
        "family_name": "Okafor",
        "email": "new@example.org",
        "version": "1",
    }
    client_cara.post(url(case, "details/"), data)
    found = client_cara.post("/cases/", {"q": "NEW@example.org"})
    assert case.reference in found.text


def png_with_gps() -> bytes:
    image = Image.new("RGB", (20, 10), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(client, case, name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url(case, "documents/"),
        {"file": SimpleUploadedFile(name, content, content_type=content_type), "description": ""},
    )


def test_photo_is_stored_without_location_or_camera_data(client_cara, case):
    original = png_with_gps()
    assert b"PhoneMaker" in original
    assert upload(client_cara, case, "door.jpg", original, "image/jpeg").status_code == 302
    document = Document.objects.get()
    assert b"PhoneMaker" not in document.content
    with Image.open(io.BytesIO(document.content)) as stored:
        assert not stored.getexif()
        assert stored.size == (20, 10)


def test_download_is_audited_and_not_cached(client_cara, case):
    upload(client_cara, case, "letter.txt", b"Dear M", "text/plain")
    document = Document.objects.get()
    response = client_cara.get(url(case, f"documents/{document.pk}/"))
    assert b"".join(response.streaming_content) == b"Dear M"
    assert "no-store" in response["Cache-Control"]
    # A neutral name: the original one often names the person.
    assert response["Content-Disposition"] == f'attachment; filename="document-{document.pk}.txt"'
    assert accesses(case, "download").get().additional_data["document"] == document.pk


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("x.exe", b"MZ...", "application/octet-stream", "Only PDF, JPEG, PNG"),
        ("fake.pdf", b"not a pdf", "application/pdf", "do not match its type"),
        ("empty.txt", b"", "text/plain", "empty"),
    ],
)
def test_bad_uploads_are_refused_clearly(client_cara, case, name, content, content_type, message):
    response = upload(client_cara, case, name, content, content_type)
    assert response.status_code == 400
    assert message in response.text
    assert not Document.objects.exists()


def test_oversized_upload_is_refused(client_cara, case, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    response = upload(client_cara, case, "big.txt", b"x" * 2048, "text/plain")
    assert response.status_code == 400
    assert "the limit is 1 KB" in response.text


def test_outsider_cannot_download(client, case, cara):
    upload_client = Client()
    upload_client.force_login(cara)
    upload(upload_client, case, "letter.txt", b"secret", "text/plain")
    document = Document.objects.get()
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    assert client.get(url(case, f"documents/{document.pk}/")).status_code == 404


def test_view_only_access_cannot_write(client, case):
    sofia = factories.supervisor(factories.make_team("South"))
    break_glass_open(actor=sofia, case=case, reason="Police report she is missing tonight, urgent")
    client.force_login(sofia)
    page = client.get(url(case))
    assert page.status_code == 200 and "Save note" not in page.text
    assert client.post(url(case, "notes/"), {"body": "x"}).status_code == 403
    assert client.get(url(case, "details/")).status_code == 403


def test_close_needs_a_reason_and_reopen_works(client_cara, case):
    assert client_cara.post(url(case, "close/"), {"reason": ""}).status_code == 400
    assert (
        client_cara.post(url(case, "close/"), {"reason": "Moved abroad, safe"}).status_code == 302
    )
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at
    assert client_cara.post(url(case, "reopen/"), {"reason": "New incident"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "open" and case.closed_at is None
    kinds = list(case.status_changes.order_by("changed_at").values_list("kind", flat=True))
    assert kinds == ["opened", "closed", "reopened"]


def test_supervisor_transfers_a_case_to_another_team(client, case, north):
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    sofia = factories.supervisor(north)
    client.force_login(sofia)
    wrong = client.post(
        url(case, "assign/"), {"team": north.pk, "assigned_to": sam.pk, "version": 1}
    )
    assert "not in the chosen team" in wrong.text
    moved = client.post(
        url(case, "assign/"), {"team": south.pk, "assigned_to": sam.pk, "version": 1}
    )
    assert moved["Location"] == "/cases/"  # Sofia no longer sees it
    case.refresh_from_db()
    assert (case.team, case.assigned_to) == (south, sam)
    entry = factories.assert_changed(case, AuditEntry.Action.UPDATE, sofia)
    assert {"team", "assigned_to"} <= set(entry.changes)


def test_caseworkers_cannot_assign(client_cara, case):
    assert client_cara.get(url(case, "assign/")).status_code == 403


def test_history_shows_changes_without_plaintext(client, case, north):
    Victim.objects.filter(case=case).first()
    sofia = factories.supervisor(north)
    client.force_login(sofia)
    page = client.get(url(case, "history/"))
    assert page.status_code == 200
    assert "Mira" not in page.text and "Okafor" not in page.text
    rows = page.text.count("<tr>") - 1  # minus the header row
    expected = (
        AuditEntry.objects.filter(content_type__app_label="cases")
        .exclude(content_type__model__in=["confidentialitynotice", "intakedraft"])
        .count()
    )  # every entry of this one case and its records
    assert rows == expected  # the case's own creation included, nothing pushed off
    assert "<td>Victim</td>" in page.text


def test_history_is_for_supervisors(client_cara, case):
    assert client_cara.get(url(case, "history/")).status_code == 404


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("mira okafor", True),
        ("MIRA  OKAFOR", True),
        ("Mira", False),  # exact names only: no partial matching on encrypted data
        ("person", False),
    ],
)
def test_search_by_exact_name(client_cara, case, query, found):
    page = client_cara.post("/cases/", {"q": query})
    assert (case.reference in page.text) is found


def test_search_by_reference_phone_and_email(client_cara, case):
    victim = Victim.objects.get(case=case)
    for q in (case.reference.lower(), victim.phone.replace("+", "00"), victim.email.upper()):
        assert case.reference in client_cara.post("/cases/", {"q": q}).text


def test_list_filters(client_cara, case, cara):
    other = factories.make_full_case(cara)
    other.status = "closed"
    other.save()
    page = client_cara.get("/cases/", {"status": "closed"})
    assert other.reference in page.text and case.reference not in page.text


def test_list_queries_are_constant(client_cara, cara):
    factories.make_full_case(cara)
    client_cara.get("/cases/?scope=team")
    with CaptureQueriesContext(connection) as few:
        client_cara.get("/cases/?scope=team&status=open")
    for _ in range(8):
        factories.make_full_case(cara)
    with CaptureQueriesContext(connection) as many:
        client_cara.get("/cases/?scope=team&status=open")
    assert len(many) == len(few)


def test_search_words_never_travel_in_the_address(client_cara, case, cara):
    # A name in the query string is ignored: searches go by POST only.
    other = factories.make_full_case(cara)
    page = client_cara.get("/cases/", {"q": "mira okafor"})
    assert other.reference in page.text  # not filtered
    result = client_cara.post("/cases/", {"q": "mira okafor"})
    assert case.reference in result.text and other.reference not in result.text
    assert "mira okafor" not in result.text.split("<main", 1)[1].split("</form>", 1)[1]


def test_search_results_page_by_post(client_cara, cara, settings):
    from cases import views

    settings.DEBUG = False
    old = views.PAGE_SIZE
    views.PAGE_SIZE = 1
    try:
        factories.make_full_case(cara, phone="+32 470 00 00 01")
        factories.make_full_case(cara, phone="+32 470 00 00 01")
        first = client_cara.post("/cases/", {"q": "0032470000001"})
        cursor = first.context["page"].next_cursor
        assert "Page 1" in first.text and f'name="cursor" value="{cursor}"' in first.text
        second = client_cara.post("/cases/", {"q": "0032470000001", "cursor": cursor})
        assert "Page 2" in second.text and not second.context["page"].has_next
    finally:
        views.PAGE_SIZE = old


def test_png_text_metadata_is_dropped(client_cara, case):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "52.37N 4.89E")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    assert b"52.37N" in out.getvalue()
    assert upload(client_cara, case, "x.png", out.getvalue(), "image/png").status_code == 302
    stored = Document.objects.get().content
    assert b"52.37N" not in stored and stored.startswith(b"\x89PNG")


def test_an_image_too_large_to_decode_is_refused_clearly(client_cara, case):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # tiny file, 81 megapixels
    response = upload(client_cara, case, "huge.png", out.getvalue(), "image/png")
    assert response.status_code == 400
    assert "megapixels" in response.text
    assert not Document.objects.exists()


def test_closing_twice_records_one_closure(cara, case):
    from django.core.exceptions import ValidationError

    from cases.services import case_close

    stale = type(case).objects.get(pk=case.pk)  # as loaded by a second click
    case_close(case=case, actor=cara, reason="Support completed")
    with pytest.raises(ValidationError):
        case_close(case=stale, actor=cara, reason="Double click")
    assert case.status_changes.filter(kind="closed").count() == 1


def test_invalid_filters_show_nothing_rather_than_everything(client_cara, case):
    page = client_cara.post("/cases/", {"q": "x" * 300})
    assert case.reference not in page.text
    assert "Keep this under 200 characters; it has 300." in page.text


@pytest.mark.parametrize(
    ("tail", "data"),
    [
        ("contacts/", {"direction": "in", "method": "phone", "summary": "x"}),
        (
            "consents/",
            {
                "kind": "processing",
                "purpose": "x",
                "data_categories": ["identity"],
                "method": "verbal",
            },
        ),
        ("documents/", {}),
        ("close/", {"reason": "x"}),
        ("assign/", {}),
    ],
)
def test_view_only_access_cannot_use_any_write(client, case, tail, data):
    sofia = factories.supervisor(factories.make_team("South"))
    break_glass_open(actor=sofia, case=case, reason="Police report she is missing tonight, urgent")
    client.force_login(sofia)
    assert client.post(url(case, tail), data).status_code == 403
    consent = Consent.objects.filter(case=case).first()
    assert client.post(url(case, f"consents/{consent.pk}/withdraw/")).status_code == 403


def test_list_filter_review_due(client_cara, case, cara):
    from django.utils import timezone

    later = factories.make_full_case(cara)
    case.review_due = timezone.localdate()
    case.save()
    later.review_due = timezone.localdate() + datetime.timedelta(days=30)
    later.save()
    page = client_cara.get("/cases/", {"review_due": "on"})
    assert case.reference in page.text and later.reference not in page.text
