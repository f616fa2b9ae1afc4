"""A high-risk intake leads to an assessment, a required safety plan, and the case on the
supervisor's dashboard: in the browser, by visible labels."""

from __future__ import annotations

import re

import pytest

from demo.seed import seed_demo
from risk import engine
from risk.models import InstrumentVersion
from tests import factories
from tests.browser.conftest import choose, fill_person, save, sign_in, signed_in
from victimsupport.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def quick_intake(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Intake").click()
    page.get_by_role("button", name="Start a new intake").click()
    choose(page, "Is it safe for them to talk now?", "Yes")
    save(page)
    choose(page, "How was the notice given?", "Read aloud and acknowledged verbally")
    page.get_by_label("They have heard or read the notice and say they understand it").check()
    save(page)
    fill_person(page, "Noor", "Haddad-Berg", "1991-06-03")
    save(page)
    choose(page, "Is there still a threat?", "Yes")
    choose(page, "Is the harm still going on?", "Yes")
    choose(page, "Are they afraid of something happening?", "Yes")
    choose(page, "How at risk do they feel?", "Very at risk")
    save(page)
    choose(page, "Has the crime been reported?", "Yes, reported to the police")
    save(page)
    choose(page, "Do they agree that we keep and use their information to support them?", "Yes")
    choose(page, "How was consent given?", "Verbal")
    save(page)
    page.get_by_role("button", name="Create the case").click()


def test_high_risk_intake_to_plan_and_dashboard(browser, live_server, shot):
    passwords = {a.email: a.password for a in seed_demo()}
    definition = InstrumentVersion.objects.get(instrument__key="default").localised("en")
    cara = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = cara.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, "caseworker@demo.example", passwords["caseworker@demo.example"])
    quick_intake(page)

    # Straight on to the assessment.
    page.get_by_role("heading", name=re.compile("Risk assessment for case")).wait_for()
    page.get_by_role("button", name="Start the assessment").click()
    answers = {"strangulation": "Yes", "threats_to_kill": "Yes", "ongoing_threat": "Yes"}
    for q in engine.questions(definition):
        if q["type"] == "yes_no_unknown":
            choose(page, q["text"], answers.get(q["key"], "No"))
        elif q["type"] == "scale":
            choose(page, q["text"], "5")
        elif q["type"] == "single":
            choose(page, q["text"], q["options"][0]["label"])
    page.get_by_label("Rationale: what the result rests on").fill("Strangulation last week.")
    shot(page, "risk-01-assessment")
    page.get_by_role("button", name="Finalise the assessment").click()

    # The case now shows the level and requires a safety plan.
    page.get_by_text("A safety plan is required.").wait_for()
    reference = re.search(r"VS-\d{4}-\d{5}", page.get_by_role("heading", level=1).inner_text())[0]
    assert page.locator("#section-risk .risk-high").count() >= 1
    shot(page, "risk-02-case-requires-plan")

    # The supervisor sees it on the dashboard, and in the list behind the tile.
    sofia = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    board = sofia.new_page()
    board.set_default_timeout(15_000)
    supervisor = User.objects.get(email="supervisor@demo.example")
    secret = factories.with_totp(supervisor)  # her role requires two-factor authentication
    sign_in(board, supervisor.email, passwords[supervisor.email])
    board.get_by_label("Code").fill(factories.totp_code(secret))
    board.get_by_role("button", name=re.compile("Sign In|Sign in")).click()
    board.get_by_role("heading", name=re.compile("Welcome")).wait_for()
    board.get_by_role("navigation", name="Main").get_by_role("link", name="Risk dashboard").click()
    board.get_by_role("heading", name="Risk dashboard").wait_for()
    shot(board, "risk-03-dashboard")
    board.get_by_role("link", name=re.compile("High-risk cases without a safety plan")).click()
    assert board.get_by_role("link", name=reference).is_visible()
    shot(board, "risk-04-dashboard-list")

    # Cara makes the plan; the blocker goes.
    page.get_by_role("link", name="Make the safety plan").click()
    page.get_by_label("What the plan is for").fill("Keeping safe while she looks for a new home.")
    page.get_by_role("button", name="Create the safety plan").click()
    page.get_by_label("Type of action").select_option(label="Safe accommodation")
    page.get_by_label("What will be done").fill("Ask the refuge network for a place")
    page.get_by_label("Staff member responsible").select_option(label="Cara Caseworker")
    page.get_by_role("button", name="Add the action").click()
    page.get_by_text("Action added.").wait_for()
    shot(page, "risk-05-safety-plan")
    page.get_by_role("link", name="Back to the case").click()
    assert page.get_by_text("A safety plan is required.").count() == 0
    board.reload()
    assert board.get_by_role("link", name=reference).count() == 0
    cara.close()
    sofia.close()
