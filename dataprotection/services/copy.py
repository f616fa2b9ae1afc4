"""Writes to the person's copy: the draft, its redactions and withheld items, the review.

The states and who acts in each:

- PREPARING: the data-protection officer prepares (``prepared_by`` is whoever made the draft;
  any DPO may work on it). Draft, redactions, withholdings and documents checked by eye.
- IN_REVIEW: only a reviewer acts: sign off, or send back to the preparer. Nothing is edited.
- APPROVED: the copy is frozen (``approved_html``, ``approved_digest``); every edit is refused.

The second person: a DPO, or a supervisor who sees the request (a supervisor of a team of one
of its cases), who did not shape the copy: whoever took any step on it (``CopyStep``, written
by each service here: made the draft, decided, added or withheld, put an item back, confirmed
a document, sent it for review) is a shaper; sending it back is not. A copy shaped by two
people is reviewed by a third; a judgement about a third party is checked by someone who did
not make it.

The file is live: what the frozen items say is rendered again at submission and at sign-off.
A third party's name that stands there with no decision (written in after the suggestions
were made) is suggested and the copy goes back to preparation; the sign-off also compares the
digest of the copy the reviewer read with the copy rendered now.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dataprotection import copy
from dataprotection.models import (
    AccessRequest,
    CopyAction,
    CopyJob,
    CopyStep,
    Exemption,
    Redaction,
    RedactionKind,
    RedactionStatus,
    RequestStatus,
    Withholding,
)
from dataprotection.services.requests import feared_in_cases
from victimsupport import limits, pdfjobs
from victimsupport.access import MaySeeNotChange, Role, roles_of

NOT_PREPARING = _("The copy is no longer being prepared: nothing was changed.")
NOT_IN_REVIEW = _("The copy is not waiting for review: nothing was done.")
DPO_ONLY = _("Only the data-protection officer prepares the copy.")
NOT_AN_ITEM = _("That item is not in this copy.")


def _is_dpo(user: Any) -> bool:
    return Role.DATA_PROTECTION_OFFICER in roles_of(user)


def _locked(request: AccessRequest) -> AccessRequest:
    """The request read afresh under a row lock: two people acting at once take turns."""
    return AccessRequest.objects.select_for_update().get(pk=request.pk)


def _editable(actor: Any, request: AccessRequest) -> AccessRequest:
    if not _is_dpo(actor):
        raise MaySeeNotChange(DPO_ONLY)
    fresh = _locked(request)
    if fresh.status != RequestStatus.PREPARING:
        raise ValidationError(NOT_PREPARING)
    if not fresh.draft_made_at:
        raise ValidationError(_("Make the draft first."))
    return fresh


def _item(request: AccessRequest, item_key: str) -> copy.Item:
    if item_key not in (request.item_keys or []):
        raise ValidationError(NOT_AN_ITEM)
    found = copy.gather(request, keys=[item_key], files=False)
    if not found:
        raise ValidationError(_("That item is no longer in the file."))
    return found[0]


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Say why.")})
    if len(reason) > limits.REASON:
        raise ValidationError({"reason": _("This is too long: shorten it.")})
    return reason


def _redaction_reason(request: AccessRequest, reason: str, term: str, *, required: bool) -> str:
    """A redaction's reason, which the redaction log shows: it must not hold the words
    redacted, nor a third party's name (matched as redactions are, ignoring case and
    accents)."""
    reason = _reason(reason, required=required)
    names = [term, *(t.text for t in copy.third_party_terms(request))]
    if reason and copy.names_in(reason, names):
        raise ValidationError(
            {
                "reason": _(
                    "Say why without writing the words blacked out or anyone's name: the "
                    "redaction log shows the reason, never the words."
                )
            }
        )
    return reason


def _step(request: AccessRequest, actor: Any, action: str, item_key: str = "") -> None:
    """One step on the copy, recorded for good (who shaped it decides who may sign off)."""
    CopyStep.objects.create(request=request, actor=actor, action=action, item_key=item_key)


def _suggest(request: AccessRequest, mentions: list[tuple[str, copy.Term]]) -> int:
    """A suggestion for each ``(item key, term)`` that has no redaction yet; how many were
    made."""
    existing = {
        (key, copy.normalise(term))
        for key, term in Redaction.objects.filter(request=request).values_list("item_key", "term")
    }
    now = timezone.now()
    made = 0
    for key, term in mentions:
        if (key, copy.normalise(term.text)) in existing:
            continue
        existing.add((key, copy.normalise(term.text)))
        # One by one, not bulk_create: each suggestion is an audited change.
        Redaction.objects.create(
            request=request,
            item_key=key,
            term=term.text,
            kind=term.kind,
            status=RedactionStatus.SUGGESTED,
            suggested=True,
            created_at=now,
        )
        made += 1
    return made


def _file_changed(n: int, *, back: bool) -> str:
    if back:
        return ngettext(
            "The file changed since the draft: %(n)s new mention of a person to decide; the "
            "copy goes back to preparation.",
            "The file changed since the draft: %(n)s new mentions of people to decide; the "
            "copy goes back to preparation.",
            n,
        ) % {"n": n}
    return ngettext(
        "The file changed since the draft: %(n)s new mention of a person to decide; it is "
        "suggested for redaction.",
        "The file changed since the draft: %(n)s new mentions of people to decide; they are "
        "suggested for redaction.",
        n,
    ) % {"n": n}


# --- The draft ---------------------------------------------------------------------------


FEARED_BLOCKED = _(
    "The person asking is recorded in the file as someone the victim fears: a copy is "
    "prepared only after the data-protection officer's decision."
)


def feared_stop(fresh: AccessRequest) -> bool:
    """Whether the copy stops here for someone the victim fears, checked again against the
    file now (``fresh`` is locked by the caller). A new match is flagged and saved: the caller
    lets it commit, then refuses with ``FEARED_BLOCKED``."""
    if not fresh.feared_match and feared_in_cases(fresh, fresh.cases.all()):
        fresh.feared_match = True
        fresh.save(update_fields=["feared_match"])
        return True
    return fresh.blocked_by_feared_match


def copy_draft_make(*, actor: Any, request: AccessRequest) -> AccessRequest:
    """Freeze the items of the copy and suggest where third parties' names are redacted.

    Made again while preparing, it takes in what the file holds now; decisions already taken
    stay, and a suggestion already made (decided or not) is not made twice.

    The feared-person match is checked again first: a feared person recorded in the file
    since the request was logged, with the requester's name, flags the request (the flag is
    kept, committed) and nothing is made until the DPO decides.
    """
    if not _is_dpo(actor):
        raise MaySeeNotChange(DPO_ONLY)
    with transaction.atomic():
        fresh = _locked(request)
        if fresh.status != RequestStatus.PREPARING:
            raise ValidationError(NOT_PREPARING)
        if not fresh.identity_checked:
            raise ValidationError(_("The person's identity must be checked before a copy is made."))
        newly_feared = not fresh.feared_match and feared_in_cases(fresh, fresh.cases.all())
        if newly_feared:
            fresh.feared_match = True
            fresh.save(update_fields=["feared_match"])
        elif fresh.blocked_by_feared_match:
            raise ValidationError(FEARED_BLOCKED)
        else:
            items = copy.gather(fresh, files=False)
            terms = copy.third_party_terms(fresh)
            _suggest(
                fresh,
                [
                    (item.key, term)
                    for item in items
                    for term in copy.suggestions_for(copy.text_of(item.html), terms)
                ],
            )
            fresh.item_keys = [item.key for item in items]
            fresh.draft_made_at = timezone.now()
            fresh.prepared_by = actor
            fresh.save(update_fields=["item_keys", "draft_made_at", "prepared_by"])
            _step(fresh, actor, CopyAction.DRAFT_MADE)
    if newly_feared:
        raise ValidationError(FEARED_BLOCKED)
    return fresh


# --- Redactions --------------------------------------------------------------------------


def _redaction(request: AccessRequest, redaction: Redaction) -> Redaction:
    if redaction.request_id != request.pk:
        raise ValidationError(NOT_AN_ITEM)
    return Redaction.objects.select_for_update().get(pk=redaction.pk)


@transaction.atomic
def redaction_apply(
    *, actor: Any, request: AccessRequest, redaction: Redaction, reason: str = ""
) -> Redaction:
    """Black out a suggested (or removed) redaction's words."""
    fresh = _editable(actor, request)
    row = _redaction(request, redaction)
    row.status = RedactionStatus.APPLIED
    row.reason = _redaction_reason(fresh, reason, row.term, required=False) or row.reason
    row.decided_by, row.decided_at = actor, timezone.now()
    row.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    _step(fresh, actor, CopyAction.REDACTION_APPLIED, row.item_key)
    return row


