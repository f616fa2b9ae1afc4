"""The person's copy of their file: the projection, every category, redactions applied.

Everything the organisation holds on the person: the projection of each case of the request
(``casefile.build``), every category and every audience, documents included. Each section and
timeline entry is one *item* of the copy, named by a key that says nothing of its content
(``section:<key>:<case pk>``, ``<kind>:<pk>``; a section needs its case in the key because a
request may concern several cases). ``copy_draft_make`` freezes the keys: what is added to the
file later is not in this copy unseen.

Each item is rendered with its own template (``casefile/sections/*.html``,
``casefile/timeline/*.html``), then redacted on its *text*: the HTML is parsed, terms are
replaced in text nodes and in attribute values, and everything is escaped again, so a
redacted word is in no byte of the output (not in a title, an ``alt`` or an attribute either)
and is shown as a visible "[redacted: <kind>]" mark. Matching ignores case and accents.

Documents cannot be searched for names: an image is embedded (a ``data:`` URL), a PDF is
appended as pages, any other file is listed; each is flagged "check by eye", and the preparer
confirms or withholds it before the copy goes to review.

Two renderings, both made by the background worker (``CopyJob``):

- the draft, for the preparer and the reviewer: the items frozen in ``item_keys``, suggested
  redactions highlighted, applied ones marked, withheld items replaced by a line;
- the final copy: exactly the HTML signed off (``AccessRequest.approved_html``), protected
  with the delivery's passphrase (AES-256). Nothing is gathered again: what the reviewer read
  is what the person gets.

The file may change after the draft is made (a note edited, a third party recorded): at
submission and at sign-off the frozen items are rendered again and scanned
(``undecided_mentions``); a name with no decision sends the copy back to preparation, and the
sign-off compares the digest of what the reviewer read with the copy rendered now.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Document, ThirdParty
from victimsupport import casefile, pdfjobs
from victimsupport.files import reencode_image

FINAL_TEMPLATE = "dataprotection/copy_final_pdf.html"
DRAFT_TEMPLATE = "dataprotection/copy_draft_pdf.html"
BODY_TEMPLATE = "dataprotection/copy_body.html"

# A name's parts are suggested too (people are named "Marc" in a note as often as "Marc
# Dubois"), from three letters: shorter parts ("Li", "de", "O") match too many ordinary
# words and would bury the preparer in suggestions to remove.
MIN_PART = 3

ROLE_KIND = {
    ThirdParty.Role.FEARED: "feared",
    ThirdParty.Role.CHILD: "child",
    ThirdParty.Role.REFERRER: "referrer",
    ThirdParty.Role.OTHER: "other_person",
}

# Images drawn from a data: URL, re-encoded from their pixels first (the core's
# ``reencode_image``: no EXIF, GPS position, XMP or comment reaches the PDF, whatever was
# stored); PDFs are appended as pages.
EMBEDDED_IMAGES = {"image/png", "image/jpeg"}
PDF_TYPE = "application/pdf"


# --- Items -------------------------------------------------------------------------------


@dataclass
class Item:
    """One item of the copy: its key, its (unredacted) HTML, and for a document, the file."""

    key: str
    case: Any
    title: str
    html: str
    category: str
    at: Any = None
    date_only: bool = False
    document: Document | None = None
    attachment: bytes | None = field(default=None, repr=False)

    @property
    def is_document(self) -> bool:
        return self.document is not None


def section_key(section: casefile.Section, case: Any) -> str:
    return f"section:{section.key}:{case.pk}"


def timeline_key(entry: casefile.TimelineItem) -> str:
    return f"{entry.kind}:{entry.item.pk}"


def cases_of(request: Any) -> list[Any]:
    return list(request.cases.order_by("opened_at", "pk"))


def gather(request: Any, *, keys: Iterable[str] | None = None, files: bool = True) -> list[Item]:
    """The items of ``request``'s copy, in the order of the file: for each case, its sections
    then its timeline, newest first. With ``keys``, only those (the frozen draft), in the
    order they were frozen in; with ``files``, each document's content is loaded."""
    wanted = set(keys) if keys is not None else None
    items: list[Item] = []
    for case in cases_of(request):
        projection = casefile.build(case)
        context = {
            **projection.context(),
            "case": case,
            "include_third_parties": True,
        }
        for section in projection.sections:
            key = section_key(section, case)
            if wanted is not None and key not in wanted:
                continue
            html = render_to_string(section.template, {**context, "section": section})
            items.append(Item(key, case, str(section.title), html, section.category))
        for entry in projection.timeline:
            key = timeline_key(entry)
            if wanted is not None and key not in wanted:
                continue
            html = render_to_string(entry.template, {"x": entry.item, "case": case})
            document = entry.item if isinstance(entry.item, Document) else None
            items.append(
                Item(
                    key,
                    case,
                    entry.kind,
                    html,
                    entry.category,
                    at=entry.at,
                    date_only=entry.date_only,
                    document=document,
                )
            )
    if files:
        _load_files(items)
    if keys is not None:
        order = {k: i for i, k in enumerate(keys)}
        items.sort(key=lambda item: order.get(item.key, len(order)))
    return items


