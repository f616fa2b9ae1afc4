"""The person's copy: the draft, suggested and applied redactions, withheld items, documents
checked by eye, the second person's sign-off, the redaction log and the draft PDF.

Dana (DPO) prepares; Sofia supervises North, whose case it is; Cara works in North; Sam
supervises South; Dora is a second DPO.
"""

from __future__ import annotations

import contextlib
import io
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from cases import services as case_services
from cases.models import ThirdParty
from dataprotection import copy
from dataprotection.models import (
    CopyJob,
    Redaction,
    RedactionStatus,
    RequestStatus,
    Withholding,
)
from dataprotection.services import copy as services
from tests import factories
from victimsupport.access import MaySeeNotChange
from victimsupport.audit.models import AuditEntry
from victimsupport.pdfjobs import produce_document

pytestmark = pytest.mark.django_db

FEARED = "Zoltán Brežný"
NOTE = "Called today. zoltan BREZNY came to the flat again; Zoltán was shouting."


@pytest.fixture
def south():
    return factories.make_team("South")


@pytest.fixture
def world(north):
    cara = factories.caseworker(north, "Cara")
    sofia = factories.supervisor(north, "Sofia")
    dana = factories.dpo("Dana")
    case = factories.make_full_case(cara)
    ThirdParty.objects.create(case=case, role=ThirdParty.Role.FEARED, name=FEARED)
    note = case_services.note_add(case=case, actor=cara, body=NOTE)
    access = factories.make_access_request(case, logged_by=dana)
    return {
        "cara": cara,
        "sofia": sofia,
        "dana": dana,
        "case": case,
        "note": note,
        "request": access,
    }


def made(world):
    return services.copy_draft_make(actor=world["dana"], request=world["request"])


def decide_all(world, request):
    for r in Redaction.objects.filter(request=request, status=RedactionStatus.SUGGESTED):
        services.redaction_apply(actor=world["dana"], request=request, redaction=r)
    request.refresh_from_db()
    return request


def read(request):
    """The digest of the copy as the review page shows it."""
    return copy.digest(copy.review_copy(request))


def signed_off(world, reviewer="sofia"):
    request = decide_all(world, made(world))
    services.copy_submit_for_review(actor=world["dana"], request=request)
    request.refresh_from_db()
    return services.copy_sign_off(
        actor=world[reviewer], request=request, note="", digest=read(request)
    )


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def inflated(content: bytes) -> bytes:
    """Every stream of the PDF decompressed, plus the raw bytes: what a search could find."""
    found = [content]
    for chunk in content.split(b"stream")[1:]:
        body = chunk.split(b"endstream")[0].strip(b"\r\n")
        with contextlib.suppress(zlib.error):
            found.append(zlib.decompress(body))
    return b"\n".join(found)


def forms_of(term: str) -> list[bytes]:
    variants = {term, term.lower(), term.upper(), copy.normalise(term), "Zoltan", "Brezny"}
    found = []
    for v in variants:
        found += [v.encode(), v.encode("utf-16-be"), v.lower().encode()]
    return found


# --- Items and suggestions ---------------------------------------------------------------


def test_every_item_has_a_key_that_holds_no_content(world):
    request = made(world)
    assert f"note:{world['note'].pk}" in request.item_keys
    assert f"section:third_parties:{world['case'].pk}" in request.item_keys
    assert all("Zolt" not in k and "Brez" not in k for k in request.item_keys)
    assert request.prepared_by == world["dana"] and request.draft_made_at


def test_a_feared_name_in_a_note_is_suggested_whatever_its_case_and_accents(world):
    request = made(world)
    note_key = f"note:{world['note'].pk}"
    rows = Redaction.objects.filter(request=request, item_key=note_key)
    terms = sorted(r.term for r in rows)
    # The full name (written without accents, in capitals) and the first name alone.
    assert terms == sorted([FEARED, "Zoltán"])
    assert {r.kind for r in rows} == {"feared"} and all(r.suggested for r in rows)
    assert all(r.status == RedactionStatus.SUGGESTED for r in rows)


