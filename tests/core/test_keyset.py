"""The keyset paginator: every row once, in order, forward and back, ties and nulls included;
a cursor that is forged, damaged or from another list is page one; and a cursor holds sort
key values only, signed, never a word of anyone's case."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from tests import factories
from victimsupport import keyset

pytestmark = pytest.mark.django_db

ORDER = ("-opened_at", "pk")


@pytest.fixture
def cases(north, cara):
    """Eleven cases whose opening times tie in threes, and whose review dates are partly
    missing: what the seek must get right."""
    base = timezone.now().replace(microsecond=0)
    made = []
    for i in range(11):
        case = factories.make_case(team=north, assigned_to=cara)
        review = None if i % 3 == 0 else base.date() + datetime.timedelta(days=i % 2)
        Case.objects.filter(pk=case.pk).update(
            opened_at=base - datetime.timedelta(hours=i // 3), review_due=review
        )
        made.append(case.pk)
    return Case.objects.filter(pk__in=made)


def walk(queryset, *, per_page=3, **options):
    """Every page forward from page one, then every page back from the last: the rows of
    each, and the page numbers seen."""
    options.setdefault("ordering", ORDER)
    options.setdefault("namespace", "test")
    forward, numbers = [], []
    page = keyset.paginate(queryset, cursor=None, per_page=per_page, **options)
    pages = [page]
    while page.has_next:
        page = keyset.paginate(queryset, cursor=page.next_cursor, per_page=per_page, **options)
        pages.append(page)
    for page in pages:
        forward.extend(row.pk for row in page.object_list)
        numbers.append(page.number)
    backward = [row.pk for row in page.object_list]
    while page.has_previous:
        page = keyset.paginate(queryset, cursor=page.previous_cursor, per_page=per_page, **options)
        backward = [row.pk for row in page.object_list] + backward
    return forward, backward, numbers


def expected(queryset, *ordering):
    return list(queryset.order_by(*ordering).values_list("pk", flat=True))


def test_walking_forward_and_back_gives_every_row_once_in_order_with_ties(cases):
    forward, backward, numbers = walk(cases)
    assert forward == expected(cases, *ORDER)
    assert backward == forward
    assert len(set(forward)) == 11
    assert numbers == [1, 2, 3, 4]


def test_nullable_keys_page_with_their_nulls_last(cases):
    from django.db.models import F

    ordering = ("review_due", "-opened_at", "pk")
    forward, backward, _numbers = walk(cases, ordering=ordering, nullable=("review_due",))
    assert forward == list(
        cases.order_by(F("review_due").asc(nulls_last=True), "-opened_at", "pk").values_list(
            "pk", flat=True
        )
    )
    assert backward == forward
    descending = ("-review_due", "pk")
    forward, backward, _numbers = walk(cases, ordering=descending, nullable=("review_due",))
    assert forward == list(
        cases.order_by(F("review_due").desc(nulls_last=True), "pk").values_list("pk", flat=True)
    )
    assert backward == forward


def test_one_page_has_no_links(cases):
    page = keyset.paginate(cases, ordering=ORDER, cursor=None, per_page=20, namespace="test")
    assert len(page.object_list) == 11
    assert not page.has_other_pages()
    assert page.next_cursor == page.previous_cursor == ""


@pytest.mark.parametrize(
    "cursor",
    [
        "rubbish",
        "",
        "a" * 5000,
        signing.dumps({"d": "n", "n": 2, "v": ["1 OR 1=1", None]}, salt="wrong"),
    ],
)
def test_a_bad_cursor_is_page_one(cases, cursor):
    first = keyset.paginate(cases, ordering=ORDER, cursor=None, per_page=3, namespace="test")
    page = keyset.paginate(cases, ordering=ORDER, cursor=cursor, per_page=3, namespace="test")
    assert [r.pk for r in page.object_list] == [r.pk for r in first.object_list]
    assert page.number == 1 and not page.has_previous


def test_a_tampered_cursor_is_page_one(cases):
    first = keyset.paginate(cases, ordering=ORDER, cursor=None, per_page=3, namespace="test")
    cursor = first.next_cursor
    value, signature = cursor.rsplit(":", 1)
    forged = f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    page = keyset.paginate(cases, ordering=ORDER, cursor=forged, per_page=3, namespace="test")
    assert [r.pk for r in page.object_list] == [r.pk for r in first.object_list]
    # Re-signed values of the wrong type (text in a time's place) do not reach the query.
    salt = keyset._salt("test", [keyset.Key.parse(spec) for spec in ORDER])
    for values in (["t", "x') OR 1=1 --"], [["s", "x"], ["u", uuid.uuid4().hex]], [1]):
        crafted = signing.dumps({"d": "n", "n": 2, "v": values}, salt=salt)
        page = keyset.paginate(cases, ordering=ORDER, cursor=crafted, per_page=3, namespace="test")
        assert page.number == 1


def test_a_cursor_of_another_list_or_order_is_page_one(cases):
    first = keyset.paginate(cases, ordering=ORDER, cursor=None, per_page=3, namespace="test")
    elsewhere = keyset.paginate(
        cases, ordering=ORDER, cursor=first.next_cursor, per_page=3, namespace="other"
    )
    assert elsewhere.number == 1
    reordered = keyset.paginate(
        cases, ordering=("opened_at", "pk"), cursor=first.next_cursor, per_page=3, namespace="test"
    )
    assert reordered.number == 1


def test_the_cursor_holds_only_the_sort_keys_and_the_page_number(cases, cara):
    named = factories.make_full_case(cara, given_name="Zebulon", family_name="Quincy")
    every = Case.objects.filter(team=named.team)
    salt = keyset._salt("test", [keyset.Key.parse(spec) for spec in ORDER])
    page = keyset.paginate(every, ordering=ORDER, cursor=None, per_page=3, namespace="test")
    last = page.object_list[-1]
    payload = signing.loads(page.next_cursor, salt=salt)
    assert payload == {
        "d": "n",
        "n": 2,
        "v": [["t", last.opened_at.isoformat()], ["u", last.pk.hex]],
    }
    while page.has_next:
        for cursor in (page.next_cursor, page.previous_cursor):
            if not cursor:
                continue
            # What the signature covers is readable base64: it names nobody, no reference.
            text = signing.b64_decode(cursor.split(":")[0].encode()).decode()
            values = json.loads(text)["v"]
            assert [tag for tag, _value in values] == ["t", "u"]
            for secret in ("Zebulon", "Quincy", named.reference, "VS-"):
                assert secret not in text
        page = keyset.paginate(
            every, ordering=ORDER, cursor=page.next_cursor, per_page=3, namespace="test"
        )


def test_text_keys_are_refused_unless_named_as_references(cases):
    with pytest.raises(TypeError):
        keyset.paginate(
            cases, ordering=("reference", "pk"), cursor=None, per_page=3, namespace="test"
        )
    page = keyset.paginate(
        cases,
        ordering=("reference", "pk"),
        references=("reference",),
        cursor=None,
        per_page=3,
        namespace="test",
    )
    after = keyset.paginate(
        cases,
        ordering=("reference", "pk"),
        references=("reference",),
        cursor=page.next_cursor,
        per_page=3,
        namespace="test",
    )
    assert after.number == 2
    assert after.object_list[0].reference > page.object_list[-1].reference


def test_every_page_is_one_query(cases):
    cursors = [None]
    page = keyset.paginate(cases, ordering=ORDER, cursor=None, per_page=3, namespace="test")
    while page.has_next:
        cursors.append(page.next_cursor)
        page = keyset.paginate(
            cases, ordering=ORDER, cursor=page.next_cursor, per_page=3, namespace="test"
        )
    for cursor in cursors:
        with CaptureQueriesContext(connection) as queries:
            keyset.paginate(cases, ordering=ORDER, cursor=cursor, per_page=3, namespace="test")
        assert len(queries) == 1


def test_links_keep_the_filters_and_name_the_first_page(cases):
    page = keyset.paginate(
        cases, ordering=ORDER, cursor=None, per_page=3, namespace="test", query="scope=team"
    )
    second = keyset.paginate(
        cases,
        ordering=ORDER,
        cursor=page.next_cursor,
        per_page=3,
        namespace="test",
        query="scope=team",
    )
    assert second.first_url == "?scope=team"
    assert second.next_url.startswith("?scope=team&cursor=")
    assert second.previous_url.startswith("?scope=team&cursor=")


def test_cursor_after_reaches_the_page_a_next_link_would(cases):
    rows = list(cases.order_by(*ORDER))
    cursor = keyset.cursor_after(rows[5], ordering=ORDER, namespace="test", number=3)
    page = keyset.paginate(cases, ordering=ORDER, cursor=cursor, per_page=3, namespace="test")
    assert [r.pk for r in page.object_list] == [r.pk for r in rows[6:9]]
    assert page.number == 3
