"""The sensitive-terms check: what a victim-facing page must never say.

``find_sensitive(text, site=...)`` lists everything in ``text`` that could help someone find
or get into the site: its own address (whole, each line, and the street part), the surnames
of its team's staff, the editable list of sensitive terms (the site's and the
organisation's), and anything shaped like a door or alarm code, a room or floor number, a
street address or a postcode. Each match says what kind it is, the text it matched and why.

Words and phrases (the address, surnames, the list) are compared ignoring case, accents and
spacing (any run of spaces or punctuation counts as one space), as whole words. The shapes
are regular expressions over the text as written. When two matches overlap, the more
specific one is kept ("12 Lantern Row" is the site's address, not just "a street address").

The check errs on the side of refusing: "any run of four or more digits" also catches a
year or a four-digit helpline; the refusal says what matched, and the writer rewords it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from premises.models import SensitiveTerm, Site


class Kind:
    ADDRESS = "address"
    TERM = "term"
    SURNAME = "surname"
    STREET = "street"
    DOOR_CODE = "door_code"
    ROOM = "room"
    POSTCODE = "postcode"
    DIGITS = "digits"


# What each kind of match is called in a refusal ("The French text contains a door code").
KIND_LABELS = {
    Kind.ADDRESS: _("part of the site's address"),
    Kind.TERM: _("a word from the sensitive-terms list"),
    Kind.SURNAME: _("a staff member's surname"),
    Kind.STREET: _("a street address"),
    Kind.DOOR_CODE: _("a door code"),
    Kind.ROOM: _("a room or floor number"),
    Kind.POSTCODE: _("a postcode"),
    Kind.DIGITS: _("a number that could be a door or alarm code"),
}
# The more specific first: of two overlapping matches, the earlier kind here is kept.
PRIORITY = [
    Kind.ADDRESS,
    Kind.TERM,
    Kind.SURNAME,
    Kind.STREET,
    Kind.DOOR_CODE,
    Kind.ROOM,
    Kind.POSTCODE,
    Kind.DIGITS,
]


@dataclasses.dataclass(frozen=True)
class Match:
    kind: str  # a Kind value
    text: str  # the text matched, as written
    why: Any  # why it is refused, in words (lazy translation)
    start: int = 0
    end: int = 0

    @property
    def label(self) -> Any:
        return KIND_LABELS[self.kind]


# --- Normalising words and phrases ------------------------------------------------------


def _fold(char: str) -> str:
    """One character without its accents, case-folded ("É" -> "e")."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` folded (no accents, no case) with every run of anything but letters and digits
    made one space, padded with a space at each end; and for each character of the result the
    index in ``text`` it came from (to give back the words as written)."""
    out: list[str] = [" "]
    where: list[int] = [0]
    for index, char in enumerate(text):
        folded = _fold(char)
        if folded and all(c.isalnum() for c in folded):
            for c in folded:
                out.append(c)
                where.append(index)
        elif out[-1] != " ":
            out.append(" ")
            where.append(index)
    if out[-1] != " ":
        out.append(" ")
        where.append(len(text))
    return "".join(out), where


def _phrase(value: str) -> str:
    """A word or phrase folded as ``normalise`` folds the text, without the padding."""
    return normalise(value)[0].strip()


def _find_phrase(text: str, folded: str, where: list[int], phrase: str) -> list[tuple[int, int]]:
    """Spans in ``text`` of ``phrase`` (already folded) as whole words."""
    if not phrase:
        return []
    spans = []
    needle = f" {phrase} "
    start = folded.find(needle)
    while start != -1:
        first = where[start + 1]
        last = where[start + len(needle) - 2]
        spans.append((first, last + 1))
        start = folded.find(needle, start + 1)
    return spans


# --- Shapes ----------------------------------------------------------------------------

_FLAGS = re.IGNORECASE | re.UNICODE
_WORD = r"[\w'\u2019.-]+"
_CAPITALISED = r"(?-i:[A-ZÀ-Ý])[\w'\u2019.-]*"
_STREET_EN = (
    r"street|st|road|rd|avenue|ave|lane|ln|row|drive|dr|close|square|sq|place|pl|way|"
    r"crescent|terrace|court|ct|gardens|grove|hill|park|walk|mews"
)
_STREET_FR = (
    r"rue|avenue|av|boulevard|bd|blvd|chemin|allée|allee|impasse|quai|place|cours|route|"
    r"passage|square|voie|sentier|rond-point"
)
_HOUSE_NUMBER = r"\d{1,4}[a-z]?(?:\s*(?:bis|ter))?"

SHAPES: list[tuple[str, re.Pattern[str], Any]] = [
    # "12 Lantern Row", "3 Market St": a number, a capitalised name, a street word.
    (
        Kind.STREET,
        re.compile(
            rf"(?<![\w-]){_HOUSE_NUMBER}\s+(?:{_CAPITALISED}\s+){{1,3}}(?:{_STREET_EN})\b\.?",
            _FLAGS,
        ),
        _("a house number next to a street name"),
    ),
    # "12 rue des Lilas", "3, allée Verte": a number, then the street word.
    (
        Kind.STREET,
        re.compile(
            rf"(?<![\w-]){_HOUSE_NUMBER}\s*,?\s*(?:{_STREET_FR})\b\.?(?:\s+{_WORD}){{0,3}}",
            _FLAGS,
        ),
        _("a house number next to a street name"),
    ),
    # "rue des Lilas 12", "Lantern Row 12": the street word, a name, then the number.
    (
        Kind.STREET,
        re.compile(
            rf"\b(?:{_STREET_FR}|{_STREET_EN})\s+(?:{_WORD}\s+){{0,3}}?{_CAPITALISED}\s*,?\s*"
            rf"\d{{1,4}}\b",
            _FLAGS,
        ),
        _("a street name next to a house number"),
    ),
    # "code 4711", "door code: 12A4", "digicode 12A4", "PIN 0000", "code d'entrée B1234".
    (
        Kind.DOOR_CODE,
        re.compile(
            r"\b(?:(?:door|alarm|gate|entry|front|key)\s+)?(?:digicode|code|pin|passcode|keypad|alarm|alarme|combination|combinaison)"
            r"(?:\s+(?:de\s+la\s+porte|d['\u2019]entrée|d['\u2019]entree|porte|door|gate|portail))?"
            r"\s*(?:is|est|:|=|-|n[°o]\.?)?\s*#?\s*(?=[0-9A-Z*#]*\d)[0-9A-Z*#]{2,10}\b",
            _FLAGS,
        ),
        _("a code next to the word code"),
    ),
    # "#4711", "*1234#".
    (
        Kind.DOOR_CODE,
        re.compile(r"[#*]\s?\d{3,}#?"),
        _("a number after # or *, as typed on a keypad"),
    ),
    # "room 12", "salle 3", "chambre 2", "bureau 104", "floor 2", "flat 4B", "room B".
    (
        Kind.ROOM,
        re.compile(
            r"\b(?:room|rm|salle|chambre|bureau|office|floor|level|étage|etage|niveau|flat|"
            r"apartment|appartement|apt|unit|suite|bâtiment|batiment|building|bloc|block|"
            r"wing|aile|porte|door)\s*(?:n[°o]\.?\s*|no\.\s*|number\s+|numéro\s+)?#?\s*"
            r"(?:\d+[a-z]?|(?-i:[A-Z])\d*)\b",
            _FLAGS,
        ),
        _("a number or letter after a word for a room or floor"),
    ),
    # "2nd floor", "3e étage", "1er étage", "third floor", "deuxième étage".
    (
        Kind.ROOM,
        re.compile(
            r"\b(?:\d+\s*(?:st|nd|rd|th|e|er|ère|ere|ème|eme|re|è)|first|second|third|fourth|"
            r"fifth|sixth|seventh|eighth|ninth|tenth|premier|première|deuxième|deuxieme|"
            r"second|seconde|troisième|troisieme|quatrième|quatrieme|cinquième|cinquieme|"
            r"sixième|sixieme)\s+(?:floor|storey|étage|etage)\b",
            _FLAGS,
        ),
        _("a floor named by its number"),
    ),
    # UK postcodes ("SW1A 1AA") and Irish Eircodes ("D02 X285").
    (
        Kind.POSTCODE,
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", _FLAGS),
        _("shaped like a postcode"),
    ),
    (
        Kind.POSTCODE,
        re.compile(r"\b(?:[ACDEFHKNPRTVWXY]\d{2}|D6W)\s?[0-9ACDEFHKNPRTVWXY]{4}\b", _FLAGS),
        _("shaped like a postcode"),
    ),
    # French, Belgian and other numeric postcodes ("75011", "B-1000").
    (
        Kind.POSTCODE,
        re.compile(r"(?<![\w-])(?:[A-Z]{1,2}-)?\d{5}(?![\w-])", _FLAGS),
        _("shaped like a postcode"),
    ),
    # Any run of four digits or more: a door or alarm code is often written alone.
    (
        Kind.DIGITS,
        re.compile(r"(?<!\d)\d{4,}(?!\d)"),
        _("four or more digits in a row"),
    ),
]


# --- What a site must never say ------------------------------------------------------------


def address_parts(address: str) -> list[str]:
    """The site's address as phrases to look for: the whole, each line (a line break or a
    comma ends a line), and the street part of each line (the line without its house
    number). Each folded; parts with fewer than three letters are left out."""
    parts = [address]
    lines = [line.strip() for line in re.split(r"[\n\r,;]+", address) if line.strip()]
    parts.extend(lines)
    for line in lines:
        street = re.sub(
            rf"^(?:{_HOUSE_NUMBER}(?:\s*[-/]\s*\d+[a-z]?)?)\s*,?\s*|\s*,?\s*\d{{1,4}}[a-z]?$",
            "",
            line,
            flags=_FLAGS,
        )
        if street != line:
            parts.append(street)
    found: list[str] = []
    for part in parts:
        folded = _phrase(part)
        if sum(c.isalpha() for c in folded) >= 3 and folded not in found:
            found.append(folded)
    return found


def staff_surnames(site: Site) -> list[str]:
    """The surnames of the site's team's staff, of three letters or more, folded."""
    from victimsupport.accounts.models import User

    names = User.objects.filter(teams=site.team_id).values_list("last_name", flat=True)
    found: list[str] = []
    for name in names:
        folded = _phrase(name or "")
        if sum(c.isalpha() for c in folded) >= 3 and folded not in found:
            found.append(folded)
    return found


def listed_terms(site: Site) -> list[str]:
    """The sensitive terms of the site and of the organisation (no site), folded."""
    terms = SensitiveTerm.objects.filter(site=site) | SensitiveTerm.objects.filter(
        site__isnull=True
    )
    found: list[str] = []
    for term in terms:
        folded = _phrase(term.term)
        if folded and folded not in found:
            found.append(folded)
    return found


class SensitiveCheck:
    """The check for one site, its phrases read once (a page has four texts to check)."""

    def __init__(self, site: Site, *, kinds: frozenset[str] | None = None) -> None:
        """``kinds``: the kinds of match to look for (all of them unless given)."""
        self.kinds = frozenset(PRIORITY) if kinds is None else kinds
        self.phrases: list[tuple[str, str, Any]] = []
        if Kind.ADDRESS in self.kinds:
            for phrase in address_parts(site.address or ""):
                self.phrases.append(
                    (Kind.ADDRESS, phrase, _("it would tell people where the site is"))
                )
        if Kind.TERM in self.kinds:
            for phrase in listed_terms(site):
                self.phrases.append(
                    (Kind.TERM, phrase, _("a supervisor listed it as never to be shown"))
                )
        if Kind.SURNAME in self.kinds:
            for phrase in staff_surnames(site):
                self.phrases.append((Kind.SURNAME, phrase, _("a member of the team has this name")))

    def find(self, text: str) -> list[Match]:
        if not text:
            return []
        found: list[Match] = []
        folded, where = normalise(text)
        for kind, phrase, why in self.phrases:
            for start, end in _find_phrase(text, folded, where, phrase):
                found.append(Match(kind, text[start:end], why, start, end))
        for kind, pattern, why in SHAPES:
            if kind not in self.kinds:
                continue
            for hit in pattern.finditer(text):
                value = hit.group(0).strip()
                if value:
                    found.append(Match(kind, value, why, hit.start(), hit.end()))
        return _keep_most_specific(found)


def _keep_most_specific(found: list[Match]) -> list[Match]:
    """Of overlapping matches, the most specific kind (then the longest); in text order."""
    ranked = sorted(found, key=lambda m: (PRIORITY.index(m.kind), -(m.end - m.start), m.start))
    kept: list[Match] = []
    for match in ranked:
        if not any(match.start < k.end and k.start < match.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def find_sensitive(text: str, *, site: Site) -> list[Match]:
    """Everything in ``text`` that a page about ``site`` must not say (see the module)."""
    return SensitiveCheck(site).find(text)


# What would place a site or give the way in: its address, a street address or postcode, and
# its listed terms (door codes). Not staff surnames, rooms or other numbers: evidence written
# for staff names rooms and people.
LOCATION_KINDS = frozenset({Kind.ADDRESS, Kind.TERM, Kind.STREET, Kind.POSTCODE, Kind.DOOR_CODE})


def location_matches(text: str, *, site: Site) -> list[Match]:
    """What in ``text`` would place ``site`` or give the way in. The evidence of a refuge that
    an auditor reads (photo captions, assessment answers and findings, drills, escape plans) is
    checked with this when it is saved: a refuge's address reaches no auditor by its text."""
    return SensitiveCheck(site, kinds=LOCATION_KINDS).find(text)