@transaction.atomic
def redaction_remove(
    *, actor: Any, request: AccessRequest, redaction: Redaction, reason: str = ""
) -> Redaction:
    """Leave the words in: the suggestion was not about someone else, or they may be read."""
    fresh = _editable(actor, request)
    row = _redaction(request, redaction)
    row.status = RedactionStatus.REMOVED
    row.reason = _redaction_reason(fresh, reason, row.term, required=False) or row.reason
    row.decided_by, row.decided_at = actor, timezone.now()
    row.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    _step(fresh, actor, CopyAction.REDACTION_REMOVED, row.item_key)
    return row


@transaction.atomic
def redaction_add(
    *, actor: Any, request: AccessRequest, item_key: str, term: str, kind: str, reason: str
) -> Redaction:
    """Black out words the system did not suggest: they must stand in that item, and the
    preparer says why."""
    fresh = _editable(actor, request)
    term = (term or "").strip()
    if not term:
        raise ValidationError({"term": _("Type the words to black out.")})
    if len(term) > limits.LONG_NAME:
        raise ValidationError({"term": _("This is too long: shorten it.")})
    if kind not in RedactionKind.values:
        raise ValidationError({"kind": _("Choose what kind of information it is.")})
    reason = _redaction_reason(fresh, reason, term, required=True)
    item = _item(fresh, item_key)
    if not copy.occurs(copy.text_of(item.html), term):
        raise ValidationError({"term": _("These words are not in that item: nothing was added.")})
    now = timezone.now()
    row = Redaction.objects.create(
        request=fresh,
        item_key=item_key,
        term=term,
        kind=kind,
        status=RedactionStatus.APPLIED,
        suggested=False,
        reason=reason,
        created_at=now,
        decided_by=actor,
        decided_at=now,
    )
    _step(fresh, actor, CopyAction.REDACTION_ADDED, item_key)
    return row


