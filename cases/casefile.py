"""The cases app's part of the case file: the person, safe contact, other people, needs,
consents and documents, and their timeline (notes, contacts, screenings, notices, status
changes, consents given and withdrawn, documents)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cases import models as m
from victimsupport.casefile import (
    EVERYONE,
    STAFF_ONLY,
    Audience,
    Category,
    Contributor,
    Section,
    TimelineItem,
    TimelineSource,
)

# Who may be shown what (a rendering still filters by category and redaction on top):
# - the person: their own details, safe contact, needs, consents and the notices they were
#   given; never the people they fear or others in the story, staff notes, contact logs,
#   screenings, status reasons or documents (a document may be about someone else).
# - a partner: what a referral needs (safe contact and needs), and only with a consent that
#   the referral service checks; never identity here (a package adds it under that consent).
# - staff only: notes, contacts, screenings (the person's words), status changes, third
#   parties and documents.
PERSON_AND_STAFF = Audience.STAFF | Audience.PERSON


def _victim(case: Any) -> m.Victim | None:
    """The person, from the case when it was read with them (the case page), else read."""
    if m.Case.victim.is_cached(case):
        try:
            return case.victim
        except m.Victim.DoesNotExist:
            return None
    return m.Victim.objects.filter(case=case).first()


def contribute(case: Any) -> tuple[list[Section], list[TimelineItem]]:
    victim = _victim(case)
    preferences = list(case.contact_preferences.all())
    consents = list(case.consents.select_related("recorded_by", "withdrawn_by", "notice"))
    documents = list(
        m.Document.objects.filter(case=case).defer("content").select_related("uploaded_by")
    )
    third_parties = list(case.third_parties.all())
    needs = case.needs.order_by("-recorded_at").first()
    sections = [
        Section(
            "person",
            _("Person"),
            Category.IDENTITY,
            PERSON_AND_STAFF,
            "casefile/sections/person.html",
            {"victim": victim},
            order=10,
            page_template="casefile/page/person.html",
        ),
        Section(
            "safe_contact",
            _("Safe contact"),
            Category.SAFETY,
            EVERYONE,
            "casefile/sections/safe_contact.html",
            {"preferences": preferences, "safe_methods": [p for p in preferences if p.is_safe]},
            order=20,
            page_template="casefile/page/safe_contact.html",
        ),
        Section(
            "third_parties",
            _("Other people"),
            Category.THIRD_PARTIES,
            STAFF_ONLY,
            "casefile/sections/third_parties.html",
            {"third_parties": third_parties},
            order=30,
            page_template="casefile/page/third_parties.html",
        ),
        Section(
            "needs",
            _("Needs"),
            Category.NEEDS,
            EVERYONE,
            "casefile/sections/needs.html",
            {"needs": needs},
            order=40,
            page_template="casefile/page/needs.html",
        ),
        Section(
            "consents",
            _("Consents"),
            Category.CONSENTS,
            PERSON_AND_STAFF,
            "casefile/sections/consents.html",
            {"consents": consents},
            order=80,
            page_template="casefile/page/consents.html",
        ),
        Section(
            "documents",
            _("Documents"),
            Category.DOCUMENTS,
            STAFF_ONLY,
            "casefile/sections/documents.html",
            {"documents": documents},
            order=90,
            page_template="casefile/page/documents.html",
        ),
    ]
    timeline = [
        *(
            TimelineItem(n.created_at, "note", n, Category.NOTES)
            for n in case.notes.select_related("author")
        ),
        *(
            TimelineItem(c.occurred_at, "contact", c, Category.NOTES)
            for c in case.contacts.select_related("recorded_by")
        ),
        *(
            TimelineItem(s.screened_at, "screen", s, Category.RISK)
            for s in case.screens.select_related("screened_by")
        ),
        *(
            TimelineItem(a.acknowledged_at, "notice", a, Category.CONSENTS, PERSON_AND_STAFF)
            for a in case.acknowledgements.select_related("notice", "recorded_by")
        ),
        *(
            TimelineItem(s.changed_at, "status", s, Category.INTERNAL)
            for s in case.status_changes.select_related("changed_by")
        ),
        *(
            TimelineItem(c.given_at, "consent", c, Category.CONSENTS, PERSON_AND_STAFF)
            for c in consents
        ),
        *(
            TimelineItem(c.withdrawn_at, "withdrawal", c, Category.CONSENTS, PERSON_AND_STAFF)
            for c in consents
            if c.withdrawn_at
        ),
        *(TimelineItem(d.uploaded_at, "document", d, Category.DOCUMENTS) for d in documents),
    ]
    return sections, timeline


CONTRIBUTOR = Contributor(
    name="cases",
    contribute=contribute,
    models={
        m.Victim: "case",
        m.ContactPreference: "case",
        m.ThirdParty: "case",
        m.NeedsRecord: "case",
        m.Consent: "case",
        m.Document: "case",
        m.Note: "case",
        m.ContactLog: "case",
        m.RiskScreen: "case",
        m.NoticeAcknowledgement: "case",
        m.StatusChange: "case",
    },
    timeline_sources=(
        TimelineSource(m.Note, "case"),
        TimelineSource(m.ContactLog, "case"),
        TimelineSource(m.RiskScreen, "case"),
        TimelineSource(m.NoticeAcknowledgement, "case"),
        TimelineSource(m.StatusChange, "case"),
        TimelineSource(m.Consent, "case"),
        TimelineSource(m.Consent, "case", {"withdrawn_at__isnull": False}),
        TimelineSource(m.Document, "case"),
    ),
    technical={
        # Who may open the case (object grants): access control, not the person's file; their
        # changes are still in the case history.
        m.CaseUserObjectPermission: "content_object",
        m.CaseGroupObjectPermission: "content_object",
        # Emergency accesses are a record of staff access, read by supervisors in the history.
        m.BreakGlassAccess: "case",
        # An export job holds a rendering of the file itself, for a few hours.
        m.ExportJob: "case",
        # A possible duplicate is a working flag between two cases, resolved by staff.
        m.DuplicateMatch: "existing_case",
    },
)
