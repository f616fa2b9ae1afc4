"""The pages that refuse or reconcile (issue 9) fit a phone and pass axe-core: the supervisor's
dashboard with duplicates and refused access, the reconcile page, a conflict on the details
and on a draft assessment, and a refused upload on the case page."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from cases import services as case_services
from risk import services as risk_services
from risk.models import InstrumentVersion
from tests import factories
from tests.browser.conftest import problems
from victimsupport.audit.services import record_refusal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def signed_in(browser, live_server, user):
    """A phone-sized browser signed in as ``user`` (who has set up a second factor)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def check(page, shot, name: str) -> None:
    shot(page, f"refusals-{name}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide at {PHONE['width']} px"
    assert problems(page) == [], name


def test_refusal_and_reconcile_pages_fit_a_phone(browser, live_server, shot):
    north, south = factories.make_team("North"), factories.make_team("South")
    cara = factories.caseworker(north)
    factories.with_totp(cara)
    sofia = factories.supervisor(north)
    sam = factories.caseworker(south, "Sam")
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    # South takes in the same person: a match its caseworker is never shown.
    factories.make_full_case(sam, given_name="Mira", family_name="Okafor", phone=case.victim.phone)
    for _ in range(12):
        record_refusal(actor=cara, route="cases:detail", status=404)

    boss = signed_in(browser, live_server, sofia)
    boss.goto("/risk/dashboard/")
    boss.get_by_role("heading", name="Possible duplicates to reconcile").wait_for()
    assert "Cara" in boss.locator("#main, main").first.inner_text()
    check(boss, shot, "dashboard")
    boss.get_by_role("link", name="Reconcile").click()
    check(boss, shot, "reconcile")

    page = signed_in(browser, live_server, cara)
    page.goto(f"/cases/{case.pk}/details/")
    page.get_by_role("textbox", name="Address").fill("12 Rue Haute, 1000 Bruxelles")
    victim = case.victim
    case_services.victim_update(
        victim=victim, actor=sofia, version=victim.version, code_word="tulip"
    )
    page.get_by_role("button", name="Save details").click()
    page.get_by_role("heading", name="The details as they are now saved").wait_for()
    assert "tulip" in page.content()  # every saved field, not only some
    assert (
        page.get_by_role("textbox", name="Address").input_value() == "12 Rue Haute, 1000 Bruxelles"
    )
    check(page, shot, "details-conflict")

    risk_services.ensure_shipped_instruments()  # a transactional test may start without them
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    draft = risk_services.assessment_start(case=case, actor=cara, version=version)
    page.goto(f"/risk/cases/{case.pk}/assessments/{draft.pk}/")
    risk_services.assessment_save(
        assessment=draft, actor=sofia, version=draft.version, answers={"ongoing_threat": "yes"}
    )
    page.get_by_role("button", name="Save draft").click()
    page.locator(".error-summary").first.wait_for()
    check(page, shot, "assessment-conflict")

    page.goto(f"/cases/{case.pk}/")
    page.locator("summary", has_text="Attach a document").click()  # the form opens in place
    bomb = io.BytesIO()
    Image.new("L", (7700, 7700)).save(bomb, format="PNG", optimize=True)
    page.locator("input[type=file]").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": bomb.getvalue()}
    )
    page.get_by_label("Description").fill("Bruises on the arm, 3 March")
    page.get_by_role("button", name="Attach").click()
    page.get_by_text("Nothing was saved: the form below says what to change.").wait_for()
    assert "too large to process" in page.content()
    assert page.get_by_label("Description").input_value() == "Bruises on the arm, 3 March"