# --- Withheld items and documents --------------------------------------------------------


@transaction.atomic
def item_withhold(
    *, actor: Any, request: AccessRequest, item_key: str, exemption: str, reason: str
) -> Withholding:
    fresh = _editable(actor, request)
    if item_key not in (fresh.item_keys or []):
        raise ValidationError({"item_key": NOT_AN_ITEM})
    if exemption not in Exemption.values:
        raise ValidationError({"exemption": _("Choose the exemption that allows it.")})
    reason = _reason(reason, required=True)
    if Withholding.objects.filter(request=fresh, item_key=item_key).exists():
        raise ValidationError({"item_key": _("That item is already withheld.")})
    row = Withholding.objects.create(
        request=fresh, item_key=item_key, exemption=exemption, reason=reason, decided_by=actor
    )
    _step(fresh, actor, CopyAction.WITHHELD, item_key)
    return row


@transaction.atomic
def item_restore(*, actor: Any, request: AccessRequest, item_key: str) -> None:
    fresh = _editable(actor, request)
    row = Withholding.objects.filter(request=fresh, item_key=item_key).first()
    if row is None:
        raise ValidationError(_("That item is not withheld."))
    row.delete()  # through the ORM: an audited deletion
    # Who withheld it stays in the steps (and the audit log), with who put it back.
    _step(fresh, actor, CopyAction.RESTORED, item_key)


