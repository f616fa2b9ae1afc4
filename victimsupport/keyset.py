"""Keyset ("seek") pagination: a page is "the rows after this one", never "skip N rows".

OFFSET makes the database read and throw away every row before the page, so page 400 of a
team's cases costs 400 pages; a seek reads the index from the last row shown and stops after
one page, whatever the depth. The price: no page numbers to jump to, no "page 3 of 208"
(that needs a count of the whole list), only first, previous and next.

The position travels as an opaque cursor signed with ``django.core.signing``: the sort key
values of one row (dates, times, ids and integers; text only for a key the view names as a
pseudonymous reference: any other string, which might be someone's words, is refused when
the cursor is made) and the page's number. The salt names the list
and its ordering, so a cursor from one list is no position in another. A cursor that does
not verify or does not decode is page one: a tampered or stale link never errs and never
reaches the query as anything but typed values.

The libraries that exist (django-keyset-pagination-plus, django-cursor-pagination) carry
their cursor unsigned and do not page over nullable keys or annotations, both of which the
dashboard drill-downs and the partner inbox need.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

CURSOR = "cursor"
FORWARD = "n"
BACKWARD = "p"


@dataclass(frozen=True)
class Key:
    """One sort key: a field or annotation name, its direction, and whether it may be null
    (nulls then sort last either way, on every database)."""

    name: str
    descending: bool = False
    nullable: bool = False
    # A plaintext, pseudonymous reference (DP-2026-0007) the list is sorted by: the only
    # kind of text a cursor may hold, named by the view that sorts by it.
    reference: bool = False

    @classmethod
    def parse(cls, spec: str, nullable: Sequence[str] = (), references: Sequence[str] = ()) -> Key:
        name = spec.removeprefix("-")
        return cls(
            name,
            descending=spec.startswith("-"),
            nullable=name in nullable,
            reference=name in references,
        )

    def order(self, reverse: bool) -> Any:
        descending = self.descending != reverse
        if not self.nullable:
            return f"-{self.name}" if descending else self.name
        column = F(self.name)
        # Nulls last when reading forward, so first when reading back.
        nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
        return column.desc(**nulls) if descending else column.asc(**nulls)


@dataclass
class Page:
    object_list: list[Any]
    has_next: bool
    has_previous: bool
    number: int
    next_cursor: str = ""
    previous_cursor: str = ""
    query: str = field(default="", repr=False)

    @property
    def is_first(self) -> bool:
        return not self.has_previous

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def _url(self, cursor: str) -> str:
        parts = [
            part for part in (self.query, urlencode({CURSOR: cursor}) if cursor else "") if part
        ]
        return "?" + "&".join(parts)

    @property
    def first_url(self) -> str:
        return self._url("")

    @property
    def next_url(self) -> str:
        return self._url(self.next_cursor)

    @property
    def previous_url(self) -> str:
        return self._url(self.previous_cursor)

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _encode(value: Any, key: Key) -> Any:
    if key.reference and isinstance(value, str):
        return ["s", value]
    # datetime before date: a datetime is a date too.
    if isinstance(value, datetime.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["d", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", value.hex]
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(
        f"A keyset cursor holds dates, times, ids, integers and references, not {type(value)}."
    )


def _decode(value: Any, key: Key) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    tag, text = value
    if not isinstance(text, str):
        raise ValueError("not a cursor value")
    decoded: Any
    if tag == "s" and key.reference:
        decoded = text
    elif tag == "t":
        decoded = parse_datetime(text)
    elif tag == "d":
        decoded = parse_date(text)
    elif tag == "u":
        decoded = uuid.UUID(hex=text)
    else:
        raise ValueError("not a cursor value")
    if decoded is None:
        raise ValueError("not a cursor value")
    return decoded


def _salt(namespace: str, keys: Sequence[Key]) -> str:
    spec = ",".join(
        f"{'-' if k.descending else ''}{k.name}{'?' if k.nullable else ''}" for k in keys
    )
    return f"victimsupport.keyset:{namespace}:{spec}"


def make_cursor(
    values: Sequence[Any], *, keys: Sequence[Key], direction: str, number: int, salt: str
) -> str:
    payload = {
        "d": direction,
        "n": number,
        "v": [_encode(v, k) for v, k in zip(values, keys, strict=True)],
    }
    return signing.dumps(payload, salt=salt)


def read_cursor(
    cursor: str | None, *, salt: str, keys: Sequence[Key]
) -> tuple[str, int, list[Any]] | None:
    """(direction, page number, key values), or None for page one: no cursor, a forged or
    damaged one, or one of another list or ordering."""
    if not cursor:
        return None
    try:
        payload = signing.loads(cursor, salt=salt)
        direction, number, raw = payload["d"], payload["n"], payload["v"]
        if direction not in (FORWARD, BACKWARD) or not isinstance(number, int):
            return None
        if not isinstance(raw, list) or len(raw) != len(keys):
            return None
        return direction, max(number, 1), [_decode(v, k) for v, k in zip(raw, keys, strict=True)]
    except (signing.BadSignature, ValueError, TypeError, KeyError, AttributeError):
        return None


def _after(keys: Sequence[Key], values: Sequence[Any], reverse: bool) -> Q:
    """The rows strictly after ``values`` in the reading direction, as one condition."""
    key, value = keys[0], values[0]
    descending = key.descending != reverse
    nulls_after = not reverse  # nulls sort last reading forward
    if value is None:
        beyond = Q(**{f"{key.name}__isnull": False}) if not nulls_after else Q(pk__in=[])
        same = Q(**{f"{key.name}__isnull": True})
    else:
        beyond = Q(**{f"{key.name}__{'lt' if descending else 'gt'}": value})
        if key.nullable and nulls_after:
            beyond |= Q(**{f"{key.name}__isnull": True})
        same = Q(**{key.name: value})
    if len(keys) == 1:
        return beyond
    return beyond | (same & _after(keys[1:], values[1:], reverse))


def _bound(key: Key, value: Any, reverse: bool, *, single: bool) -> Q:
    """A plain range on the first key, implied by the seek condition: the planner turns it
    into the index scan's start, where an OR alone would leave it filtering rows (a single
    key's condition is that range already)."""
    if value is None or key.nullable or single:
        return Q()
    descending = key.descending != reverse
    return Q(**{f"{key.name}__{'lte' if descending else 'gte'}": value})