def _load_files(items: list[Item]) -> None:
    """Each document's content, in one query (the projection defers it)."""
    documents = [i for i in items if i.is_document]
    if not documents:
        return
    contents = dict(
        Document.objects.filter(pk__in=[i.document.pk for i in documents]).values_list(
            "pk", "content"
        )
    )
    for item in documents:
        item.attachment = contents.get(item.document.pk)


# --- Third parties' names ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str
    kind: str


def third_party_terms(request: Any) -> list[Term]:
    """Each third party's recorded name and its parts of ``MIN_PART`` letters or more, with
    the kind their role gives; longest first (a full name is matched before its parts)."""
    seen: dict[str, Term] = {}
    for party in ThirdParty.objects.filter(case__in=request.cases.all()):
        name = (party.name or "").strip()
        if not name:
            continue
        kind = ROLE_KIND.get(party.role, "other_person")
        candidates = [name, *re.findall(r"[^\W\d_][\w'\u2019-]*", name)]
        for candidate in candidates:
            letters = [c for c in candidate if c.isalpha()]
            if len(letters) < MIN_PART:
                continue
            seen.setdefault(normalise(candidate), Term(candidate, kind))
    return sorted(seen.values(), key=lambda t: (-len(t.text), t.text))


# --- Matching without case or accents ----------------------------------------------------


def _fold(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    return "".join(_fold(c) for c in text)


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character the index of the original one."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        folded = _fold(char)
        out.append(folded)
        where += [i] * len(folded)
    return "".join(out), where


def find(text: str, term: str) -> list[tuple[int, int]]:
    """Where ``term`` stands in ``text`` as whole words, ignoring case and accents: spans of
    the original text."""
    needle = normalise(term).strip()
    if not needle:
        return []
    folded, where = _folded(text)
    spans = []
    pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)")
    for match in pattern.finditer(folded):
        start, end = where[match.start()], where[match.end() - 1] + 1
        spans.append((start, end))
    return spans


def occurs(text: str, term: str) -> bool:
    return bool(find(text, term))


def text_of(html: str) -> str:
    """Everything a reader of ``html`` could read: its text and its attribute values."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and not _is_data_url(name, value):
                self.parts.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def suggestions_for(text: str, terms: list[Term]) -> list[Term]:
    """The terms found in ``text``, one each. A part of a name is suggested only where it
    stands outside the full name (where the full name is, its suggestion covers it)."""
    found = []
    masked = text
    for term in terms:
        spans = find(masked, term.text)
        if not spans:
            continue
        found.append(term)
        for start, end in reversed(spans):
            masked = masked[:start] + " " * (end - start) + masked[end:]
    return found


# --- Redacting rendered HTML -------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A term to act on in an item: ``apply`` removes it (a visible mark in its place),
    ``highlight`` keeps it, highlighted (a suggestion the preparer decides)."""

    term: str
    kind: str
    apply: bool
    ref: str = ""


def kind_label(kind: str) -> str:
    from dataprotection.models import RedactionKind

    return str(dict(RedactionKind.choices).get(kind, kind)).lower()


