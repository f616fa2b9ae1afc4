"""A caseworker takes someone in, as they would in the browser, by visible labels."""

from __future__ import annotations

import re

import pytest

from demo.seed import seed_demo
from tests.browser.conftest import choose, fill_person, save, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_complete_intake_with_interruption_duplicate_and_withdrawal(browser, live_server, shot):
    passwords = {a.email: a.password for a in seed_demo()}
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, "caseworker@demo.example", passwords["caseworker@demo.example"])

    page.get_by_role("link", name="New intake").first.click()
    page.get_by_role("button", name="Start a new intake").click()

    # 1. Safety first.
    page.get_by_role("heading", name="Safety first").wait_for()
    choose(page, "Is it safe for them to talk now?", "Yes")
    page.get_by_label("Phone call is safe").check()
    page.get_by_label("Phone call: safe times or conditions").fill("Weekdays 9-11")
    page.get_by_label("Code word").fill("lighthouse")
    shot(page, "intake-01-safety")
    save(page)

    # 2. The notice, before any personal data.
    page.get_by_role("heading", name="Confidentiality", exact=True).wait_for()
    assert page.get_by_role("link", name="Who").count() == 0  # not reachable yet
    choose(page, "How was the notice given?", "Read aloud and acknowledged verbally")
    page.get_by_label("They have heard or read the notice and say they understand it").check()
    shot(page, "intake-02-notice")
    save(page)

    # 3. Who: then an interruption.
    page.get_by_role("heading", name="Who").wait_for()
    fill_person(page, "Amara", "Okoye", "1987-03-14")  # the same person as a demo case
    save(page)
    page.get_by_text("A record may already exist for this person").wait_for()
    shot(page, "intake-03-duplicate-warning")
    assert page.get_by_role("link", name=re.compile(r"case VS-\d{4}-\d{5}")).count() == 1
    page.get_by_label("I have checked: this is a different person, create a new case").check()
    save(page)
    page.get_by_role("heading", name="Risk screening").wait_for()

    page.get_by_role("link", name="Home").click()  # the phone rings: interrupted
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Intake").click()
    page.get_by_role("link", name=re.compile("Resume")).first.click()

    # 4. Risk screening, resumed where it stopped.
    page.get_by_role("heading", name="Risk screening").wait_for()
    choose(page, "Is there still a threat?", "Yes")
    choose(page, "Is the harm still going on?", "No")
    choose(page, "Are they afraid of something happening?", "Yes")
    choose(page, "How at risk do they feel?", "Very at risk")
    page.get_by_label("In their own words").fill("He knows where I work.")
    shot(page, "intake-04-screening")
    save(page)

    # 5. Needs.
    page.get_by_label("Housing or a safe place to stay").check()
    page.get_by_label("Legal information or advice").check()
    choose(page, "Has the crime been reported?", "No (support does not depend on it)")
    save(page)

    # 6. Consent.
    choose(
        page,
        "Do they agree that we keep and use their information to support them?",
        "Yes",
    )
    choose(page, "How was consent given?", "Verbal")
    # Consent to share is not asked here: later, from the case file, naming the partner.
    assert page.get_by_text("asked from the case file when a referral is considered").is_visible()
    shot(page, "intake-06-consent")
    save(page)

    # 7. Check and finish.
    page.get_by_role("heading", name="Check and finish").wait_for()
    shot(page, "intake-07-review")
    page.get_by_role("button", name="Create the case").click()
    # The screen was positive: the full risk assessment comes next.
    page.get_by_role("heading", name=re.compile("Risk assessment for case")).wait_for()
    shot(page, "intake-08a-assessment-start")
    page.get_by_role("link", name="Back to the case").click()
    heading = page.get_by_role("heading", name=re.compile(r"Case VS-\d{4}-\d{5}"))
    heading.wait_for()
    case_url = page.url
    assert page.get_by_text("Risk assessment needed").first.is_visible()
    assert page.get_by_text("Phone call: Weekdays 9-11").is_visible()
    shot(page, "intake-08-case-file")

    # Withdraw the consent: asked first, with what stops, then one click.
    page.locator("#section-consents").get_by_role("link", name=re.compile("Withdraw")).click()
    page.get_by_role("heading", name="What follows").wait_for()
    page.get_by_role("button", name="Withdraw the consent").click()
    page.get_by_text("Consent withdrawn. Nothing more will be shared on it.").wait_for()
    assert page.locator("#section-consents").get_by_text("Withdrawn", exact=True).count() == 1
    shot(page, "intake-09-consent-withdrawn")

    # Someone from another team gets "not found", as for an address that does not exist.
    outsider = browser.new_context(base_url=live_server.url).new_page()
    signed_in(outsider, "south.caseworker@demo.example", passwords["south.caseworker@demo.example"])
    response = outsider.goto(case_url)
    assert response.status == 404
    assert outsider.get_by_role("heading", name="Page not found").is_visible()
    shot(outsider, "intake-10-outsider-404")
    context.close()
