"""axe-core (bundled with axe-playwright-python) finds no serious or critical problem on the
pages each role works in."""

from __future__ import annotations

import re

import pytest

from cases.models import Case
from demo.seed import seed_demo
from risk.models import Assessment
from tests import factories
from tests.browser.conftest import problems, sign_in
from victimsupport.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_have_no_serious_accessibility_problems(browser, live_server):
    passwords = {a.email: a.password for a in seed_demo()}
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: dict[str, list[str]] = {}

    # The check itself works: a page with an image missing its text alternative fails it.
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert any(p.startswith("image-alt") for p in problems(page))

    page.goto("/accounts/login/")
    found["login"] = problems(page)
    sign_in(page, "caseworker@demo.example", passwords["caseworker@demo.example"])
    page.get_by_role("heading", name=re.compile("Welcome")).wait_for()
    case = Case.objects.filter(assigned_to__email="caseworker@demo.example").first()
    assessment = Assessment.objects.filter(case=case).first()
    pages = {
        "home": "/",
        "case list": "/cases/",
        "case file": f"/cases/{case.pk}/",
        "intake": "/cases/intake/",
        "safety plan": f"/risk/cases/{case.pk}/safety-plan/",
    }
    if assessment is not None:
        pages["assessment"] = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    for name, url in pages.items():
        page.goto(url)
        found[name] = problems(page)
    page.goto("/cases/intake/")
    page.get_by_role("button", name="Start a new intake").click()
    page.get_by_role("heading", name="Safety first").wait_for()
    found["intake step"] = problems(page)

    supervisor = User.objects.get(email="supervisor@demo.example")
    secret = factories.with_totp(supervisor)
    board = browser.new_context(base_url=live_server.url).new_page()
    sign_in(board, supervisor.email, passwords[supervisor.email])
    board.get_by_label("Code").fill(factories.totp_code(secret))
    board.get_by_role("button", name=re.compile("Sign In|Sign in")).click()
    board.get_by_role("heading", name=re.compile("Welcome")).wait_for()
    for name, url in {"dashboard": "/risk/dashboard/", "training": "/risk/training/"}.items():
        board.goto(url)
        found[name] = problems(board)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
