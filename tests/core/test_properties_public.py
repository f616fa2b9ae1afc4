"""The pages anyone may reach (the person's copy download, a site's public safety page, the
sign-in) and the staff's lists that read their filters from the address, given arbitrary
addresses, query strings and bodies: never a server error."""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprotection.forms.delivery import CopyDownloadForm
from tests.properties import NASTY, any_text, form_data, small_text
from tests.property_pages import scene, signed_in  # noqa: F401

# A query string as anyone may type one: known names with any value, and any name at all.
NAMES = [
    "lang",
    "next",
    "page",
    "after",
    "before",
    "cursor",
    "q",
    "status",
    "risk",
    "assigned",
    "review_due",
    "scope",
    "kind",
    "active",
    "date_from",
    "date_to",
    "person",
    "case",
    "sort",
]
queries = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), small_text.filter(bool)),
    st.one_of(any_text(200), st.lists(small_text, max_size=3)),
    max_size=5,
)
path_parts = st.one_of(
    small_text.filter(lambda t: t.strip("./")),
    st.sampled_from(["x" * 300, "%00", "\x00", "a\x00b", "link" + "7" * 28, *NASTY]).filter(
        lambda t: t.strip("./")
    ),
)


def _get(client, path, query):
    return client.get(path + "?" + urlencode(query, doseq=True))


@pytest.fixture
def anon(client, scene):  # noqa: F811
    return client


@given(link=path_parts, query=queries, data=st.data())
def test_the_copy_download_page_never_fails(anon, scene, link, query, data):  # noqa: F811
    fields, _files = data.draw(form_data(CopyDownloadForm()), label="posted")
    body = {**data.draw(queries, label="more"), **fields}
    for path in (f"/copy/{quote(link, safe='')}/", f"/copy/{scene.delivery_link}/"):
        assert _get(anon, path, query).status_code < 500
        assert anon.post(path, body).status_code < 500


@given(
    public_id=st.one_of(st.uuids().map(str), path_parts),
    query=queries,
)
def test_the_public_safety_page_never_fails(anon, scene, public_id, query):  # noqa: F811
    for path in (f"/safety/{quote(public_id, safe='')}/", f"/safety/{scene.safety_public_id}/"):
        assert _get(anon, path, query).status_code < 500


@given(query=queries, body=queries, login=any_text(300), password=any_text(300))
def test_sign_in_never_fails(anon, scene, query, body, login, password):  # noqa: F811
    body = {**body, "login": login, "password": password}
    assert _get(anon, "/accounts/login/", query).status_code < 500
    assert anon.post("/accounts/login/?" + urlencode(query, doseq=True), body).status_code < 500
    assert anon.post("/accounts/password/reset/", {"email": login}).status_code < 500


# The staff's lists: their filters and their pages come from the address.
LISTS = [
    ("cara", "/cases/"),
    ("cara", "/network/partners/"),
    ("pat", "/network/inbox/"),
    ("sofia", "/risk/dashboard/"),
    ("sofia", "/risk/dashboard/high-risk/"),
    ("dana", "/data-protection/requests/"),
    ("dana", "/data-protection/breaches/"),
    ("dana", "/data-protection/erasures/"),
    ("ada", "/audit/"),
    ("ada", "/audit/export.csv"),
    ("sofia", "/premises/sites/"),
]


@pytest.mark.parametrize(("role", "path"), LISTS)
@given(query=queries)
def test_a_list_given_any_query_never_fails(client, scene, role, path, query):  # noqa: F811
    response = _get(signed_in(client, scene, role), path, query)
    assert response.status_code < 500


@given(case_id=st.uuids(), query=queries)
def test_a_case_page_given_any_query_never_fails(client, scene, case_id, query):  # noqa: F811
    client = signed_in(client, scene, "cara")
    for pk in (scene.case.pk, case_id, uuid.UUID(int=0)):
        assert _get(client, f"/cases/{pk}/", query).status_code < 500
        assert _get(client, f"/cases/{pk}/history/", query).status_code < 500
