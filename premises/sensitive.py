"""The sensitive-terms check: what a victim-facing page must never say.

``find_sensitive(text, site=...)`` lists everything in ``text`` that could help someone find
or get into the site: its own address (whole, each line, and the street part), its own name
(whole, and each distinctive word of it), the surnames of its team's staff, the editable
list of sensitive terms (the site's and the organisation's), and anything shaped like a door
or alarm code, a room or floor number, a street address or a postcode. Each match says what
kind it is, the text it matched and why.

Words and phrases (the address, the name, surnames, the list) are compared ignoring case,
accents and spacing (any run of spaces or punctuation counts as one space), as whole words.
The shapes are regular expressions over the text as written. When two matches overlap, the more
specific one is kept ("12 Lantern Row" is the site's address, not just "a street address").

Before anything is compared, invisible formatting characters (Unicode category Cf: zero-width
spaces, soft hyphens) are deleted and the text is NFKC-normalised; common Cyrillic and Greek
lookalikes of Latin letters are read as the Latin letter. Numbers are also compared as their
digits alone: "2-5-8-0", "2 5 8 0", "2.5.8.0", "4, 7, 1 and 1" and "two five eight zero" are
listed numbers ("2580", "4711").

The check errs on the side of refusing: "any run of four or more digits" catches a door code
written alone. What a safety page needs to say is allowed: terms of the kind "allowed" (a
helpline number, a year), the well-known helplines below, a year after "since" or "in" and a
count of people ("1200 women") are taken out of the text before the room, postcode and digits
shapes run; a phone number (ten digits or more in groups) before the digits shape alone, and
only on the page of a site that is not a refuge (a refuge's own number can place it).
Never before the door-code shapes (a code word before a number wins: "Keypad: 116 123" is
refused), the site's address, its name or the listed terms are looked for. The ground and
first floors may be named (a victim needs to know about access); higher floors may not.

The check of a refuge's staff evidence (``location_matches``, ``kinds=LOCATION_KINDS``) also
reads a street address written in lower case ("3 harbour road"); a public page's check does
not (it would refuse ordinary sentences).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from premises.models import SensitiveTerm, Site, SiteKind, TermKind


class Kind:
    ADDRESS = "address"
    NAME = "name"
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
    Kind.NAME: _("the site's name"),
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
    Kind.NAME,
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

# Cyrillic and Greek letters that look like Latin ones, read as the Latin letter.
CONFUSABLES = str.maketrans(
    {
        # Cyrillic small a, ie, o, er, es, u, ha, i, je, komi de; their capitals; ve ka em en te.
        "\u0430": "a",
        "\u0435": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0501": "d",
        "\u0410": "A",
        "\u0415": "E",
        "\u041e": "O",
        "\u0420": "P",
        "\u0421": "C",
        "\u0423": "Y",
        "\u0425": "X",
        "\u0406": "I",
        "\u0408": "J",
        "\u0412": "B",
        "\u041a": "K",
        "\u041c": "M",
        "\u041d": "H",
        "\u0422": "T",
        # Greek small omicron, alpha, epsilon, rho, and the capitals that look Latin.
        "\u03bf": "o",
        "\u03b1": "a",
        "\u03b5": "e",
        "\u03c1": "p",
        "\u039f": "O",
        "\u0391": "A",
        "\u0395": "E",
        "\u03a1": "P",
    }
)


def _visible(char: str) -> str:
    """One character as it is compared: NFKC, lookalikes read as Latin, and nothing at all
    for an invisible formatting character (Unicode category Cf)."""
    if unicodedata.category(char) == "Cf":
        return ""
    return unicodedata.normalize("NFKC", char).translate(CONFUSABLES)


def clean(text: str) -> tuple[str, list[int]]:
    """``text`` with invisible characters deleted, NFKC-normalised and lookalikes read as
    Latin; and for each character of the result the index in ``text`` it came from."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for c in _visible(char):
            out.append(c)
            where.append(index)
    return "".join(out), where