@transaction.atomic
def document_confirm(*, actor: Any, request: AccessRequest, item_key: str) -> AccessRequest:
    """The preparer has read the document by eye and it may go as it is."""
    fresh = _editable(actor, request)
    if item_key not in (fresh.item_keys or []) or not item_key.startswith("document:"):
        raise ValidationError(NOT_AN_ITEM)
    if item_key not in fresh.documents_confirmed:
        fresh.documents_confirmed = [*fresh.documents_confirmed, item_key]
        fresh.save(update_fields=["documents_confirmed"])
    _step(fresh, actor, CopyAction.DOCUMENT_CONFIRMED, item_key)
    return fresh


# --- Review ------------------------------------------------------------------------------


def shapers(request: AccessRequest) -> set[Any]:
    """Who shaped the copy: whoever took a step on it but sending it back (``CopyStep``);
    the preparer and whoever decided a redaction or withheld an item too, for copies shaped
    before steps were recorded."""
    found = set(
        CopyStep.objects.filter(request=request)
        .exclude(action=CopyAction.SENT_BACK)
        .values_list("actor", flat=True)
    )
    found.add(request.prepared_by_id)
    found |= set(
        Redaction.objects.filter(request=request, decided_by__isnull=False).values_list(
            "decided_by", flat=True
        )
    )
    found |= set(Withholding.objects.filter(request=request).values_list("decided_by", flat=True))
    return found - {None}


def may_review(user: Any, request: AccessRequest) -> bool:
    """A DPO, or a supervisor who sees the request, who did not shape the copy."""
    roles = roles_of(user)
    if Role.DATA_PROTECTION_OFFICER not in roles and Role.SUPERVISOR not in roles:
        return False
    if not AccessRequest.objects.visible_to(user).filter(pk=request.pk).exists():
        return False
    return user.pk not in shapers(request)


def _reviewable(actor: Any, request: AccessRequest) -> AccessRequest:
    fresh = _locked(request)
    if not may_review(actor, fresh):
        raise MaySeeNotChange(
            _(
                "A copy is signed off by a second person: the data-protection officer or a "
                "supervisor of the case's team who did not prepare it or redact it."
            )
        )
    if fresh.status != RequestStatus.IN_REVIEW:
        raise ValidationError(NOT_IN_REVIEW)
    return fresh


def undecided(request: AccessRequest) -> tuple[int, list[str]]:
    """How many suggestions wait for a decision, and the documents neither confirmed nor
    withheld (their item keys)."""
    waiting = Redaction.objects.filter(request=request, status=RedactionStatus.SUGGESTED).count()
    withheld = set(Withholding.objects.filter(request=request).values_list("item_key", flat=True))
    confirmed = set(request.documents_confirmed or [])
    documents = [
        k
        for k in request.item_keys or []
        if k.startswith("document:") and k not in confirmed and k not in withheld
    ]
    return waiting, documents


def copy_submit_for_review(*, actor: Any, request: AccessRequest) -> AccessRequest:
    """To the second person, once every suggestion is decided and every document checked.

    The frozen items are rendered again first: a third party's name written into one since
    the draft was made, with no decision, is suggested (committed) and the submission refused.
    """
    new = 0
    with transaction.atomic():
        fresh = _editable(actor, request)
        feared = feared_stop(fresh)
        if not feared:
            with copy.in_their_language(fresh):
                items = copy.gather(fresh, keys=fresh.item_keys)
            new = _suggest(fresh, copy.undecided_mentions(fresh, items))
        if not feared and not new:
            waiting, documents = undecided(fresh)
            problems = []
            if waiting:
                problems.append(
                    ngettext(
                        "%(n)s suggested redaction is not decided: apply or remove it.",
                        "%(n)s suggested redactions are not decided: apply or remove each.",
                        waiting,
                    )
                    % {"n": waiting}
                )
            if documents:
                problems.append(
                    ngettext(
                        "%(n)s document is not checked: confirm it by eye, or withhold it.",
                        "%(n)s documents are not checked: confirm each by eye, or withhold it.",
                        len(documents),
                    )
                    % {"n": len(documents)}
                )
            if problems:
                raise ValidationError(problems)
            fresh.status = RequestStatus.IN_REVIEW
            # What the reviewer must find at sign-off: a copy changed since is prepared again.
            fresh.submitted_digest = copy.review(fresh, items=items).digest
            fresh.save(update_fields=["status", "submitted_digest"])
            _step(fresh, actor, CopyAction.SUBMITTED)
    if feared:
        raise ValidationError(FEARED_BLOCKED)
    if new:
        raise ValidationError(_file_changed(new, back=False))
    return fresh


