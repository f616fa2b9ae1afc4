"""The public "Your safety here" page in a phone's browser, signed in as no one: it fits 390 px,
axe-core finds nothing serious, the language switch works, and the quick exit leaves for the
neutral address and replaces the history entry (Back does not return to the page).
Screenshots go to test-results/screenshots/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premises.models import PageStatus
from tests import factories
from tests.browser.conftest import problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def public_path():
    north = factories.make_team("North")
    sofia = factories.supervisor(north, "Sofia")
    site = factories.make_site(north, kind="refuge", created_by=sofia)
    factories.make_safety_page(
        site,
        sofia,
        status=PageStatus.PUBLISHED,
        body_en=(
            "We see people by appointment only, so we always know who is coming.\n\n"
            "The door stays locked. If you feel unsafe, tell us: we will help at once."
        ),
    )
    return reverse("safety_page_public", kwargs={"public_id": site.public_id})


def test_the_public_page_on_a_phone_and_its_quick_exit(
    browser, live_server, public_path, settings, shot
):
    # The neutral site is a local page here (no network): the health check's "ok".
    settings.QUICK_EXIT_URL = f"{live_server.url}/healthz"
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/accounts/login/")  # where the person was before
        page.goto(public_path)
        page.get_by_role("heading", name="Your safety here").wait_for()
        assert page.locator("#quick-exit").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.title() == "Information"
        found = problems(page)
        assert not found, "\n".join(found)
        shot(page, "safety-page-public-en")

        page.get_by_role("link", name="Français").click()
        page.get_by_role("heading", name="Votre sécurité ici").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        found = problems(page)
        assert not found, "\n".join(found)
        shot(page, "safety-page-public-fr")

        # Printed: the text only, no quick exit.
        page.emulate_media(media="print")
        assert not page.locator("#quick-exit").is_visible()
        page.emulate_media(media="screen")

    finally:
        context.close()

    # Nothing is left on the device by the page itself: no cookie, in either language.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(public_path)
        page.get_by_role("link", name="Français").click()
        page.get_by_role("heading", name="Votre sécurité ici").wait_for()
        page.get_by_role("link", name="English").click()
        page.get_by_role("heading", name="Your safety here").wait_for()
        # What the browser asks for by itself (the icon of the tab) is over too.
        page.wait_for_load_state("networkidle")
        assert context.cookies() == []
    finally:
        context.close()

    # A fresh visit (the switch made a history entry of its own, which a quick exit
    # cannot take back: the page says history already on the device is not erased).
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/accounts/login/")
        page.goto(public_path)
        page.get_by_role("heading", name="Your safety here").wait_for()
        page.locator("#quick-exit").click()
        page.wait_for_url(f"{live_server.url}/healthz")
        page.go_back()
        page.wait_for_load_state()
        assert "/safety/" not in page.url, page.url
        assert page.url.endswith("/accounts/login/"), page.url
    finally:
        context.close()