def strip_invisible(text: str) -> str:
    """``text`` without its invisible formatting characters (Unicode category Cf): what is
    saved is what was checked."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _fold(char: str) -> str:
    """One character without its accents, case-folded ("É" -> "e"); invisible ones dropped."""
    decomposed = unicodedata.normalize("NFKD", _visible(char))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` folded (no accents, no case) with every run of anything but letters and digits
    made one space, padded with a space at each end; and for each character of the result the
    index in ``text`` it came from (to give back the words as written)."""
    out: list[str] = [" "]
    where: list[int] = [0]
    for index, char in enumerate(text):
        folded = _fold(char)
        if not folded:  # an invisible character: as if it were not there
            continue
        if all(c.isalnum() for c in folded):
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
    # "12 rue des Lilas", "3, allée Verte": a number, the street word, then a capitalised
    # name (after "de", "des", "du", "la"...): "1 place to wait", "3 cours de français" pass.
    (
        Kind.STREET,
        re.compile(
            rf"(?<![\w-]){_HOUSE_NUMBER}\s*,?\s*(?:{_STREET_FR})\b\.?"
            rf"(?:\s+(?:de|des|du|la|le|les|aux?))*(?:\s+|\s+d['\u2019]|\s+l['\u2019])"
            rf"{_CAPITALISED}",
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
            r"\s*(?:(?:is|est)(?:\s+(?:in|en|since|depuis))?|:|=|-|n[°o]\.?)?\s*#?\s*"
            r"(?=[0-9A-Z*#]*\d)[0-9A-Z*#]{2,10}\b",
            _FLAGS,
        ),
        _("a code next to the word code"),
    ),
    # "Keypad: 2.5.8.0", "the door code is 2 5 8 0", "code d'accès 2-5-8-0": the digits
    # written with separators.
    (
        Kind.DOOR_CODE,
        re.compile(
            r"\b(?:digicode|keypad|pin|passcode|code(?:\s+d['\u2019]acc[eè]s)?)\b"
            r"(?:\s+(?:is|est))?\s*[:=]?\s*\d(?:[\s.\-/,;_\u00b7]*\d){2,}",
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
            # Not "level": "level 2 support" is not a floor.
            r"\b(?:room|rm|salle|chambre|bureau|office|floor|étage|etage|niveau|flat|"
            r"apartment|appartement|apt|unit|suite|bâtiment|batiment|building|bloc|block|"
            r"wing|aile|porte|door)\s*(?:n[°o]\.?\s*|no\.\s*|number\s+|numéro\s+)?#?\s*"
            r"(?:\d+[a-z]?|(?-i:[A-Z])\d*)\b",
            _FLAGS,
        ),
        _("a number or letter after a word for a room or floor"),
    ),
    # "2nd floor", "3e étage", "1er étage", "third floor", "deuxième étage"; not "first floor"
    # or "premier étage" in words (nor the ground floor): a victim needs to know about access.
    (
        Kind.ROOM,
        re.compile(
            r"\b(?:\d+\s*(?:st|nd|rd|th|e|er|ère|ere|ème|eme|re|è)|"
            r"second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|deuxième|deuxieme|"
            r"seconde|troisième|troisieme|quatrième|quatrieme|cinquième|cinquieme|"
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


# A street address in lower case ("3 harbour road", "12 rue des lilas"): looked for in a
# refuge's staff evidence only, with the street words that are seldom anything else.
_STREET_EN_STRICT = r"street|st|road|rd|avenue|ave|lane|drive|crescent|terrace|grove|mews"
_STREET_FR_STRICT = r"rue|avenue|boulevard|bd|blvd|chemin|allée|allee|impasse|quai"
ANY_CASE_STREETS: list[tuple[str, re.Pattern[str], Any]] = [
    (
        Kind.STREET,
        re.compile(
            rf"(?<![\w-]){_HOUSE_NUMBER}\s*,?\s+(?:{_WORD}\s+){{1,3}}?(?:{_STREET_EN_STRICT})\b\.?",
            _FLAGS,
        ),
        _("a house number next to a street name"),
    ),
    (
        Kind.STREET,
        re.compile(
            rf"(?<![\w-]){_HOUSE_NUMBER}\s*,?\s*(?:{_STREET_FR_STRICT})\s+"
            rf"(?:(?:de|des|du|la|le|les|aux?)\s+|d['\u2019]|l['\u2019])*[^\W\d_]{{2,}}",
            _FLAGS,
        ),
        _("a house number next to a street name"),
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


# Words of a site's name that do not place it: kinds of site, points of the compass, the
# commonest short words (English and French), folded.
NAME_STOP_WORDS = frozenset(
    " ".join(
        [
            "house houses home homes maison maisons refuge refuges centre center centres",
            "centers office offices bureau bureaux north south east west nord ouest team teams",
            "equipe site sites point desk court the les des and with pour avec dans from women",
            "womens femmes family families famille familles service services support shelter",
            "hostel foyer accueil victim victims victime victimes main annex annexe building",
            "hall unit project projet trust association city town ville place safe safety space",
        ]
    ).split(" ")
)


def name_parts(name: str) -> list[str]:
    """The site's name as phrases to look for: the whole, and each word of four letters or
    more that is not in ``NAME_STOP_WORDS``. Each folded."""
    found: list[str] = []
    whole = _phrase(name or "")
    if sum(c.isalpha() for c in whole) >= 3:
        found.append(whole)
    for word in whole.split():
        distinctive = len(word) >= 4 and word.isalpha() and word not in NAME_STOP_WORDS
        if distinctive and word not in found:
            found.append(word)
    return found


def staff_surnames(site: Site) -> list[str]:
    """The surnames of the site's team's staff, of three letters or more, folded."""
    from victimsupport.accounts.models import User

    return surnames_from(
        User.objects.filter(teams=site.team_id).values_list("last_name", flat=True)
    )


def surnames_from(names: Any) -> list[str]:
    """Surnames of three letters or more, folded, each once."""
    found: list[str] = []
    for name in names:
        folded = _phrase(name or "")
        if sum(c.isalpha() for c in folded) >= 3 and folded not in found:
            found.append(folded)
    return found


def _fold_all(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        folded = _phrase(value or "")
        if folded and folded not in found:
            found.append(folded)
    return found


def listed_terms(site: Site) -> list[str]:
    """The sensitive terms of the site and of the organisation (no site), folded; not the
    allowed ones."""
    return _fold_all([t for t, kind in _terms_of(site) if kind != TermKind.ALLOWED])


def _terms_of(site: Site) -> list[tuple[str, str]]:
    """(term, kind) of the site's terms and the organisation's, in one query."""
    terms = SensitiveTerm.objects.filter(site=site) | SensitiveTerm.objects.filter(
        site__isnull=True
    )
    return [(term.term, term.kind) for term in terms.only("term", "kind")]


# --- Numbers written with separators or in words -----------------------------------------

NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "zéro": "0",
    "un": "1",
    "une": "1",
    "deux": "2",
    "trois": "3",
    "quatre": "4",
    "cinq": "5",
    "sept": "7",
    "huit": "8",
    "neuf": "9",
}
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_DIGIT_TOKEN = rf"(?:\d|\b(?:{_NUMBER_WORD})\b)"
_DIGIT_RUN = re.compile(rf"{_DIGIT_TOKEN}(?:[\s.\-/]*{_DIGIT_TOKEN})*", _FLAGS)
# Wider: also commas, semicolons, underscores, middle dots and "and", "then", "et", "puis"
# between the numbers ("4, 7, 1 and 1", "4, 7, 1 puis 1"). Only for the listed numbers: a
# helpline next to another ("3919, 116 006") is still two runs for what is allowed.
_SEPARATOR = r"(?:[\s.\-/,;_\u00b7]|\b(?:and|then|et|puis)\b)"
_WIDE_DIGIT_RUN = re.compile(rf"{_DIGIT_TOKEN}(?:{_SEPARATOR}*{_DIGIT_TOKEN})*", _FLAGS)
_TOKEN = re.compile(_DIGIT_TOKEN, _FLAGS)


@dataclasses.dataclass(frozen=True)
class DigitRun:
    """A run of digits and number words in the (cleaned) text, and its digits alone."""

    start: int
    end: int
    digits: str
    plain: bool  # written as digits with nothing between them ("2580")
    words: bool  # some of it written in words ("two five eight zero")
    # Where in ``digits`` a separator was written (and 0 and the end): "25-80" -> (0, 2, 4).
    breaks: tuple[int, ...] = ()

    def holds(self, number: str) -> bool:
        """Whether a stretch of whole groups is ``number``: "4, 7, 1, 1 and 5" holds 4711,
        "020 7946" holds 020, 7946 and 0207946, not 794."""
        ends = set(self.breaks)
        return any(
            self.digits.startswith(number, start) and start + len(number) in ends
            for start in self.breaks
        )


def digit_runs(text: str, *, wide: bool = False) -> list[DigitRun]:
    """Every run of digits joined across spaces, dots, hyphens and slashes (``wide``: also
    commas, semicolons, underscores, middle dots and "and", "then", "et", "puis"), with the
    number words (English and French, zero to nine) read as digits."""
    runs = []
    for hit in (_WIDE_DIGIT_RUN if wide else _DIGIT_RUN).finditer(text):
        digits = ""
        breaks = [0]
        last_end = None
        for token in _TOKEN.finditer(hit.group(0)):
            if last_end is not None and token.start() > last_end and digits:
                breaks.append(len(digits))
            value = token.group(0)
            digits += NUMBER_WORDS.get(value.casefold(), value)
            last_end = token.end()
        breaks.append(len(digits))
        words = any(not t.isdigit() for t in _TOKEN.findall(hit.group(0)))
        runs.append(
            DigitRun(
                hit.start(),
                hit.end(),
                digits,
                hit.group(0).isdigit(),
                words,
                tuple(sorted(set(breaks))),
            )
        )
    return runs


def digits_of(value: str, *, min_digits: int = 3) -> str:
    """The digits of a term made of digits and separators only ("2580", "25-80"), else ""."""
    if re.fullmatch(r"[\d\s.\-/#*]+", value or "") is None:
        return ""
    digits = re.sub(r"\D", "", value)
    return digits if len(digits) >= min_digits else ""


def address_numbers(address: str) -> list[str]:
    """The numbers of three digits or more in the site's address (a house number, a
    postcode)."""
    return [n for n in re.findall(r"\d+", address or "") if len(n) >= 3]


# --- What a safety page may always say ----------------------------------------------------

# Well-known national helplines a safety page gives (checked against the digits alone, so
# "0808 2000 247" and "08082000247" are both allowed). Add others as "allowed" terms.
HELPLINES = [
    "0808 2000 247",  # National Domestic Abuse Helpline (England), free, 24 hours
    "3919",  # Violences Femmes Info (France), free
    "116 006",  # France Victimes and the EU's victim-support number
    "116 123",  # Samaritans (UK and Ireland)
    "0800 1111",  # Childline (UK)
]
# A year after "since", "in", "depuis" or "en" ("since 2019", "depuis 2021").
_YEAR = re.compile(r"\b(?:since|in|depuis|en)\s+((?:19|20)\d{2})\b", _FLAGS)
# A count of people or calls ("more than 1200 women", "plus de 3000 appels").
_COUNT = re.compile(
    r"(?<![\d.,])(\d{4,})\s+(?:(?:more|other|new)\s+|(?:autres|nouvelles|nouveaux)\s+)?"
    r"(?:women|woman|men|people|persons|families|children|survivors|calls|femmes|personnes|"
    r"familles|enfants|appels|victims|victimes|hommes)\b",
    _FLAGS,
)
# A phone number: ten to fifteen digits in groups of two or more ("020 7946 0958",
# "01 23 45 67 89", "+44 20 7946 0958").
_PHONE = re.compile(
    r"(?<![\d\w])(?:\+\d{1,3}[\s.\-]?)?\(?\d{2,5}\)?(?:[\s.\-]\d{2,5}){1,6}(?![\d\w])"
)
# The shapes an allowed phrase is taken out before; never the address, the name, the list, a
# street or a door code (a code word before a number wins: "Keypad: 116 123").
ALLOWABLE_KINDS = frozenset({Kind.DIGITS, Kind.ROOM, Kind.POSTCODE})
_BLANK = "\x00"  # what an allowed phrase is replaced with: neither a word nor a space


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of what is shaped like a phone number: ten to fifteen digits in groups."""
    return [
        hit.span()
        for hit in _PHONE.finditer(text)
        if 10 <= sum(c.isdigit() for c in hit.group(0)) <= 15
    ]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _BLANK * (end - start)
    return "".join(chars)


class SensitiveCheck:
    """The check for one site, its phrases read once (a page has four texts to check).

    ``terms`` ((term, kind) pairs) and ``surnames`` may be given when they were read for
    many sites at once (premises.selectors.safety.published_pages_now_failing).

    ``any_case_streets``: also look for street addresses written in lower case; by default
    when the check is limited to what places the site (``kinds`` within ``LOCATION_KINDS``,
    as for a refuge's staff evidence)."""

    def __init__(
        self,
        site: Site,
        *,
        kinds: frozenset[str] | None = None,
        terms: list[tuple[str, str]] | None = None,
        surnames: list[str] | None = None,
        any_case_streets: bool | None = None,
    ) -> None:
        """``kinds``: the kinds of match to look for (all of them unless given)."""
        self.kinds = frozenset(PRIORITY) if kinds is None else kinds
        if any_case_streets is None:
            any_case_streets = kinds is not None and kinds <= LOCATION_KINDS
        self.any_case_streets = any_case_streets and Kind.STREET in self.kinds
        self.refuge = site.kind == SiteKind.REFUGE
        self.phrases: list[tuple[str, str, Any]] = []
        # (kind, digits, why): numbers looked for in their digits alone.
        self.numbers: list[tuple[str, str, Any]] = []
        self.allowed: list[str] = []  # folded phrases
        self.allowed_digits: set[str] = {re.sub(r"\D", "", h) for h in HELPLINES}
        if terms is None and (self.kinds & {Kind.TERM} or self.kinds & ALLOWABLE_KINDS):
            terms = _terms_of(site)
        terms = terms or []
        listed = [term for term, kind in terms if kind != TermKind.ALLOWED]
        allowed = [term for term, kind in terms if kind == TermKind.ALLOWED]
        if Kind.ADDRESS in self.kinds:
            why = _("it would tell people where the site is")
            for phrase in address_parts(site.address or ""):
                self.phrases.append((Kind.ADDRESS, phrase, why))
            for number in address_numbers(site.address or ""):
                self.numbers.append((Kind.ADDRESS, number, why))
        if Kind.NAME in self.kinds:
            why = _("the site's name can tell people where it is")
            for phrase in name_parts(site.name or ""):
                self.phrases.append((Kind.NAME, phrase, why))
        if Kind.TERM in self.kinds:
            why = _("a supervisor listed it as never to be shown")
            for phrase in _fold_all(listed):
                self.phrases.append((Kind.TERM, phrase, why))
            for term in listed:
                digits = digits_of(term)
                if digits:
                    self.numbers.append((Kind.TERM, digits, why))
        if Kind.SURNAME in self.kinds:
            if surnames is None:
                surnames = staff_surnames(site)
            for phrase in surnames:
                self.phrases.append((Kind.SURNAME, phrase, _("a member of the team has this name")))
        self.allowed = _fold_all(allowed)
        self.allowed_digits |= {d for d in (digits_of(t, min_digits=1) for t in allowed) if d}

    def _allowed_spans(self, text: str, folded: str, where: list[int]) -> list[tuple[int, int]]:
        """Spans (in the cleaned text) of what a page may always say."""
        spans = []
        for phrase in self.allowed:
            spans.extend(_find_phrase(text, folded, where, phrase))
        for run in digit_runs(text):
            if not run.words and run.digits in self.allowed_digits:
                spans.append((run.start, run.end))
        for hit in _YEAR.finditer(text):
            spans.append(hit.span(1))
        for hit in _COUNT.finditer(text):
            spans.append(hit.span(1))
        return spans

    def find(self, text: str) -> list[Match]:
        if not text:
            return []
        # Matched on the text as it reads (no invisible characters, no lookalikes); each
        # match given back as written.
        seen, back = clean(text)
        back = [*back, len(text)]

        def match(kind: str, why: Any, start: int, end: int) -> Match:
            first, last = back[start], back[end - 1] + 1
            return Match(kind, text[first:last].strip(), why, first, last)

        found: list[Match] = []
        folded, where = normalise(seen)
        for kind, phrase, why in self.phrases:
            for start, end in _find_phrase(seen, folded, where, phrase):
                found.append(match(kind, why, start, end))
        # A number on the list or in the address, written with separators or in words.
        # A run matches when a stretch of its whole groups is the number ("4, 7, 1, 1 and 5"
        # holds the listed "4711").
        if self.numbers:
            for run in digit_runs(seen, wide=True):
                if run.plain:
                    continue  # as written: the phrases above found it
                for kind, digits, why in self.numbers:
                    if run.holds(digits):
                        written = _("written with separators or in words")
                        found.append(match(kind, _Why(why, written), run.start, run.end))
        texts = dict.fromkeys(self.kinds, seen)
        if self.kinds & ALLOWABLE_KINDS:
            blanked = _blank(seen, self._allowed_spans(seen, folded, where))
            for kind in self.kinds & ALLOWABLE_KINDS:
                texts[kind] = blanked
            if Kind.DIGITS in self.kinds and not self.refuge:
                texts[Kind.DIGITS] = _blank(blanked, _phone_spans(blanked))
        shapes = SHAPES + (ANY_CASE_STREETS if self.any_case_streets else [])
        for kind, pattern, why in shapes:
            if kind not in self.kinds:
                continue
            for hit in pattern.finditer(texts[kind]):
                if hit.group(0).strip():
                    found.append(match(kind, why, hit.start(), hit.end()))
        return _keep_most_specific(found)


@dataclasses.dataclass(frozen=True)
class _Why:
    """Two reasons in one: "it is on the sensitive-terms list, written with separators"."""

    first: Any
    second: Any

    def __str__(self) -> str:
        return f"{self.first}, {self.second}"


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


# What would place a site or give the way in: its address, its name, a street address or
# postcode, and its listed terms (door codes). Not staff surnames, rooms or other numbers:
# evidence written for staff names rooms and people.
LOCATION_KINDS = frozenset(
    {Kind.ADDRESS, Kind.NAME, Kind.TERM, Kind.STREET, Kind.POSTCODE, Kind.DOOR_CODE}
)


def location_matches(text: str, *, site: Site) -> list[Match]:
    """What in ``text`` would place ``site`` or give the way in. The evidence of a refuge that
    an auditor reads (photo captions, assessment answers and findings, drills, escape plans) is
    checked with this when it is saved: a refuge's address reaches no auditor by its text."""
    return SensitiveCheck(site, kinds=LOCATION_KINDS).find(text)