def _mark_text(kind: str) -> str:
    return _("[redacted: %(kind)s]") % {"kind": kind_label(kind)}


def _is_data_url(name: str, value: str) -> bool:
    return name in {"src", "href"} and value.startswith("data:")


def _replace(
    text: str, marks: list[Mark], wrap: Callable[[Mark, str], str], plain: Callable[[str], str]
) -> str:
    """``text`` escaped, with each mark's matches passed to ``wrap``; applied marks first and
    longest first, so no part of a redacted term is left to a shorter one."""
    spans: list[tuple[int, int, Mark]] = []
    taken = [False] * len(text)
    ordered = sorted(marks, key=lambda m: (not m.apply, -len(m.term)))
    for mark in ordered:
        for start, end in find(text, mark.term):
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            spans.append((start, end, mark))
    spans.sort(key=lambda s: s[0])
    out, at = [], 0
    for start, end, mark in spans:
        out.append(plain(text[at:start]))
        out.append(wrap(mark, text[start:end]))
        at = end
    out.append(plain(text[at:]))
    return "".join(out)


class _Redactor(HTMLParser):
    """Rebuilds the HTML from its parts, redacting text and attribute values; comments and
    processing instructions are dropped."""

    def __init__(self, marks: list[Mark]) -> None:
        super().__init__(convert_charrefs=True)
        self.marks = marks
        self.applied = [m for m in marks if m.apply]
        self.out: list[str] = []

    def _text(self, data: str) -> str:
        def wrap(mark: Mark, found: str) -> str:
            if mark.apply:
                return f'<span class="redacted">{escape(_mark_text(mark.kind))}</span>'
            ref = f' data-ref="{escape(mark.ref)}"' if mark.ref else ""
            return f'<mark class="suggested"{ref}>{escape(found)}</mark>'

        return _replace(data, self.marks, wrap, escape) if self.marks else escape(data)

    def _attribute(self, name: str, value: str) -> str:
        # In an attribute, only what is applied is acted on (a highlight cannot be drawn
        # there), and the mark is plain text.
        if _is_data_url(name, value) or not self.applied:
            return escape(value)
        return _replace(value, self.applied, lambda m, _f: escape(_mark_text(m.kind)), escape)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> str:
        parts = [tag]
        for name, value in attrs:
            parts.append(name if value is None else f'{name}="{self._attribute(name, value)}"')
        return "<" + " ".join(parts) + close

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, ">"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, "/>"))

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(self._text(data))


def redact_html(html: str, marks: list[Mark]) -> str:
    parser = _Redactor(marks)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


# --- The copy as a whole -----------------------------------------------------------------


@dataclass
class Shown:
    """An item as a rendering shows it: redacted HTML, or the withholding line."""

    item: Item
    html: str
    withheld: Any = None
    suggested: list[Any] = field(default_factory=list)
    applied: list[Any] = field(default_factory=list)
    document_confirmed: bool = False
    image_url: str = ""
    appended: bool = False
    # An appended document's SHA-256 (of its content): shown in the copy, so the digest of
    # what the reviewer signs off covers the pages the HTML does not hold.
    sha256: str = ""


def decisions(request: Any) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """The request's redactions by item (removed ones left out) and its withholdings by item,
    two queries."""
    from dataprotection.models import RedactionStatus

    redactions: dict[str, list[Any]] = {}
    for r in request.redactions.exclude(status=RedactionStatus.REMOVED).order_by("created_at"):
        redactions.setdefault(r.item_key, []).append(r)
    withheld = {w.item_key: w for w in request.withholdings.all()}
    return redactions, withheld


