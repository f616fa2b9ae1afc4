"""The language switcher works without JavaScript, before sign-in and after, fits a phone and
passes axe-core; a whole page turns French, html lang included."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.conftest import problems, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_switching_to_french_on_the_sign_in_page_at_390px(browser, live_server, shot):
    cara = factories.caseworker(factories.make_team("North"))
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto("/accounts/login/")
    assert page.get_attribute("html", "lang") == "en-gb"
    assert no_sideways_scroll(page)
    assert problems(page) == []
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Se connecter").wait_for()
    assert page.get_attribute("html", "lang") == "fr"
    assert no_sideways_scroll(page)
    assert problems(page) == []
    shot(page, "language-sign-in-fr-390")
    # Signing in keeps the language chosen on the sign-in page.
    page.get_by_label("E-mail").fill(cara.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # On a phone the header folds: the account's buttons are in the menu.
    page.locator("details.nav-fold > summary").click()
    page.locator(".nav-fold").get_by_role("button", name="Se déconnecter").wait_for()
    assert page.get_attribute("html", "lang") == "fr"
    assert no_sideways_scroll(page)
    assert problems(page) == []
    shot(page, "language-home-fr-390")
    # And back to English from any page.
    page.locator(".nav-fold").get_by_role("button", name="English").click()
    page.locator("details.nav-fold > summary").click()
    page.locator(".nav-fold").get_by_role("button", name="Sign out").wait_for()
    assert page.get_attribute("html", "lang") == "en-gb"
    context.close()


def test_the_switcher_works_without_javascript(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Se connecter").wait_for()
    context.close()


def test_the_preferred_language_is_applied_at_sign_in_in_a_browser(browser, live_server, shot):
    cara = factories.caseworker(factories.make_team("North"))
    cara.preferred_language = "fr"
    cara.save(update_fields=["preferred_language"])
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, cara.email, PASSWORD)
    # On a phone the header folds: the account's buttons are in the menu.
    page.locator("details.nav-fold > summary").click()
    page.locator(".nav-fold").get_by_role("button", name="Se déconnecter").wait_for()
    page.goto("/accounts/preferences/")
    assert page.get_attribute("html", "lang") == "fr"
    assert no_sideways_scroll(page)
    assert problems(page) == []
    shot(page, "language-preferences-fr-390")
    context.close()
