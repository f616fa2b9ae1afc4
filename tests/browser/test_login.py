"""A demo user signs in through the real login page in headless Chromium."""

from __future__ import annotations

import pytest

from demo.seed import seed_demo
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_signs_in_and_sees_their_home(page, shot):
    passwords = {a.email: a.password for a in seed_demo()}
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    shot(page, "01-login")

    sign_in(page, "caseworker@demo.example", passwords["caseworker@demo.example"])
    page.get_by_role("heading", name="Welcome, Cara").wait_for()
    assert page.title() == "Home · Casework"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Cases").is_visible()
    assert page.get_by_role("link", name="My cases").is_visible()
    shot(page, "02-home-caseworker")

    page.get_by_role("link", name="My cases").click()
    page.get_by_role("heading", name="My cases").wait_for()
    assert page.get_by_role("row").count() == 9  # header + Cara's eight demo cases
    assert page.get_by_text("High", exact=True).count() >= 1  # assessed demo cases
    shot(page, "03-my-cases")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").wait_for()


def test_wrong_password_shows_an_error_and_keeps_the_email(page, shot):
    seed_demo()
    sign_in(page, "caseworker@demo.example", "not the password")
    page.get_by_text("not correct").wait_for()
    assert page.get_by_label("Email").input_value() == "caseworker@demo.example"
    shot(page, "04-login-error")


def test_keyboard_user_can_skip_to_content(page):
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    # Waits for the focus to land (on a busy machine the first key press can be handled a
    # moment after the check would otherwise run).
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