def shown_items(
    request: Any, *, final: bool, items: list[Item] | None = None, progress: Callable | None = None
) -> list[Shown]:
    """The frozen items of the copy, each redacted: for the final copy (and the review), the
    applied redactions only; for the draft, suggestions highlighted as well."""
    from dataprotection.models import RedactionStatus

    if items is None:
        items = gather(request, keys=request.item_keys)
    redactions, withheld = decisions(request)
    confirmed = set(request.documents_confirmed or [])
    shown = []
    for n, item in enumerate(items):
        rows = redactions.get(item.key, [])
        applied = [r for r in rows if r.status == RedactionStatus.APPLIED]
        suggested = [r for r in rows if r.status == RedactionStatus.SUGGESTED]
        marks = [Mark(r.term, r.kind, True) for r in applied]
        if not final:
            marks += [Mark(r.term, r.kind, False, ref=str(r.pk)) for r in suggested]
        entry = Shown(
            item,
            redact_html(item.html, marks),
            withheld=withheld.get(item.key),
            suggested=suggested,
            applied=applied,
            document_confirmed=item.key in confirmed,
        )
        if item.is_document and item.attachment and entry.withheld is None:
            content_type = item.document.content_type
            if content_type in EMBEDDED_IMAGES:
                entry.image_url = _image_url(item.attachment, content_type)
            elif content_type == PDF_TYPE:
                entry.appended = True
                entry.sha256 = hashlib.sha256(item.attachment).hexdigest()
        shown.append(entry)
        if progress is not None:
            progress(n + 1, len(items))
    return shown


def _image_url(data: bytes, content_type: str) -> str:
    """The image as a ``data:`` URL of its pixels only, re-encoded; "" (listed, not shown) if
    it cannot be read."""
    try:
        clean = reencode_image(data, content_type)
    except ValidationError:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(clean).decode()}"


def render_body(request: Any, shown: list[Shown], *, draft: bool) -> str:
    """The copy's HTML (what goes inside the PDF's body): a heading, then each case's items."""
    by_case: list[tuple[Any, list[Shown]]] = []
    for entry in shown:
        if not by_case or by_case[-1][0] != entry.item.case:
            by_case.append((entry.item.case, []))
        by_case[-1][1].append(entry)
    return render_to_string(
        BODY_TEMPLATE,
        {
            "access_request": request,
            "by_case": by_case,
            "draft": draft,
            # The draft's date, not today's: the copy read on one day is the same the next.
            "produced_at": request.draft_made_at or timezone.now(),
        },
    )


def appended_pdfs(shown: list[Shown]) -> list[bytes]:
    return [entry.item.attachment for entry in shown if entry.appended]


def appended_files(shown: list[Shown]) -> list[dict[str, Any]]:
    """The documents appended at the end, each ``{"document": pk, "sha256": hex}``: what the
    sign-off keeps, and the final copy checks (``final_attachments``)."""
    return [
        {"document": entry.item.document.pk, "sha256": entry.sha256}
        for entry in shown
        if entry.appended
    ]


@dataclass
class Review:
    """The copy as the reviewer reads it: its HTML (whose digest is signed off: it holds each
    appended document's SHA-256) and the documents appended at the end."""

    html: str
    files: list[dict[str, Any]]

    @property
    def digest(self) -> str:
        return digest(self.html)


def review(request: Any, *, items: list[Item] | None = None) -> Review:
    """``review_copy``, with the documents appended at the end."""
    with in_their_language(request):
        if items is None:
            items = gather(request, keys=request.item_keys)
        shown = shown_items(request, final=True, items=items)
        return Review(render_body(request, shown, draft=False), appended_files(shown))


def approved_copy(request: Any, *, items: list[Item] | None = None) -> str:
    """The HTML the reviewer signs off (in the active language): applied redactions only,
    withheld items as their line."""
    return render_body(request, shown_items(request, final=True, items=items), draft=False)


def review_copy(request: Any, *, items: list[Item] | None = None) -> str:
    """The copy as the reviewer reads it and signs it off: ``approved_copy`` in the person's
    language. The review page shows its ``digest``; the sign-off renders it again and
    compares, so what is signed off is exactly what was read. ``items``, when given, were
    gathered ``in_their_language``."""
    return review(request, items=items).html


def in_their_language(request: Any) -> translation.override:
    """The person's language, active: items rendered for their copy are gathered in it too
    (dates and labels are in each item's HTML)."""
    return translation.override(request.language or settings.LANGUAGE_CODE)


