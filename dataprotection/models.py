"""The data-protection officer's work: access and erasure requests and the person's copy,
retention and erasure, the record of processing activities, and the breach register.

Who sees what (the one way in):

- every record here is the data-protection officer's (read and change);
- a supervisor also sees the requests that concern a case of their teams, read-only, so that
  they can review and sign off a copy they did not prepare (``copy_sign_off`` checks the rest);
- a request's redactions, withheld items, copy jobs and delivery follow the request;
- the one-time download page is reached by no one signed in: it finds its delivery by the
  link's public id and checks the secret, which never travels in a URL the server sees.

Every free text is encrypted. The redaction log says who redacted what kind of data, when and
why; the redacted words themselves are encrypted and shown only to the preparer and reviewer.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, ContactMethod
from victimsupport import limits, pdfjobs
from victimsupport.access import Role, roles_of
from victimsupport.concurrency import Versioned
from victimsupport.crypto.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedTextField,
)

# The blind-index key a requester's name shares with the names of the people recorded in case
# files (cases.ThirdParty.name_index): a request by someone the victim fears is recognised
# without anyone reading a name.
THIRD_PARTY_NAME_KEY = "cases.thirdparty.name"


def _is_dpo(user: Any) -> bool:
    return Role.DATA_PROTECTION_OFFICER in roles_of(user)


class DPOQuerySet(models.QuerySet):
    """Records only the data-protection officer sees and keeps."""

    def visible_to(self, user: Any) -> DPOQuerySet:
        if not _is_dpo(user):
            return self.none()
        return self.annotate(can_write=Value(True))


# --- Requests from the person -------------------------------------------------------------


class RequestKind(models.TextChoices):
    ACCESS = "access", _("A copy of their file (access)")
    ERASURE = "erasure", _("Erasure of their file")


class ReceivedVia(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    LETTER = "letter", _("By letter")
    EMAIL = "email", _("By e-mail")
    CASEWORKER = "caseworker", _("Through their caseworker")


class RequesterKind(models.TextChoices):
    PERSON = "person", _("The person themselves")
    REPRESENTATIVE = "representative", _("Someone acting for them")


class IdentityMethod(models.TextChoices):
    DOCUMENT_IN_PERSON = "document_in_person", _("Identity document seen in person")
    KNOWN_TO_STAFF = "known_to_staff", _("Known in person to their caseworker")
    CODE_WORD = "code_word", _("Gave the case's code word")
    CALL_BACK = "call_back", _("Called back on their safe number")
    DOCUMENT_COPY = "document_copy", _("Copy of an identity document")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received: identity to check")
    PREPARING = "preparing", _("Copy being prepared")
    IN_REVIEW = "in_review", _("Copy waiting for review")
    APPROVED = "approved", _("Copy signed off, to deliver")
    DELIVERED = "delivered", _("Delivered")
    ERASED = "erased", _("Erased")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the person")

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.RECEIVED, cls.PREPARING, cls.IN_REVIEW, cls.APPROVED]


class FearedDecision(models.TextChoices):
    """What the DPO decided about a request by someone the file records as feared."""

    UNDECIDED = "", _("Not decided")
    PROCEED = "proceed", _("Proceed: they are not the person feared, or may receive the copy")
    REFUSE = "refuse", _("Refuse: the copy must not go to them")


class AccessRequestQuerySet(models.QuerySet["AccessRequest"]):
    def visible_to(self, user: Any) -> AccessRequestQuerySet:
        roles = roles_of(user)
        if Role.DATA_PROTECTION_OFFICER in roles:
            return self.annotate(can_write=Value(True))
        if Role.SUPERVISOR in roles:
            # Read-only: a supervisor reviews and signs off; the service checks who may. Only
            # requests whose every case is of their teams: a request about two people's files
            # (or one person's files in two teams) would otherwise show a file of another team.
            # NOT EXISTS, correlated to each request: a NOT IN the requests of every other
            # team's cases read those over the whole organisation. The requests with a case
            # of the teams come from the teams' cases (an IN, a semi-join: each request once),
            # not from a join of every request with its cases made distinct again, which
            # sorted the rows of the whole join and grew with it.
            teams = user.teams.all()
            ours = RequestCase.objects.filter(case__team__in=teams).values("request")
            outside = RequestCase.objects.filter(request=OuterRef("pk")).exclude(
                case__team__in=teams
            )
            return (
                self.filter(pk__in=ours).exclude(Exists(outside)).annotate(can_write=Value(False))
            )
        return self.none()

    def open(self) -> AccessRequestQuerySet:
        return self.filter(status__in=RequestStatus.open_values())


class AccessRequest(Versioned):
    """A request by a person (or someone acting for them) to see or erase what the service
    holds on them, with the clock of GDPR art. 12(3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Pseudonymous, for lists and letters: DP-2026-0007.
    reference = models.CharField(verbose_name=_("reference"), max_length=20, unique=True)
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=10,
        choices=RequestKind.choices,
        default=RequestKind.ACCESS,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=12,
        choices=RequestStatus.choices,
        default=RequestStatus.RECEIVED,
    )
    # Through a model of our own, written row by row (``RequestCase``): an audited change
    # each (``ManyToManyField.add`` bulk-creates, which the audit log never sees).
    cases = models.ManyToManyField(
        Case,
        verbose_name=_("cases"),
        related_name="access_requests",
        blank=True,
        through="RequestCase",
    )

    # Received when and how, from whom.
    received_on = models.DateField(verbose_name=_("received on"))
    received_via = models.CharField(
        verbose_name=_("received"), max_length=12, choices=ReceivedVia.choices
    )
    requester_kind = models.CharField(
        verbose_name=_("who asks"),
        max_length=15,
        choices=RequesterKind.choices,
        default=RequesterKind.PERSON,
    )
    requester_name = EncryptedCharField(
        verbose_name=_("name of the person asking"), max_length=limits.LONG_NAME
    )
    requester_name_index = BlindIndexField(
        source="requester_name", normaliser="name", column_key=THIRD_PARTY_NAME_KEY
    )
    # A representative's authority: what it is (a signed authority, a power of attorney...).
    authority_evidence = EncryptedTextField(
        verbose_name=_("evidence of their authority"), max_length=limits.REASON, blank=True
    )
    authority_document = EncryptedBinaryField(
        verbose_name=_("copy of the authority"), null=True, blank=True, editable=False
    )
    authority_document_type = models.CharField(
        verbose_name=_("type of the authority's copy"), max_length=100, blank=True
    )
    details = EncryptedTextField(
        verbose_name=_("what they ask for"), max_length=limits.REASON, blank=True
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    logged_at = models.DateTimeField(verbose_name=_("logged at"), default=timezone.now)

    # The requester's name matched a person the file records as feared.
    feared_match = models.BooleanField(
        verbose_name=_("asked by someone the file records as feared"), default=False
    )
    feared_decision = models.CharField(
        verbose_name=_("decision on the match"),
        max_length=10,
        choices=FearedDecision.choices,
        blank=True,
        default=FearedDecision.UNDECIDED,
    )
    feared_reason = EncryptedTextField(
        verbose_name=_("reason for the decision"), max_length=limits.REASON, blank=True
    )
    feared_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    feared_decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)

    # The identity check, before anything is prepared.
    identity_method = models.CharField(
        verbose_name=_("how identity was checked"),
        max_length=20,
        choices=IdentityMethod.choices,
        blank=True,
    )
    identity_note = EncryptedTextField(
        verbose_name=_("note on the check"), max_length=limits.REASON, blank=True
    )
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    identity_checked_at = models.DateTimeField(verbose_name=_("checked at"), null=True, blank=True)

    # The clock: one month, extended by up to two with a reason told to the person in time.
    due_on = models.DateField(verbose_name=_("due on"))
    extended_to = models.DateField(verbose_name=_("extended to"), null=True, blank=True)
    extension_reason = EncryptedTextField(
        verbose_name=_("reason for the extension"), max_length=limits.REASON, blank=True
    )
    extension_told_on = models.DateField(
        verbose_name=_("person told of the extension on"), null=True, blank=True
    )
    extension_told_via = models.CharField(
        verbose_name=_("how they were told"),
        max_length=10,
        choices=ContactMethod.choices,
        blank=True,
    )

    # The copy: the person's language, who prepared it, who signed it off.
    language = EncryptedCharField(verbose_name=_("language of the copy"), max_length=15, blank=True)
    # The projection's items as they stood when the draft was made (keys only, no content):
    # what is added to the file later is not in this copy unseen.
    item_keys = models.JSONField(verbose_name=_("items of the copy"), default=list, blank=True)
    draft_made_at = models.DateTimeField(verbose_name=_("draft made at"), null=True, blank=True)
    # The documents of the copy (item keys) the preparer checked by eye and confirmed: a file
    # cannot be searched for names (migration 0003, the copy's part).
    documents_confirmed = models.JSONField(
        verbose_name=_("documents checked by eye"), default=list, blank=True
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(verbose_name=_("signed off at"), null=True, blank=True)
    review_note = EncryptedTextField(
        verbose_name=_("reviewer's note"), max_length=limits.REASON, blank=True
    )
    # The copy as signed off, redactions applied: what is delivered is exactly what was read.
    approved_html = EncryptedTextField(
        verbose_name=_("the copy as signed off"),
        max_length=limits.PACKAGE,
        null=True,
        blank=True,
        editable=False,
    )
    approved_digest = models.CharField(
        verbose_name=_("digest of the copy signed off"), max_length=64, blank=True, editable=False
    )
    # The documents appended at the end of the copy signed off (their pages are not in
    # ``approved_html``): ``{"document": pk, "sha256": hex}`` each; the final copy is refused
    # if one is missing, set aside or no longer the same (migration 0006, the copy's part).
    approved_files = models.JSONField(default=list, blank=True)
    # The digest of the copy as it was sent for review: a copy that is no longer that one
    # goes back to preparation at sign-off (migration 0006, the copy's part).
    submitted_digest = models.CharField(max_length=64, blank=True)

    # The end.
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # An erasure refused: the legal reasons to keep (RefusalGround values) and the explanation.
    refusal_grounds = models.JSONField(verbose_name=_("grounds"), default=list, blank=True)
    refusal_reason = EncryptedTextField(
        verbose_name=_("reason"), max_length=limits.REASON, blank=True
    )

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request from a person")
        verbose_name_plural = _("requests from people")
        ordering = ["due_on"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # The request list's three orders (selectors.request_ordering), each a seek.
            models.Index(
                Coalesce("extended_to", "due_on"),
                "reference",
                condition=Q(status__in=RequestStatus.open_values()),
                name="request_open_list_idx",
            ),
            models.Index(F("received_on").desc(), "reference", name="request_all_list_idx"),
            models.Index(
                # Plain DESC: SQLite builds no NULLS LAST index. The list puts a request
                # closed without a time last, so PostgreSQL reads this index's rows and sorts
                # them (closed requests only, a small table beside the cases).
                F("closed_at").desc(),
                "reference",
                condition=~Q(status__in=RequestStatus.open_values()),
                name="request_closed_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"access request {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("dataprotection:request", args=[self.pk])

    @property
    def deadline(self) -> Any:
        """The date the answer is due, extension included."""
        return self.extended_to or self.due_on

    @property
    def is_open(self) -> bool:
        return self.status in RequestStatus.open_values()

    @property
    def identity_checked(self) -> bool:
        return self.identity_checked_at is not None

    @property
    def blocked_by_feared_match(self) -> bool:
        """A request by someone recorded as feared goes no further without a decision."""
        return self.feared_match and self.feared_decision != FearedDecision.PROCEED


class RequestCase(models.Model):
    """One case a request concerns."""

    request = models.ForeignKey(
        AccessRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("case of a request")
        verbose_name_plural = _("cases of requests")
        constraints = [
            models.UniqueConstraint(fields=["request", "case"], name="a_case_once_per_request")
        ]

    def __str__(self) -> str:
        return f"request case {self.pk}"


class RefusalGround(models.TextChoices):
    LEGAL_HOLD = "legal_hold", _("A legal hold is on the file")
    COURT_CASE = "court_case", _("An open court case needs the file")
    LEGAL_OBLIGATION = "legal_obligation", _("The law requires us to keep it")
    LEGAL_CLAIMS = "legal_claims", _("Needed to establish or defend legal claims")
    SAFEGUARDING = "safeguarding", _("Needed to protect a child or an adult at risk")


class RequestChildQuerySet(models.QuerySet):
    """Rows of a request: seen and kept by whoever sees and keeps the request."""

    def visible_to(self, user: Any) -> RequestChildQuerySet:
        requests = AccessRequest.objects.visible_to(user)
        return self.filter(request__in=requests.values("pk")).annotate(
            can_write=Value(_is_dpo(user))
        )


class RedactionKind(models.TextChoices):
    FEARED = "feared", _("The person they fear")
    CHILD = "child", _("A child")
    REFERRER = "referrer", _("Whoever referred them")
    OTHER_PERSON = "other_person", _("Another person named")
    STAFF = "staff", _("A member of staff or a partner")
    OTHER = "other", _("Other information about someone else")


class RedactionStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    APPLIED = "applied", _("Applied")
    REMOVED = "removed", _("Removed")


class Redaction(models.Model):
    """Words of one item of the copy blacked out, because they are about someone else."""

    request = models.ForeignKey(
        AccessRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="redactions",
    )
    # Which item of the projection: "section:<key>" or "<kind>:<pk>" (no content).
    item_key = models.CharField(verbose_name=_("item"), max_length=100)
    # What is blacked out. Encrypted, and never shown in the redaction log.
    term = EncryptedCharField(verbose_name=_("words redacted"), max_length=limits.LONG_NAME)
    kind = models.CharField(verbose_name=_("kind"), max_length=15, choices=RedactionKind.choices)
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=RedactionStatus.choices,
        default=RedactionStatus.SUGGESTED,
    )
    suggested = models.BooleanField(verbose_name=_("suggested by the system"), default=False)
    reason = EncryptedTextField(verbose_name=_("why"), max_length=limits.REASON, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)

    objects = RequestChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("redaction")
        verbose_name_plural = _("redactions")
        ordering = ["item_key", "created_at"]
        indexes = [models.Index(fields=["request", "item_key"])]

    def __str__(self) -> str:
        return f"redaction {self.pk}"


class Exemption(models.TextChoices):
    """Why an item may be withheld from the person's copy."""

    OTHERS_RIGHTS = "others_rights", _("It would reveal someone else (GDPR art. 15(4))")
    SERIOUS_HARM = "serious_harm", _("It could cause serious harm to the person or someone else")
    CRIME = "crime", _("It would prejudice the prevention or investigation of a crime")
    LEGAL_PRIVILEGE = "legal_privilege", _("It is covered by legal professional privilege")
    COURT = "court", _("It is restricted by a court or by court proceedings")
    NOT_PERSONAL = "not_personal", _("It holds no personal data of the person")


class Withholding(models.Model):
    """An item left out of the copy, with the exemption that allows it."""

    request = models.ForeignKey(
        AccessRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="withholdings",
    )
    item_key = models.CharField(verbose_name=_("item"), max_length=100)
    exemption = models.CharField(
        verbose_name=_("exemption"), max_length=20, choices=Exemption.choices
    )
    reason = EncryptedTextField(verbose_name=_("why"), max_length=limits.REASON)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), default=timezone.now)

    objects = RequestChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("item withheld")
        verbose_name_plural = _("items withheld")
        constraints = [
            models.UniqueConstraint(fields=["request", "item_key"], name="withhold_an_item_once")
        ]

    def __str__(self) -> str:
        return f"withholding {self.pk}"


class CopyAction(models.TextChoices):
    DRAFT_MADE = "draft_made", _("Made the draft")
    REDACTION_APPLIED = "redaction_applied", _("Applied a redaction")
    REDACTION_REMOVED = "redaction_removed", _("Removed a redaction")
    REDACTION_ADDED = "redaction_added", _("Added a redaction")
    WITHHELD = "withheld", _("Withheld an item")
    RESTORED = "restored", _("Put an item back")
    DOCUMENT_CONFIRMED = "document_confirmed", _("Confirmed a document")
    SUBMITTED = "submitted", _("Sent for review")
    SENT_BACK = "sent_back", _("Sent back to preparation")


APPEND_ONLY = "A step on a copy is recorded for good: it is never changed or deleted."


class CopyStepQuerySet(RequestChildQuerySet):
    """Steps are never changed or deleted through a queryset. The request's deletion still
    removes them: Django's collector deletes cascaded rows with ``QuerySet._raw_delete`` or
    ``DeleteQuery.delete_batch``, neither of which passes through here."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(APPEND_ONLY)


class CopyStep(models.Model):
    """One step taken on a request's copy, by whom and when: append-only (migration 0004, the
    copy's part): a saved step is never saved again, and is deleted only with its request.
    Whoever took any step but sending it back shaped the copy, and may not sign it off
    (``services.copy.shapers``)."""

    request = models.ForeignKey(
        AccessRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="steps"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(verbose_name=_("action"), max_length=20, choices=CopyAction.choices)
    # Which item, when the step is about one (a key holds no content).
    item_key = models.CharField(verbose_name=_("item"), max_length=100, blank=True)
    at = models.DateTimeField(verbose_name=_("at"), default=timezone.now)

    objects = CopyStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("step on a copy")
        verbose_name_plural = _("steps on copies")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"copy step {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(APPEND_ONLY)
        kwargs["force_insert"] = True  # never an UPDATE, even of a row named by its pk
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(APPEND_ONLY)


class CopyJobQuerySet(pdfjobs.DocumentJobQuerySet):
    def visible_to(self, user: Any) -> CopyJobQuerySet:
        """The requester's own jobs, while they may still see the request."""
        requests = AccessRequest.objects.visible_to(user)
        return self.requested_by_user(user).filter(request__in=requests.values("pk"))


class CopyJob(pdfjobs.DocumentJob):
    """The person's copy as a PDF, made by the worker: the draft for the preparer and the
    reviewer, or the final copy (protected with the delivery's passphrase)."""

    request = models.ForeignKey(
        AccessRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="copy_jobs"
    )
    final = models.BooleanField(verbose_name=_("final copy"), default=False)

    objects = CopyJobQuerySet.as_manager()

    FILENAME = "copy.pdf"
    STAGE_LABELS = {pdfjobs.JobStage.GATHERING: _("Gathering the file and its redactions")}
    FAILURE_MESSAGES = {pdfjobs.JobFailure.NO_ACCESS: _("You can no longer open this request.")}

    class Meta(pdfjobs.DocumentJob.Meta):
        verbose_name = _("copy job")
        verbose_name_plural = _("copy jobs")

    def __str__(self) -> str:
        return f"copy job {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("dataprotection:copy_job", args=[self.request_id, self.pk])

    def subject(self) -> AccessRequest | None:
        return (
            AccessRequest.objects.visible_to(self.requested_by).filter(pk=self.request_id).first()
        )

    def get_download_url(self) -> str:
        return reverse("dataprotection:copy_job_download", args=[self.request_id, self.pk])

    def get_retry_url(self) -> str:
        return reverse("dataprotection:copy_request", args=[self.request_id])


class DeliveryQuerySet(RequestChildQuerySet):
    pass


class Delivery(models.Model):
    """How the final copy reaches the person: the protected PDF, the passphrase told by their
    safe channel, and (optionally) a one-time download link."""

    request = models.OneToOneField(
        AccessRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="delivery"
    )
    pdf = EncryptedBinaryField(
        verbose_name=_("protected copy"), null=True, blank=True, editable=False
    )
    passphrase = EncryptedCharField(verbose_name=_("passphrase"), max_length=200, editable=False)
    passphrase_sent_via = models.CharField(
        verbose_name=_("passphrase sent by"),
        max_length=10,
        choices=ContactMethod.choices,
        blank=True,
    )
    passphrase_sent_at = models.DateTimeField(
        verbose_name=_("passphrase sent at"), null=True, blank=True
    )
    passphrase_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The one-time link: /copy/<link_id>/ and, in the part after "#" that browsers never send,
    # the secret; only its SHA-256 is kept.
    link_id = models.CharField(
        verbose_name=_("link"), max_length=32, unique=True, null=True, blank=True
    )
    link_secret_hash = models.CharField(
        verbose_name=_("link secret digest"), max_length=64, blank=True
    )
    link_expires_at = models.DateTimeField(verbose_name=_("link expires at"), null=True, blank=True)
    link_used_at = models.DateTimeField(verbose_name=_("link used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("made at"), default=timezone.now)
    handed_over_at = models.DateTimeField(verbose_name=_("handed over at"), null=True, blank=True)
    handed_over_via = models.CharField(
        verbose_name=_("handed over"), max_length=12, choices=ReceivedVia.choices, blank=True
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery of a copy")
        verbose_name_plural = _("deliveries of copies")

    def __str__(self) -> str:
        return f"delivery {self.pk}"


# --- Retention and erasure ----------------------------------------------------------------


class RecordKind(models.TextChoices):
    """The kinds of record the retention schedule keeps a period for (the profile's keys)."""

    CLOSED_CASE = "closed_case", _("Closed case files (from closure)")
    INTAKE_DRAFT = "intake_draft", _("Unfinished intake drafts (from the last change)")
    EXPORT = "export", _("PDF exports and copies (from when they were made)")
    ACCESS_REQUEST = "access_request", _("Closed requests from people (from closure)")
    BREACH = "breach", _("Closed breaches (from closure)")


class RetentionRule(Versioned):
    """How long one kind of record is kept. Missing rows take the country profile's default."""

    kind = models.CharField(
        verbose_name=_("kind of record"), max_length=20, choices=RecordKind.choices, unique=True
    )
    days = models.PositiveIntegerField(verbose_name=_("kept for (days)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(verbose_name=_("changed at"), default=timezone.now)

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention schedule")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"retention rule {self.kind}"


class LegalHold(models.Model):
    """A case kept past its retention (a court case, an investigation) until it is lifted."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="legal_holds"
    )
    reason = EncryptedTextField(verbose_name=_("reason"), max_length=limits.REASON)
    review_on = models.DateField(verbose_name=_("review on"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(verbose_name=_("placed at"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(verbose_name=_("lifted at"), null=True, blank=True)

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["review_on"]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class ErasureStatus(models.TextChoices):
    DUE = "due", _("Due: waiting for approval")
    ERASED = "erased", _("Erased")
    KEPT = "kept", _("Kept: erasure refused")


class Erasure(models.Model):
    """One case's erasure: proposed by the schedule or a person's request, approved by the DPO,
    and afterwards its certificate. Holds no personal data: the case's pseudonymous reference,
    counts per category, dates, who approved, and the audit chain's head at erasure."""

    class Basis(models.TextChoices):
        SCHEDULE = "schedule", _("The retention schedule")
        REQUEST = "request", _("The person's request")

    # Null once the case is gone: the certificate keeps its reference.
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasures",
    )
    case_reference = models.CharField(verbose_name=_("case reference"), max_length=limits.REFERENCE)
    basis = models.CharField(verbose_name=_("basis"), max_length=10, choices=Basis.choices)
    request = models.ForeignKey(
        AccessRequest,
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasures",
    )
    # The request's reference, kept when the request itself is deleted past its period.
    request_reference = models.CharField(
        verbose_name=_("request reference"), max_length=limits.REFERENCE, blank=True
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=ErasureStatus.choices,
        default=ErasureStatus.DUE,
    )
    due_since = models.DateField(verbose_name=_("due since"))
    found_at = models.DateTimeField(verbose_name=_("found at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    erased_at = models.DateTimeField(verbose_name=_("erased at"), null=True, blank=True)
    # {category or kind of record: how many were erased}: counts, never values.
    counts = models.JSONField(verbose_name=_("erased"), default=dict, blank=True)
    # "seq:seal" of the sealed audit log just after the erasure's own entries.
    chain_head = models.CharField(verbose_name=_("audit chain head"), max_length=100, blank=True)
    kept_grounds = models.JSONField(verbose_name=_("grounds"), default=list, blank=True)
    kept_reason = EncryptedTextField(verbose_name=_("reason"), max_length=limits.REASON, blank=True)

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="due"), name="one_erasure_due_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk}"


# --- The DPO's records ----------------------------------------------------------------------


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (art. 6(1)(a))")
    CONTRACT = "contract", _("A contract with the person (art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("A legal obligation (art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Someone's vital interests (art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("A task in the public interest (art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (art. 6(1)(f))")


class ProcessingActivity(Versioned):
    """One entry of the record of processing activities (GDPR art. 30)."""

    # A stable key for entries the app pre-fills ("casework", "referral:housing"), blank for
    # those the DPO adds.
    key = models.CharField(verbose_name=_("key"), max_length=60, blank=True)
    name = EncryptedCharField(verbose_name=_("name"), max_length=limits.LONG_NAME)
    purpose = EncryptedTextField(verbose_name=_("purpose"), max_length=limits.REASON)
    lawful_basis = models.CharField(
        verbose_name=_("lawful basis"), max_length=25, choices=LawfulBasis.choices
    )
    special_category_condition = EncryptedTextField(
        verbose_name=_("condition for special-category data (art. 9)"),
        max_length=limits.REASON,
        blank=True,
    )
    data_categories = models.JSONField(verbose_name=_("categories of data"), default=list)
    people = EncryptedTextField(verbose_name=_("categories of people"), max_length=limits.REASON)
    recipients = EncryptedTextField(
        verbose_name=_("recipients"), max_length=limits.REASON, blank=True
    )
    transfers = EncryptedTextField(
        verbose_name=_("transfers outside the EU"), max_length=limits.REASON, blank=True
    )
    retention = EncryptedTextField(verbose_name=_("how long it is kept"), max_length=limits.REASON)
    security = EncryptedTextField(verbose_name=_("security measures"), max_length=limits.REASON)
    order = models.PositiveIntegerField(verbose_name=_("order"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(verbose_name=_("changed at"), default=timezone.now)

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("processing activity")
        verbose_name_plural = _("record of processing activities")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"processing activity {self.pk}"


class BreachDecision(models.TextChoices):
    UNDECIDED = "", _("Not decided yet")
    NOTIFY = "notify", _("Notify the regulator")
    NOT_NOTIFY = "not_notify", _("Do not notify: unlikely to put anyone at risk")


class Breach(Versioned):
    """A personal-data breach (GDPR arts. 33 and 34): the regulator within 72 hours of its
    discovery unless it is unlikely to put anyone at risk; the people told through their
    safe channel."""

    reference = models.CharField(verbose_name=_("reference"), max_length=20, unique=True)
    discovered_at = models.DateTimeField(verbose_name=_("discovered at"))
    occurred_at = models.DateTimeField(verbose_name=_("happened at"), null=True, blank=True)
    description = EncryptedTextField(verbose_name=_("what happened"), max_length=limits.DETAILS)
    data_categories = models.JSONField(verbose_name=_("categories of data"), default=list)
    people_affected = models.PositiveIntegerField(verbose_name=_("people affected"))
    # discovered_at + the profile's hours, fixed when logged.
    regulator_due_at = models.DateTimeField(verbose_name=_("regulator to be told by"))
    decision = models.CharField(
        verbose_name=_("decision"),
        max_length=12,
        choices=BreachDecision.choices,
        blank=True,
        default=BreachDecision.UNDECIDED,
    )
    decision_reason = EncryptedTextField(
        verbose_name=_("reason"), max_length=limits.REASON, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    regulator_notified_at = models.DateTimeField(
        verbose_name=_("regulator told at"), null=True, blank=True
    )
    regulator_reference = EncryptedCharField(
        verbose_name=_("regulator's reference"), max_length=limits.SHORT_TEXT, blank=True
    )
    # Art. 34: a high risk to people means telling them.
    people_to_be_told = models.BooleanField(verbose_name=_("people must be told"), default=False)
    measures = EncryptedTextField(
        verbose_name=_("measures taken"), max_length=limits.DETAILS, blank=True
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    logged_at = models.DateTimeField(verbose_name=_("logged at"), default=timezone.now)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breach register")
        ordering = ["-discovered_at"]

    def __str__(self) -> str:
        return f"breach {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("dataprotection:breach", args=[self.pk])


class BreachNotice(models.Model):
    """One person told of a breach, through a channel their case records as safe."""

    breach = models.ForeignKey(
        Breach, verbose_name=_("breach"), on_delete=models.CASCADE, related_name="notices"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="breach_notices"
    )
    method = models.CharField(
        verbose_name=_("how they were told"), max_length=10, choices=ContactMethod.choices
    )
    # Checked by the service against the case's contact rules at the time (never trusted from
    # the form): the method was recorded as safe and the case was not marked do-not-contact.
    through_safe_channel = models.BooleanField(
        verbose_name=_("through their safe channel"), default=False
    )
    told_at = models.DateTimeField(verbose_name=_("told at"), default=timezone.now)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("told by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = DPOQuerySet.as_manager()

    class Meta:
        verbose_name = _("person told of a breach")
        verbose_name_plural = _("people told of a breach")
        constraints = [
            models.UniqueConstraint(fields=["breach", "case"], name="tell_a_person_once_per_breach")
        ]

    def __str__(self) -> str:
        return f"breach notice {self.pk}"


# --- Requests: references (the requests part, migration 0002) -------------------------------


class RequestReferenceCounter(models.Model):
    """The last request reference issued per year (DP-2026-0007). Taken with a row lock, so
    two requests logged at the same moment never get the same number."""

    year = models.PositiveIntegerField(verbose_name=_("year"), primary_key=True)
    last = models.PositiveIntegerField(verbose_name=_("last number issued"), default=0)

    class Meta:
        verbose_name = _("request reference counter")
        verbose_name_plural = _("request reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