STALE_REVIEW = _("The copy changed since you read it: read it again.")
CHANGED_SINCE_SUBMITTED = _("The file changed after it was sent for review: prepare it again.")


def copy_sign_off(
    *, actor: Any, request: AccessRequest, digest: str, note: str = ""
) -> AccessRequest:
    """The second person signs off: the copy, redacted, in the person's language, is frozen;
    what is delivered is exactly this HTML.

    ``digest`` is that of the copy the reviewer read (``copy.review_copy``, shown on the
    review page; it holds the SHA-256 of each document appended at the end): the copy is
    rendered again and signed off only if it is the same. Before, the feared-person match is
    checked again, and the frozen items are scanned again: a third party's name written into
    one since it was prepared, with no decision, is suggested and the copy goes back to
    preparation; so does a copy that is no longer the one sent for review
    (``submitted_digest``: only the reviewer would have seen the change). Both are committed,
    and the sign-off refused."""
    refusal = None
    with transaction.atomic():
        fresh = _reviewable(actor, request)
        note = _reason(note, required=False)
        if feared_stop(fresh):
            refusal = FEARED_BLOCKED
        else:
            with copy.in_their_language(fresh):
                items = copy.gather(fresh, keys=fresh.item_keys)
            mentions = copy.undecided_mentions(fresh, items)
            if mentions:
                _suggest(fresh, mentions)
                refusal = _file_changed(len(mentions), back=True)
            else:
                review = copy.review(fresh, items=items)
                if review.digest != fresh.submitted_digest:
                    refusal = CHANGED_SINCE_SUBMITTED
                elif review.digest != (digest or ""):
                    raise ValidationError(STALE_REVIEW)
                else:
                    _approve(fresh, actor, review, note)
            if refusal is not None:
                fresh.status = RequestStatus.PREPARING
                fresh.review_note = str(refusal)
                fresh.save(update_fields=["status", "review_note"])
                _step(fresh, actor, CopyAction.SENT_BACK)
    if refusal is not None:
        raise ValidationError(refusal)
    return fresh


def _approve(fresh: AccessRequest, actor: Any, review: copy.Review, note: str) -> None:
    html = review.html
    fresh.approved_html = html
    fresh.approved_digest = copy.digest(html)
    fresh.approved_files = review.files
    fresh.reviewed_by = actor
    fresh.reviewed_at = timezone.now()
    fresh.review_note = note
    fresh.status = RequestStatus.APPROVED
    fresh.save(
        update_fields=[
            "approved_html",
            "approved_digest",
            "approved_files",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "status",
        ]
    )


@transaction.atomic
def copy_send_back(*, actor: Any, request: AccessRequest, note: str) -> AccessRequest:
    """Back to the preparer, with what to look at again."""
    fresh = _reviewable(actor, request)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what the preparer should look at again.")})
    fresh.review_note = _reason(note, required=True)
    fresh.status = RequestStatus.PREPARING
    fresh.save(update_fields=["review_note", "status"])
    _step(fresh, actor, CopyAction.SENT_BACK)
    return fresh


# --- The draft PDF -----------------------------------------------------------------------


def copy_draft_request(*, actor: Any, request: AccessRequest) -> CopyJob:
    """The draft as a PDF, made by the background worker in the person's language."""
    if not request.draft_made_at:
        raise ValidationError(_("Make the draft first."))
    return pdfjobs.job_request(
        model=CopyJob,
        requested_by=actor,
        request=request,
        final=False,
        language=request.language or None,
    )