def undecided_mentions(
    request: Any, items: list[Item], terms: list[Term] | None = None
) -> list[tuple[str, Term]]:
    """Third parties' names that stand, now, in an item of the copy (withheld ones left out)
    with no decision (applied or removed) for that item and name: what the file gained since
    the suggestions were made. ``(item key, term)`` pairs."""
    from dataprotection.models import RedactionStatus

    terms = third_party_terms(request) if terms is None else terms
    if not terms:
        return []
    decided = {
        (key, normalise(term))
        for key, term in request.redactions.filter(
            status__in=[RedactionStatus.APPLIED, RedactionStatus.REMOVED]
        ).values_list("item_key", "term")
    }
    withheld = set(request.withholdings.values_list("item_key", flat=True))
    found = []
    for item in items:
        if item.key in withheld:
            continue
        for term in suggestions_for(text_of(item.html), terms):
            if (item.key, normalise(term.text)) not in decided:
                found.append((item.key, term))
    return found


def names_in(text: str, words: Iterable[str]) -> bool:
    """Whether any of ``words``, or a part of one of ``MIN_PART`` letters or more, stands in
    ``text`` (ignoring case and accents)."""
    for word in words:
        parts = [word, *re.findall(r"[^\W\d_][\w'\u2019-]*", word)]
        for part in parts:
            if len([c for c in part if c.isalpha()]) >= MIN_PART and occurs(text, part):
                return True
    return False


def digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def final_document(request: Any) -> pdfjobs.Document:
    """The final copy: the signed-off HTML, under the delivery's passphrase. Refused (the job
    fails with its generic message) if that HTML is no longer the one signed off."""
    if not request.approved_html:
        raise ValueError("The copy has not been signed off.")
    if digest(request.approved_html) != request.approved_digest:
        raise ValueError("The copy is not the one signed off.")
    delivery = request.delivery  # made before the final job is asked for
    return pdfjobs.Document(
        FINAL_TEMPLATE,
        {"copy_html": request.approved_html},
        title=_("Your file"),
        password=delivery.passphrase,
        append=final_attachments(request),
    )


def final_attachments(request: Any) -> list[bytes]:
    """The PDF documents appended to the signed-off copy, exactly as signed off
    (``approved_files``): refused (``ValueError``, the job fails) if one is missing, set
    aside (quarantined) or no longer the same content, or if the documents the copy says are
    attached (frozen, confirmed by eye, not withheld) are not those signed off."""
    approved = list(request.approved_files or [])
    confirmed = set(request.documents_confirmed or [])
    withheld = set(request.withholdings.values_list("item_key", flat=True))
    keys = [k for k in request.item_keys or [] if k in confirmed and k not in withheld]
    pks = {k.split(":", 1)[1] for k in keys} | {str(f["document"]) for f in approved}
    rows = Document.objects.filter(pk__in=pks).values_list(
        "pk", "content_type", "quarantined_at", "content"
    )
    found = {str(pk): (kind, quarantined, content) for pk, kind, quarantined, content in rows}
    attached = [
        pk
        for pk in (k.split(":", 1)[1] for k in keys)
        if pk not in found or found[pk][0] == PDF_TYPE
    ]
    if attached != [str(f["document"]) for f in approved]:
        raise ValueError("The documents attached are not those signed off.")
    contents = []
    for entry in approved:
        _kind, quarantined, content = found.get(str(entry["document"]), (None, None, None))
        if content is None or quarantined is not None:
            raise ValueError("A document signed off is missing or set aside.")
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise ValueError("A document changed since the copy was signed off.")
        contents.append(content)
    return contents


def draft_document(request: Any, *, progress: Callable | None = None) -> pdfjobs.Document:
    """The draft for the preparer and the reviewer: the frozen items, applied redactions
    marked, suggested ones highlighted, withheld items as a line, documents to check."""
    if not request.draft_made_at:
        raise ValueError("No draft has been made.")
    shown = shown_items(request, final=False, progress=progress)
    return pdfjobs.Document(
        DRAFT_TEMPLATE,
        {"copy_html": render_body(request, shown, draft=True)},
        title=_("Draft copy"),
        append=appended_pdfs(shown),
    )


def render_copy_job(job: Any, request: Any) -> pdfjobs.Document:
    """What the worker renders for a copy job (registered in DataProtectionConfig.ready)."""
    return final_document(request) if job.final else draft_document(request)
