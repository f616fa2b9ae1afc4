"""The person's copy against a live file and a second person: what changed since the draft is
caught before it is signed off, what is signed off is what was read, every step on the copy
names a shaper, reasons never repeat the words redacted, and the feared match is checked again.

The world is test_copy's: Dana (DPO) prepares; Sofia supervises North, whose case it is; Cara
works in North; Dora is a second DPO.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services as case_services
from cases.models import ThirdParty
from dataprotection import copy
from dataprotection.models import (
    CopyAction,
    CopyStep,
    Redaction,
    RedactionStatus,
    RequestStatus,
)
from dataprotection.services import copy as services
from tests import factories
from tests.dataprotection import test_copy as base
from victimsupport.access import MaySeeNotChange

pytestmark = pytest.mark.django_db

world = base.world  # the fixture
decide_all, made, read = base.decide_all, base.made, base.read

LATER = "Called about the school run."
GATE = "Zoltan Brezny waits at the school gate."


@pytest.fixture
def later(world):
    """A second note, in the file when the draft is made, that says no one's name."""
    return case_services.note_add(case=world["case"], actor=world["cara"], body=LATER)


def edit(note, body):
    """A caseworker changes the note afterwards."""
    note.body = body
    note.save()


def submitted(world, request=None):
    request = decide_all(world, request or made(world))
    return services.copy_submit_for_review(actor=world["dana"], request=request)


def sign_off(world, request, who="sofia", digest=None):
    request.refresh_from_db()
    return services.copy_sign_off(
        actor=world[who],
        request=request,
        note="",
        digest=read(request) if digest is None else digest,
    )


# --- The file changed since the draft ----------------------------------------------------


def test_a_name_written_into_an_item_after_submission_sends_the_copy_back_at_sign_off(world, later):
    request = submitted(world)
    edit(later, GATE)
    with pytest.raises(ValidationError) as refused:
        sign_off(world, request)
    assert refused.value.messages == [
        "The file changed since the draft: 1 new mention of a person to decide; the copy goes "
        "back to preparation."
    ]
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING and not request.approved_html
    new = Redaction.objects.get(request=request, item_key=f"note:{later.pk}")
    assert new.status == RedactionStatus.SUGGESTED and new.suggested
    assert copy.normalise(new.term) == "zoltan brezny"
    # Decided and sent again, the same reviewer (who only sent it back) signs it off, and the
    # name is in no byte of it.
    request = submitted(world, request)
    request = sign_off(world, request)
    assert request.status == RequestStatus.APPROVED
    assert "brezny" not in copy.normalise(request.approved_html)
    assert "waits at the school gate" in request.approved_html