def test_making_the_draft_again_does_not_suggest_twice(world):
    made(world)
    count = Redaction.objects.count()
    made(world)
    assert Redaction.objects.count() == count


def test_a_redacted_term_is_gone_from_text_and_attributes_and_shows_a_mark():
    html = (
        '<p title="Zoltán said" data-x="BREZNY">Zoltan &amp; <b>brežný</b></p>'
        '<img alt="Zoltán" src="data:image/png;base64,Wm9sdGFu">'
    )
    out = copy.redact_html(
        html, [copy.Mark("Zoltán", "feared", True), copy.Mark("Brežný", "feared", True)]
    )
    low = copy.normalise(out)
    assert "zoltan" not in low and "brezny" not in low
    assert "[redacted: the person they fear]" in out
    assert "data:image/png;base64,Wm9sdGFu" in out  # an image's data is left alone
    assert "&amp;" in out


def test_markup_typed_into_a_note_stays_text_after_redaction():
    out = copy.redact_html(
        "<p>&lt;script&gt;Zoltán&lt;/script&gt;</p>", [copy.Mark("Zoltán", "feared", True)]
    )
    assert "<script>" not in out and "&lt;script&gt;" in out


# --- Applied, removed, added, withheld ---------------------------------------------------


def test_an_applied_redaction_leaves_no_byte_of_the_name_in_the_signed_off_copy(world):
    request = signed_off(world)
    assert request.status == RequestStatus.APPROVED
    html = request.approved_html
    assert "[redacted: the person they fear]" in html
    for variant in ("zoltan", "brezny"):
        assert variant not in copy.normalise(html)
    assert request.approved_digest == copy.digest(html)
    assert "came to the flat again" in html


def test_a_removed_suggestion_leaves_the_words_in(world):
    request = made(world)
    for r in Redaction.objects.filter(request=request):
        services.redaction_remove(
            actor=world["dana"], request=request, redaction=r, reason="Agreed"
        )
    assert "Zoltán was shouting" in copy.approved_copy(request)


def test_an_added_redaction_must_stand_in_its_item_and_say_why(world):
    request = made(world)
    key = f"note:{world['note'].pk}"
    with pytest.raises(ValidationError):
        services.redaction_add(
            actor=world["dana"],
            request=request,
            item_key=key,
            term="the flat",
            kind="other",
            reason="",
        )
    with pytest.raises(ValidationError):
        services.redaction_add(
            actor=world["dana"],
            request=request,
            item_key=key,
            term="nowhere",
            kind="other",
            reason="Address",
        )
    added = services.redaction_add(
        actor=world["dana"],
        request=request,
        item_key=key,
        term="the flat",
        kind="other",
        reason="Address",
    )
    assert added.status == RedactionStatus.APPLIED and not added.suggested
    assert "the flat" not in copy.approved_copy(request)


def test_a_withheld_item_is_replaced_by_its_exemption_line(world):
    request = made(world)
    key = f"note:{world['note'].pk}"
    services.item_withhold(
        actor=world["dana"], request=request, item_key=key, exemption="crime", reason="Police asked"
    )
    html = copy.approved_copy(request)
    assert "came to the flat" not in html
    assert "Withheld: It would prejudice the prevention or investigation of a crime" in html
    services.item_restore(actor=world["dana"], request=request, item_key=key)
    assert not Withholding.objects.filter(request=request).exists()


def test_a_document_must_be_confirmed_or_withheld_before_review(world):
    case_services.document_add(
        case=world["case"],
        actor=world["cara"],
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )
    request = decide_all(world, made(world))
    with pytest.raises(ValidationError, match="1 document is not checked: confirm it by eye"):
        services.copy_submit_for_review(actor=world["dana"], request=request)
    key = next(k for k in request.item_keys if k.startswith("document:"))
    services.document_confirm(actor=world["dana"], request=request, item_key=key)
    request.refresh_from_db()
    services.copy_submit_for_review(actor=world["dana"], request=request)


def test_undecided_suggestions_stop_the_review(world):
    request = made(world)
    with pytest.raises(ValidationError, match="not decided"):
        services.copy_submit_for_review(actor=world["dana"], request=request)


# --- The second person -------------------------------------------------------------------


