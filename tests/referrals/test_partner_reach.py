"""A partner user reaches their inbox, the referrals in it, the home page and their own account
pages; every other address of the service answers them 404, whatever it is, and every page of
the case a referral was made from too. Pat works at the refuge a North case was referred to."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories

pytestmark = pytest.mark.django_db

# Theirs: the home page with their one task, their inbox, the health checks, robots.txt and
# the tab icon.
THEIRS = {"/", "/network/inbox/", "/healthz", "/readyz", "/robots.txt", "/favicon.ico"}
# Their own account (sign-in, password, second factor, language): allauth's and ours.
ACCOUNT = re.compile(r"^/(accounts/|i18n/setlang/|static/)")
# Public to everyone, signed in or not, and showing nothing of the service: the page where a
# person downloads the copy of their file with a one-time link (tests/core/test_url_sweep.py).
PUBLIC = re.compile(r"^/copy/[^/]+/$")


def _route(p) -> str:
    route = getattr(p.pattern, "_route", None)
    if route is not None:
        return factories.URL_CONVERTER.sub(factories.url_sample, route)
    regex = re.sub(r"\(\?P<\w+>[^)]*\)", "1", p.pattern.regex.pattern)
    regex = re.sub(r"\([^)]*\)", "x", regex)
    return regex.lstrip("^").rstrip("$").replace("\\", "").replace("?", "")


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + _route(p))
        elif isinstance(p, URLPattern):
            yield "/" + prefix + _route(p)


@pytest.fixture
def world(settings, cara):
    settings.MFA_ENFORCE = False
    refuge = factories.make_partner("Safe Haven Refuge")
    case = factories.make_full_case(cara)
    referral = factories.sent_referral(case, refuge, by=cara)
    return {"pat": factories.partner_user(refuge), "case": case, "referral": referral}


def test_a_partner_user_gets_404_everywhere_but_their_own_pages(client, world):
    client.force_login(world["pat"])
    urls = sorted(set(_walk(get_resolver().url_patterns)))
    assert "/network/inbox/" in urls and "/cases/" in urls and "/audit/" in urls
    answered = {}
    for url in urls:
        if ACCOUNT.match(url) or PUBLIC.match(url):
            continue
        response = client.get(url, follow=True)
        if url in THEIRS:
            assert response.status_code == 200, url
            continue
        # 405: a form's address that takes POST only, refused before any lookup.
        if response.status_code not in (404, 405):
            answered[url] = response.status_code
        if response.status_code == 405:
            assert client.post(url).status_code in (404, 405), url
    assert answered == {}


def test_a_partner_user_gets_404_on_every_page_of_the_referred_case(client, world):
    client.force_login(world["pat"])
    urls = factories.case_urls(world["case"].pk)
    assert f"/cases/{world['case'].pk}/" in urls
    for url in urls:
        for method in (client.get, client.post):
            status = method(url).status_code
            assert status in (404, 405), f"{method.__name__.upper()} {url}: {status}"
    for url in (
        f"/cases/?q={world['case'].reference}",
        f"/network/cases/{world['case'].pk}/referrals/{world['referral'].pk}/pdf/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_partner_user_sees_only_their_inbox_at_home(client, world):
    client.force_login(world["pat"])
    home = client.get("/")
    links = set(re.findall(r'href="(/[^"#]*)"', home.text))
    assert "/network/inbox/" in links
    assert not {link for link in links if link.startswith(("/cases", "/risk", "/audit", "/admin"))}
    received = client.get(f"/network/inbox/{world['referral'].pk}/")
    assert received.status_code == 200