def test_a_name_written_in_after_the_draft_stops_the_submission_and_is_suggested(world, later):
    request = decide_all(world, made(world))
    edit(later, GATE)
    with pytest.raises(ValidationError, match="1 new mention of a person to decide"):
        services.copy_submit_for_review(actor=world["dana"], request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING
    assert Redaction.objects.filter(
        request=request, item_key=f"note:{later.pk}", status=RedactionStatus.SUGGESTED
    ).exists()


def test_a_third_party_recorded_after_submission_is_caught_in_what_was_already_written(world):
    note = case_services.note_add(
        case=world["case"], actor=world["cara"], body="Marta Kowalczyk came along."
    )
    request = submitted(world)
    ThirdParty.objects.create(
        case=world["case"], role=ThirdParty.Role.OTHER, name="Marta Kowalczyk"
    )
    with pytest.raises(ValidationError, match="the copy goes back to preparation"):
        sign_off(world, request)
    assert Redaction.objects.filter(request=request, item_key=f"note:{note.pk}").exists()


def test_a_name_in_a_withheld_item_does_not_send_the_copy_back(world, later):
    request = decide_all(world, made(world))
    services.item_withhold(
        actor=world["dana"],
        request=request,
        item_key=f"note:{later.pk}",
        exemption="crime",
        reason="Police asked",
    )
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    edit(later, GATE)
    assert sign_off(world, request).status == RequestStatus.APPROVED


# --- What is signed off is what was read -------------------------------------------------


def test_a_copy_changed_after_submission_goes_back_and_a_stale_page_is_refused(
    client, world, later
):
    request = submitted(world)
    client.force_login(world["sofia"])
    url = reverse("dataprotection:copy_review", args=[request.pk])
    page = client.get(url).content.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    assert page.count(digest) == 2  # in the form, and shown to the reader
    edit(later, "Called about the school run, twice.")
    sign_off_url = reverse("dataprotection:copy_sign_off", args=[request.pk])
    # Changed since it was sent for review: only the reviewer would have seen the change.
    response = client.post(sign_off_url, {"note": "", "digest": digest})
    assert response.status_code == 400
    changed = "The file changed after it was sent for review: prepare it again."
    assert changed in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.PREPARING and not request.approved_html
    assert request.review_note == changed
    assert CopyStep.objects.filter(request=request, action=CopyAction.SENT_BACK).exists()
    # Sent again by the preparer, the page read before is stale; the page read now is not.
    request = submitted(world, request)
    response = client.post(sign_off_url, {"note": "", "digest": digest})
    assert response.status_code == 400
    assert "The copy changed since you read it: read it again." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW and not request.approved_html
    fresh = re.search(r'name="digest" value="([0-9a-f]{64})"', response.content.decode())
    assert fresh.group(1) != digest  # the page shown again carries the copy shown now
    assert client.post(sign_off_url, {"note": "", "digest": fresh.group(1)}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.approved_digest == fresh.group(1)
    assert "twice" in request.approved_html


def test_a_sign_off_without_the_digest_of_what_was_read_is_refused(world):
    request = submitted(world)
    for digest in ("", "0" * 64):
        with pytest.raises(ValidationError, match="read it again"):
            sign_off(world, request, digest=digest)


def test_the_review_page_shows_the_copy_in_the_persons_language(client, world):
    request = made(world)
    request.language = "fr"
    request.save(update_fields=["language"])
    request = submitted(world, request)
    client.force_login(world["sofia"])
    page = client.get(reverse("dataprotection:copy_review", args=[request.pk])).content.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    assert sign_off(world, request, digest=digest).approved_digest == digest


# --- Every step names a shaper -----------------------------------------------------------


@pytest.fixture
def dora(world):
    world["dora"] = factories.dpo("Dora")
    return world["dora"]


def test_who_made_the_draft_first_cannot_sign_off_after_another_made_it_again(world, dora):
    request = made(world)
    request = services.copy_draft_make(actor=dora, request=request)
    for r in Redaction.objects.filter(request=request, status=RedactionStatus.SUGGESTED):
        services.redaction_apply(actor=dora, request=request, redaction=r)
    request = services.copy_submit_for_review(actor=dora, request=request)
    with pytest.raises(MaySeeNotChange):
        sign_off(world, request, who="dana")


def test_who_confirmed_a_document_cannot_sign_off(world, dora):
    case_services.document_add(
        case=world["case"],
        actor=world["cara"],
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )
    request = decide_all(world, made(world))
    key = next(k for k in request.item_keys if k.startswith("document:"))
    services.document_confirm(actor=dora, request=request, item_key=key)
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    with pytest.raises(MaySeeNotChange):
        sign_off(world, request, who="dora")


def test_who_restored_a_withheld_item_cannot_sign_off(world, dora):
    request = decide_all(world, made(world))
    key = f"note:{world['note'].pk}"
    services.item_withhold(
        actor=world["dana"], request=request, item_key=key, exemption="crime", reason="Police"
    )
    services.item_restore(actor=dora, request=request, item_key=key)
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    with pytest.raises(MaySeeNotChange):
        sign_off(world, request, who="dora")
    steps = list(CopyStep.objects.filter(request=request).values_list("actor", "action"))
    assert (world["dana"].pk, CopyAction.WITHHELD) in steps  # who withheld is not lost
    assert (dora.pk, CopyAction.RESTORED) in steps


def test_who_only_sent_the_copy_back_may_still_sign_it_off(world):
    request = submitted(world)
    services.copy_send_back(actor=world["sofia"], request=request, note="Look again")
    request = services.copy_submit_for_review(actor=world["dana"], request=request)
    assert sign_off(world, request).status == RequestStatus.APPROVED
    actions = list(CopyStep.objects.filter(request=request).values_list("action", flat=True))
    assert actions[0] == CopyAction.DRAFT_MADE and CopyAction.SENT_BACK in actions
    assert actions.count(CopyAction.SUBMITTED) == 2


# --- A reason never repeats the words redacted -------------------------------------------


def test_a_reason_that_holds_the_words_redacted_or_a_name_is_refused(world):
    request = made(world)
    key = f"note:{world['note'].pk}"
    for reason in ("the flat is her address", "Where ZOLTÁN lives"):
        with pytest.raises(ValidationError) as refused:
            services.redaction_add(
                actor=world["dana"],
                request=request,
                item_key=key,
                term="the flat",
                kind="other",
                reason=reason,
            )
        assert "reason" in refused.value.error_dict
    suggestion = Redaction.objects.filter(request=request).first()
    for decide in (services.redaction_apply, services.redaction_remove):
        with pytest.raises(ValidationError) as refused:
            decide(
                actor=world["dana"],
                request=request,
                redaction=suggestion,
                reason="brezny is the man she fears",
            )
        assert "reason" in refused.value.error_dict
    suggestion.refresh_from_db()
    assert suggestion.status == RedactionStatus.SUGGESTED and not suggestion.reason


def test_the_page_says_why_a_reason_is_refused_and_keeps_what_was_typed(client, world):
    request = made(world)
    client.force_login(world["dana"])
    response = client.post(
        reverse("dataprotection:copy_redaction_add", args=[request.pk]),
        {
            "item_key": f"note:{world['note'].pk}",
            "term": "the flat",
            "kind": "other",
            "reason": "The flat is an address",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "without writing the words blacked out" in body
    assert "The flat is an address" in body
    assert not Redaction.objects.filter(request=request, suggested=False).exists()


# --- The feared match, checked again -----------------------------------------------------


def test_the_draft_is_refused_when_the_requester_is_now_recorded_as_feared(world):
    request = world["request"]
    ThirdParty.objects.create(case=world["case"], role=ThirdParty.Role.FEARED, name="Alex Martin")
    with pytest.raises(ValidationError, match="someone the victim fears"):
        services.copy_draft_make(actor=world["dana"], request=request)
    request.refresh_from_db()
    assert request.feared_match and request.blocked_by_feared_match
    assert not request.draft_made_at and not request.item_keys
    assert not Redaction.objects.filter(request=request).exists()


# --- Plurals -----------------------------------------------------------------------------


def test_one_undecided_suggestion_is_said_in_the_singular(world):
    request = made(world)
    _first, *rest = Redaction.objects.filter(request=request, status=RedactionStatus.SUGGESTED)
    for r in rest:
        services.redaction_apply(actor=world["dana"], request=request, redaction=r)
    with pytest.raises(ValidationError) as refused:
        services.copy_submit_for_review(actor=world["dana"], request=request)
    assert refused.value.messages == ["1 suggested redaction is not decided: apply or remove it."]