def in_review(world):
    request = decide_all(world, made(world))
    return services.copy_submit_for_review(actor=world["dana"], request=request)


def test_the_preparer_cannot_sign_off(world):
    request = in_review(world)
    with pytest.raises(MaySeeNotChange):
        services.copy_sign_off(actor=world["dana"], request=request, note="", digest=read(request))


def test_a_caseworker_and_another_teams_supervisor_cannot_sign_off(world, south):
    request = in_review(world)
    for user in (world["cara"], factories.supervisor(south, "Sam")):
        with pytest.raises(MaySeeNotChange):
            services.copy_sign_off(actor=user, request=request, note="", digest=read(request))


def test_someone_who_redacted_cannot_sign_off(world):
    dora = factories.dpo("Dora")
    request = made(world)
    r = Redaction.objects.filter(request=request).first()
    services.redaction_apply(actor=dora, request=request, redaction=r)
    request = decide_all(world, request)
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    with pytest.raises(MaySeeNotChange):
        services.copy_sign_off(actor=dora, request=request, note="", digest=read(request))


def test_another_dpo_or_the_teams_supervisor_signs_off(world):
    assert signed_off(world, "sofia").reviewed_by == world["sofia"]


def test_a_second_dpo_signs_off(world):
    world["dora"] = factories.dpo("Dora")
    assert signed_off(world, "dora").status == RequestStatus.APPROVED


def test_sign_off_freezes_the_copy_and_refuses_edits(world):
    request = signed_off(world)
    frozen = request.approved_html
    case_services.note_add(case=world["case"], actor=world["cara"], body="A later note.")
    request.refresh_from_db()
    assert request.approved_html == frozen
    with pytest.raises(ValidationError):
        services.redaction_add(
            actor=world["dana"],
            request=request,
            item_key=request.item_keys[0],
            term="x",
            kind="other",
            reason="r",
        )
    with pytest.raises(ValidationError):
        services.item_withhold(
            actor=world["dana"],
            request=request,
            item_key=request.item_keys[0],
            exemption="crime",
            reason="r",
        )


def test_sent_back_the_copy_can_be_changed_again(world):
    request = in_review(world)
    services.copy_send_back(actor=world["sofia"], request=request, note="Check the note again")
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING
    with pytest.raises(ValidationError):
        services.copy_send_back(actor=world["sofia"], request=request, note="again")


# --- The draft PDF -----------------------------------------------------------------------


def test_the_worker_renders_the_draft_and_no_redacted_byte_is_in_it(world):
    request = decide_all(world, made(world))
    job = services.copy_draft_request(actor=world["dana"], request=request)
    produce_document.call("dataprotection.copyjob", str(job.pk))
    job.refresh_from_db()
    assert job.status == CopyJob.Status.DONE
    text = pdf_text(job.pdf)
    assert "redacted" in text and "came to the flat again" in text
    low = copy.normalise(text)
    assert "zoltan" not in low and "brezny" not in low
    everything = inflated(job.pdf)
    for variant in forms_of(FEARED):
        assert variant not in everything


def test_the_draft_appends_a_pdf_document_and_embeds_an_image(world):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(png, "PNG")
    case_services.document_add(
        case=world["case"],
        actor=world["cara"],
        name="photo.png",
        content_type="image/png",
        data=png.getvalue(),
    )
    case_services.document_add(
        case=world["case"],
        actor=world["cara"],
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )
    request = made(world)
    document = copy.draft_document(request)
    assert len(document.append) == 1
    assert "data:image/png;base64," in document.context["copy_html"]
    assert "Check by eye" in document.context["copy_html"]


def test_a_500_entry_file_drafts_in_under_ten_seconds(world):
    for n in range(500):
        case_services.note_add(
            case=world["case"], actor=world["cara"], body=f"Entry {n}: Zoltán called."
        )
    request = made(world)
    job = services.copy_draft_request(actor=world["dana"], request=request)
    started = time.perf_counter()
    produce_document.call("dataprotection.copyjob", str(job.pk))
    took = time.perf_counter() - started
    job.refresh_from_db()
    # The budget is 10 s in the worker (measured 9 s on a shared test machine, most of it
    # WeasyPrint's layout); the bench gives the figure, this net catches a regression.
    print(f"draft of a {len(request.item_keys)}-item copy: {took:.2f} s")
    assert job.status == CopyJob.Status.DONE and job.progress == 100 and took < 20


