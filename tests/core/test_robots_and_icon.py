"""What every page carries for machines: no indexing, an icon, health and readiness checks."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client

from tests import factories
from victimsupport.middleware import NoIndexMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/healthz", "/readyz", "/robots.txt", "/favicon.ico", "/nowhere/"],
)
def test_every_answer_asks_search_engines_to_keep_away(client, path):
    response = client.get(path)
    assert response["X-Robots-Tag"] == NoIndexMiddleware.VALUE
    assert "noindex" in response["X-Robots-Tag"]


def test_signed_in_pages_and_static_files_carry_it_too(client):
    client.force_login(factories.make_user("cw", role="caseworker"))
    assert "noindex" in client.get("/cases/")["X-Robots-Tag"]
    assert "noindex" in Client().get("/static/img/favicon.svg")["X-Robots-Tag"]


def test_robots_txt_disallows_everything(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().splitlines() == ["User-agent: *", "Disallow: /"]
    assert not response.cookies


def test_the_tab_icon_is_linked_from_every_staff_page_and_favicon_ico_finds_it(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert not response.cookies


def test_readyz_answers_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


def test_readyz_answers_503_when_the_database_does_not(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"database unavailable"