def _values(row: Any, keys: Sequence[Key]) -> list[Any]:
    return [getattr(row, key.name) for key in keys]


def paginate(
    queryset: QuerySet[Any],
    *,
    ordering: Sequence[str],
    cursor: str | None,
    per_page: int,
    namespace: str,
    nullable: Sequence[str] = (),
    references: Sequence[str] = (),
    query: str = "",
) -> Page:
    """One page of ``queryset`` in ``ordering`` (whose last key must be unique, the pk), from
    the position ``cursor`` gives. One query: the page and one row more, to know whether
    there is a next. ``query`` is the rest of the page's address (filters, no cursor), for
    the links."""
    keys = [Key.parse(spec, nullable, references) for spec in ordering]
    salt = _salt(namespace, keys)
    position = read_cursor(cursor, salt=salt, keys=keys)
    direction, number, values = position or (FORWARD, 1, [])
    reverse = direction == BACKWARD
    rows = queryset.order_by(*(key.order(reverse) for key in keys))
    if values:
        bound = _bound(keys[0], values[0], reverse, single=len(keys) == 1)
        rows = rows.filter(bound, _after(keys, values, reverse))
    found = list(rows[: per_page + 1])
    if reverse and not found:
        # Every row before the cursor has gone since: page one instead of an empty page.
        return paginate(
            queryset,
            ordering=ordering,
            cursor=None,
            per_page=per_page,
            namespace=namespace,
            nullable=nullable,
            references=references,
            query=query,
        )
    more = len(found) > per_page
    found = found[:per_page]
    if reverse:
        found.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = bool(values), more
    if not has_previous:
        number = 1
    page = Page(found, has_next=has_next, has_previous=has_previous, number=number, query=query)
    if found and has_next:
        page.next_cursor = make_cursor(
            _values(found[-1], keys), keys=keys, direction=FORWARD, number=number + 1, salt=salt
        )
    if found and has_previous:
        page.previous_cursor = make_cursor(
            _values(found[0], keys), keys=keys, direction=BACKWARD, number=number - 1, salt=salt
        )
    return page


def cursor_after(
    row: Any,
    *,
    ordering: Sequence[str],
    namespace: str,
    number: int,
    nullable: Sequence[str] = (),
    references: Sequence[str] = (),
) -> str:
    """The cursor of the page that starts after ``row``, numbered ``number``: what a "next"
    link from the page ending at ``row`` carries (a benchmark reaches a deep page this way)."""
    keys = [Key.parse(spec, nullable, references) for spec in ordering]
    return make_cursor(
        _values(row, keys),
        keys=keys,
        direction=FORWARD,
        number=number,
        salt=_salt(namespace, keys),
    )
