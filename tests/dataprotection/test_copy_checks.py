"""The person's copy, checked again after the draft: someone the victim fears recorded since,
documents appended at the end (signed off by their fingerprint, refused at delivery if they
changed), a copy changed after it was sent for review, steps kept for good, a date that does
not move, and images with no metadata.

The world is test_copy's: Dana (DPO) prepares; Sofia supervises North, whose case it is; Cara
works in North; Alex Martin asks.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases import services as case_services
from cases.models import Document, ThirdParty
from dataprotection import copy
from dataprotection.models import AccessRequest, CopyAction, CopyStep, RequestStatus
from dataprotection.services import copy as services
from tests import factories
from tests.dataprotection import test_copy as base

pytestmark = pytest.mark.django_db

world = base.world  # the fixture
decide_all, made, read = base.decide_all, base.made, base.read

FEARED = "someone the victim fears"


def feared_now(world):
    ThirdParty.objects.create(case=world["case"], role=ThirdParty.Role.FEARED, name="Alex Martin")


def submitted(world, request=None):
    request = decide_all(world, request or made(world))
    return services.copy_submit_for_review(actor=world["dana"], request=request)


def sign_off(world, request, digest=None):
    request.refresh_from_db()
    return services.copy_sign_off(
        actor=world["sofia"], request=request, note="", digest=digest or read(request)
    )


# --- The feared match, checked again after the draft -------------------------------------


def test_the_submission_is_refused_when_the_requester_is_now_recorded_as_feared(world):
    request = decide_all(world, made(world))
    feared_now(world)
    with pytest.raises(ValidationError, match=FEARED):
        services.copy_submit_for_review(actor=world["dana"], request=request)
    request.refresh_from_db()
    assert request.feared_match and request.status == RequestStatus.PREPARING


def test_the_sign_off_is_refused_when_the_requester_is_now_recorded_as_feared(world):
    request = submitted(world)
    digest = read(request)
    feared_now(world)
    with pytest.raises(ValidationError, match=FEARED):
        sign_off(world, request, digest)
    request.refresh_from_db()
    assert request.feared_match and request.blocked_by_feared_match
    assert request.status == RequestStatus.IN_REVIEW and not request.approved_html


# --- Documents appended at the end -------------------------------------------------------


@pytest.fixture
def letter(world):
    return case_services.document_add(
        case=world["case"],
        actor=world["cara"],
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )


def confirmed(world, letter):
    request = decide_all(world, made(world))
    return services.document_confirm(
        actor=world["dana"], request=request, item_key=f"document:{letter.pk}"
    )


def replace(document, content):
    Document.objects.filter(pk=document.pk).update(content=content)


def test_an_appended_pdf_is_signed_off_by_its_fingerprint(world, letter):
    request = confirmed(world, letter)
    html = copy.review_copy(request)
    sha = hashlib.sha256(letter.content).hexdigest()
    assert sha in html  # so the digest the reviewer signs off covers its pages
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    request = sign_off(world, request)
    assert request.approved_files == [{"document": letter.pk, "sha256": sha}]
    assert copy.final_attachments(request) == [letter.content]


def test_a_pdf_changed_after_it_was_read_is_not_signed_off(world, letter):
    request = services.copy_submit_for_review(actor=world["dana"], request=confirmed(world, letter))
    digest = read(request)
    replace(letter, factories.blank_pdf() + b"\n% another letter\n")
    with pytest.raises(ValidationError, match="changed after it was sent for review"):
        sign_off(world, request, digest)
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING and not request.approved_html


@pytest.mark.parametrize("change", ["content", "quarantined", "deleted"])
def test_the_final_copy_is_refused_if_an_appended_pdf_is_no_longer_the_one_signed_off(
    world, letter, change
):
    request = sign_off(
        world,
        services.copy_submit_for_review(actor=world["dana"], request=confirmed(world, letter)),
    )
    if change == "content":
        replace(letter, factories.blank_pdf() + b"\n% another letter\n")
    elif change == "quarantined":
        Document.objects.filter(pk=letter.pk).update(quarantined_at=timezone.now())
    else:
        Document.objects.filter(pk=letter.pk).delete()
    request.refresh_from_db()
    with pytest.raises(ValueError):
        copy.final_attachments(request)


def test_the_final_copy_is_refused_if_its_html_is_not_the_one_signed_off(world):
    request = sign_off(world, submitted(world))
    AccessRequest.objects.filter(pk=request.pk).update(approved_digest="0" * 64)
    request.refresh_from_db()
    with pytest.raises(ValueError):
        copy.final_document(request)


def test_the_review_page_says_an_appended_pdf_is_read_from_the_case_file(client, world, letter):
    request = services.copy_submit_for_review(actor=world["dana"], request=confirmed(world, letter))
    client.force_login(world["sofia"])
    page = client.get(reverse("dataprotection:copy_review", args=[request.pk])).content.decode()
    assert "its pages are not shown here. Open it from the case file" in page
    assert "letter.pdf" in page
    assert hashlib.sha256(letter.content).hexdigest() in page


# --- Changed after submission ------------------------------------------------------------


def test_a_copy_changed_after_submission_goes_back_even_when_the_reviewer_read_it(world):
    request = submitted(world)
    case_services.note_add(case=world["case"], actor=world["cara"], body="Moved house.")
    # Not in the frozen items; an item that is changes the copy: the note of the draft.
    note = world["note"]
    note.body = note.body + " She called back."
    note.save()
    request.refresh_from_db()
    with pytest.raises(ValidationError, match="prepare it again"):
        sign_off(world, request, read(request))  # the reviewer read the copy as it is now
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING and not request.approved_html
    assert request.review_note == "The file changed after it was sent for review: prepare it again."


def test_the_submission_keeps_the_digest_of_the_copy_sent(world):
    request = submitted(world)
    request.refresh_from_db()
    assert request.submitted_digest == read(request)


# --- Steps are kept for good -------------------------------------------------------------


def test_a_step_is_never_changed_or_deleted_but_goes_with_its_request(world):
    request = made(world)
    step = CopyStep.objects.get(request=request, action=CopyAction.DRAFT_MADE)
    step.action = CopyAction.SENT_BACK
    with pytest.raises(PermissionError):
        step.save()
    with pytest.raises(PermissionError):
        step.delete()
    with pytest.raises(PermissionError):
        CopyStep.objects.filter(pk=step.pk).update(action=CopyAction.SENT_BACK)
    with pytest.raises(PermissionError):
        CopyStep.objects.filter(pk=step.pk).delete()
    step.refresh_from_db()
    assert step.action == CopyAction.DRAFT_MADE
    AccessRequest.objects.get(pk=request.pk).delete()  # as retention deletes a request
    assert not CopyStep.objects.filter(pk=step.pk).exists()


# --- The date of the copy ----------------------------------------------------------------


def test_the_copy_read_today_is_the_same_copy_tomorrow(world, monkeypatch):
    request = decide_all(world, made(world))
    today = read(request)
    later = timezone.now() + datetime.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert read(request) == today
    when = timezone.localtime(request.draft_made_at)
    assert f"produced {when.day} {when:%b %Y}" in copy.review_copy(request)


# --- Images carry no metadata ------------------------------------------------------------


def test_an_image_is_embedded_without_its_exif_or_gps(world):
    photo = Image.new("RGB", (16, 16), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (50.0, 51.0, 12.0), 4: (4.0, 21.0, 7.0)}  # GPS: a refuge's position
    stored = io.BytesIO()
    photo.save(stored, "JPEG", exif=exif)
    assert b"PhoneMaker" in stored.getvalue()
    # Stored before uploads were cleaned: what the file holds goes in as it is.
    Document.objects.create(
        case=world["case"],
        filename="photo.jpg",
        content_type="image/jpeg",
        size=len(stored.getvalue()),
        content=stored.getvalue(),
        uploaded_by=world["cara"],
    )
    html = copy.review_copy(made(world))
    data = re.search(r'src="data:image/jpeg;base64,([^"]+)"', html).group(1)
    embedded = base64.b64decode(data)
    assert b"PhoneMaker" not in embedded and b"Exif" not in embedded
    assert not Image.open(io.BytesIO(embedded)).getexif()