# --- Pages -------------------------------------------------------------------------------


def test_the_log_never_shows_the_redacted_words(client, world):
    request = signed_off(world)
    client.force_login(world["dana"])
    response = client.get(reverse("dataprotection:copy_log", args=[request.pk]))
    assert response.status_code == 200
    body = copy.normalise(response.content.decode())
    assert "zoltan" not in body and "brezny" not in body
    assert "the person they fear" in body
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, object_pk=str(request.pk)
    ).exists()


def test_pages_answer_404_to_those_who_may_not_see_the_request(client, world, south):
    request = made(world)
    for user in (world["cara"], factories.supervisor(south, "Sam")):
        client.force_login(user)
        for name in ("copy_prepare", "copy_review", "copy_log"):
            assert (
                client.get(reverse(f"dataprotection:{name}", args=[request.pk])).status_code == 404
            )


def test_a_supervisor_reads_but_may_not_prepare(client, world):
    request = made(world)
    client.force_login(world["sofia"])
    assert client.get(reverse("dataprotection:copy_prepare", args=[request.pk])).status_code == 200
    r = Redaction.objects.filter(request=request).first()
    url = reverse("dataprotection:copy_redaction_apply", args=[request.pk, r.pk])
    assert client.post(url).status_code == 403
    r.refresh_from_db()
    assert r.status == RedactionStatus.SUGGESTED


def test_the_preparation_page_highlights_suggestions_and_applies_one(client, world):
    request = made(world)
    client.force_login(world["dana"])
    page = client.get(reverse("dataprotection:copy_prepare", args=[request.pk]))
    assert b'<mark class="suggested"' in page.content
    r = Redaction.objects.filter(request=request).first()
    response = client.post(reverse("dataprotection:copy_redaction_apply", args=[request.pk, r.pk]))
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == RedactionStatus.APPLIED and r.decided_by == world["dana"]


def test_a_refused_redaction_shows_the_page_again_with_what_was_typed(client, world):
    request = made(world)
    client.force_login(world["dana"])
    key = f"note:{world['note'].pk}"
    response = client.post(
        reverse("dataprotection:copy_redaction_add", args=[request.pk]),
        {"item_key": key, "term": "not there at all", "kind": "other", "reason": "why"},
    )
    assert response.status_code == 400
    assert b"not there at all" in response.content


def test_the_preparer_cannot_sign_off_from_the_page(client, world):
    request = in_review(world)
    client.force_login(world["dana"])
    response = client.post(reverse("dataprotection:copy_sign_off", args=[request.pk]), {"note": ""})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    client.force_login(world["sofia"])
    page = client.get(reverse("dataprotection:copy_review", args=[request.pk]))
    assert b"Sign off" in page.content
    digest = read(request)
    assert f'value="{digest}"'.encode() in page.content
    assert (
        client.post(
            reverse("dataprotection:copy_sign_off", args=[request.pk]),
            {"note": "", "digest": digest},
        ).status_code
        == 302
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_the_draft_pdf_is_asked_for_followed_and_downloaded(client, world):
    request = made(world)
    client.force_login(world["dana"])
    response = client.post(reverse("dataprotection:copy_request", args=[request.pk]))
    job = CopyJob.objects.get(request=request)
    assert response.url == reverse("dataprotection:copy_job", args=[request.pk, job.pk])
    factories.run_worker()
    assert client.get(response.url).status_code == 200
    download = client.get(reverse("dataprotection:copy_job_download", args=[request.pk, job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_the_preparation_page_costs_the_same_queries_whatever_the_number_of_items(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["dana"])
    request = made(world)
    url = reverse("dataprotection:copy_prepare", args=[request.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30):
        case_services.note_add(case=world["case"], actor=world["cara"], body=f"Zoltán {n}")
    request = made(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dataprotection:copy_log", args=[request.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dataprotection:copy_log", args=[request.pk]))
