"""Every URL of the project, requested anonymously, redirects to login or answers 404, except
an explicit allow-list of public pages, none of which shows data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories

pytestmark = pytest.mark.django_db

# Public on purpose: signing in and recovering a password, the closed sign-up notice, the
# health and readiness checks for load balancers, robots.txt, the tab icon, static files.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/robots.txt",
    "/favicon.ico",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/2fa/authenticate/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/login/code/confirm/",
    "/accounts/inactive/",
}
PUBLIC_PATTERNS = [
    re.compile(r"^/accounts/password/reset/key/[^/]+/$"),  # shows "invalid link" for bad keys
    re.compile(r"^/accounts/confirm-email/"),
    re.compile(r"^/static/"),
    # Data protection (delivery): the person's one-time download of their copy. GET shows a
    # form asking for the code and looks nothing up; the file needs the secret, POSTed.
    re.compile(r"^/copy/[^/]+/$"),
    # Premises (safety): a site's "Your safety here" page, for the people the service
    # supports, without signing in; 404 unless the site with that random id has a published
    # version (and is not closed). It shows that version's title and text, nothing else.
    re.compile(r"^/safety/[0-9a-f-]{36}/$"),
]


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + _route(p))
        elif isinstance(p, URLPattern):
            yield prefix + _route(p)


def _route(p) -> str:
    pattern = p.pattern
    route = getattr(pattern, "_route", None)
    if route is not None:
        return factories.URL_CONVERTER.sub(factories.url_sample, route)
    regex = pattern.regex.pattern
    # Regex routes (the admin's): fill each group with a plausible sample.
    regex = re.sub(r"\(\?P<\w+>[^)]*\)", "1", regex)
    regex = re.sub(r"\([^)]*\)", "x", regex)
    return regex.lstrip("^").rstrip("$").replace("\\", "").replace("?", "")


def all_urls() -> list[str]:
    return sorted({"/" + u for u in _walk(get_resolver().url_patterns)})


def test_the_sweep_finds_the_project_urls():
    urls = all_urls()
    assert "/cases/" in urls and "/audit/" in urls and "/admin/" in urls
    assert len(urls) > 40


@pytest.mark.parametrize("url", all_urls())
def test_anonymous_request_is_redirected_or_not_found(client, url):
    response = client.get(url)
    if url in PUBLIC or any(p.match(url) for p in PUBLIC_PATTERNS):
        assert response.status_code in (200, 301, 302, 404, 405)
        return
    assert response.status_code in (301, 302, 404, 405), f"{url} answered {response.status_code}"
    if response.status_code in (301, 302):
        final = client.get(url, follow=True)
        last = final.redirect_chain[-1][0]
        assert last.startswith("/accounts/login/"), f"{url} ends at {last}"
        assert final.status_code == 200


def test_every_case_url_gives_an_outsider_404(client):
    north, south = factories.make_team("North"), factories.make_team("South")
    case = factories.make_case(team=north)
    urls = factories.case_urls(case.pk)
    assert f"/cases/{case.pk}/" in urls
    client.force_login(factories.caseworker(south, "Sam"))
    for url in urls:
        for method in (client.get, client.post):
            # 405 (wrong method) is answered before any lookup, the same for every id.
            status = method(url).status_code
            assert status in (404, 405), f"{method.__name__.upper()} {url}: {status}"
        assert client.post(url).status_code == 404 or client.get(url).status_code == 404
