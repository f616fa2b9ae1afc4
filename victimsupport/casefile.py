"""One projection of a case file, contributed to by the apps.

The core knows nothing of cases: each app's ``casefile.py`` registers a contributor in its
``AppConfig.ready()``. A contributor returns, for one case, its ordered sections and its timeline
items, each carrying the data category it holds and the audiences it may be shown to. The case
page, the staff PDF and (later) the person's copy and a referral package are renderings of the
same projection, filtered by category and audience, so a new kind of item is added in one place.

A contributor also names the models it covers (with the lookup from each to its case): the case
history finds a case's rows through them, and a test fails if a model that belongs to a case is
covered by no contributor.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What kind of data an item holds: what a rendering may leave out or redact."""

    IDENTITY = "identity", _("Identity")
    CONTACT_DETAILS = "contact_details", _("Contact details")
    SAFETY = "safety", _("Safety and contact rules")
    RISK = "risk", _("Risk")
    NEEDS = "needs", _("Needs")
    NOTES = "notes", _("Notes")
    DOCUMENTS = "documents", _("Documents")
    CONSENTS = "consents", _("Consents")
    THIRD_PARTIES = "third_parties", _("Third parties")
    INTERNAL = "internal", _("Internal staff notes")


class Audience(enum.Flag):
    """Who an item may be shown to. Staff see everything; the others only what says so."""

    STAFF = enum.auto()
    PERSON = enum.auto()
    PARTNER = enum.auto()


STAFF_ONLY = Audience.STAFF
EVERYONE = Audience.STAFF | Audience.PERSON | Audience.PARTNER


@dataclass(frozen=True)
class Section:
    """A heading of the file and what is under it.

    ``data`` is what the templates read (also given to the case page's context by name);
    ``template`` renders it in a PDF, ``page_template`` (if any) on the case page.
    """

    key: str
    title: Any
    category: Category
    audiences: Audience
    template: str
    data: dict[str, Any]
    order: int = 0
    page_template: str = ""


@dataclass(frozen=True)
class TimelineItem:
    """One dated entry: ``template`` renders it the same way on the page and in a PDF."""

    at: datetime
    kind: str
    item: Any
    category: Category
    audiences: Audience = STAFF_ONLY
    # An entry that has a day but no time (a trigger) shows the day alone.
    date_only: bool = False

    @property
    def template(self) -> str:
        return f"casefile/timeline/{self.kind}.html"


@dataclass(frozen=True)
class TimelineSource:
    """A model whose rows (matching ``filters``) each make one timeline item: the size of a
    case's timeline is counted from these without loading a row."""

    model: type[models.Model]
    case_path: str
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contributor:
    """An app's part of the case file.

    ``contribute(case)`` returns (sections, timeline items) in a fixed number of queries.
    ``models`` maps each model shown to its lookup to the case (``"case"``, ``"plan__case"``);
    ``technical`` does the same for models that belong to a case but are no part of its file
    (each with the reason in its app's ``casefile.py``): they are still in the case history.
    """

    name: str
    contribute: Callable[[Any], tuple[list[Section], list[TimelineItem]]]
    models: dict[type[models.Model], str]
    timeline_sources: tuple[TimelineSource, ...] = ()
    technical: dict[type[models.Model], str] = field(default_factory=dict)


_contributors: dict[str, Contributor] = {}


def register(contributor: Contributor) -> None:
    _contributors[contributor.name] = contributor


def contributors() -> list[Contributor]:
    return list(_contributors.values())


@dataclass
class CaseFile:
    case: Any
    sections: list[Section]
    timeline: list[TimelineItem]

    def for_audience(self, audience: Audience) -> CaseFile:
        return CaseFile(
            case=self.case,
            sections=[s for s in self.sections if audience & s.audiences],
            timeline=[t for t in self.timeline if audience & t.audiences],
        )

    def without(self, *categories: Category) -> CaseFile:
        return CaseFile(
            case=self.case,
            sections=[s for s in self.sections if s.category not in categories],
            timeline=[t for t in self.timeline if t.category not in categories],
        )

    def context(self) -> dict[str, Any]:
        """Every section's data by name, the sections and the timeline: a template's context."""
        context: dict[str, Any] = {}
        for section in self.sections:
            context.update(section.data)
        context.update(casefile=self, sections=self.sections, timeline=self.timeline)
        return context


def build(case: Any) -> CaseFile:
    """The whole file of ``case``, sections in order and the timeline newest first."""
    sections: list[Section] = []
    timeline: list[TimelineItem] = []
    for contributor in _contributors.values():
        more_sections, more_items = contributor.contribute(case)
        sections += more_sections
        timeline += more_items
    sections.sort(key=lambda s: s.order)
    timeline.sort(key=lambda item: item.at, reverse=True)
    return CaseFile(case=case, sections=sections, timeline=timeline)


def timeline_sources() -> Iterator[TimelineSource]:
    for contributor in _contributors.values():
        yield from contributor.timeline_sources


def case_models(*, technical: bool = True) -> list[tuple[type[models.Model], str]]:
    """(model, lookup to the case) for every model in some contributor's part (and, unless
    ``technical=False``, the technical ones): what the case history reads."""
    found: list[tuple[type[models.Model], str]] = []
    for contributor in _contributors.values():
        found += contributor.models.items()
        if technical:
            found += contributor.technical.items()
    return found


def rows_of(case: Any, pairs: Iterable[tuple[type[models.Model], str]]) -> dict[Any, list]:
    """The primary keys of each model's rows belonging to ``case``, one query a model."""
    return {
        model: list(model._default_manager.filter(**{path: case}).values_list("pk", flat=True))
        for model, path in pairs
    }
