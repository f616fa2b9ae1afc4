"""The auditor's audit log (filters, entries as a list) and the intake's check page fit a
phone (390 px) and pass axe-core; screenshots go to test-results/screenshots and, when
PLAINWORDS_SHOTS is set, to that folder as well."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from cases import intake
from cases.models import ConfidentialityNotice
from tests import factories
from tests.browser.conftest import problems
from victimsupport.access import Role
from victimsupport.audit.services import AccessKind, record_access, record_refusal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def signed_in(browser, live_server, user):
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
    path = shot(page, f"plainwords-{name}")
    extra = os.environ.get("PLAINWORDS_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide at {PHONE['width']} px"
    assert problems(page) == [], name


def test_audit_log_fits_a_phone(browser, live_server, shot, settings):
    settings.MFA_ENFORCE = False
    north = factories.make_team("North")
    cara = factories.caseworker(north)
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    record_access(actor=cara, obj=case, kind=AccessKind.VIEW)
    record_refusal(actor=cara, route="cases:detail", status=404)
    auditor = factories.make_user("Aud", role=Role.AUDITOR)
    page = signed_in(browser, live_server, auditor)
    page.goto("/audit/")
    page.get_by_role("heading", name="Find entries").wait_for()
    check(page, shot, "audit-log")
    page.get_by_label("Case reference").fill(case.reference)
    page.get_by_role("button", name="Show entries").click()
    page.get_by_role("link", name="Export these entries as CSV").wait_for()
    assert case.reference in page.locator("main").inner_text()
    check(page, shot, "audit-log-filtered")


def test_intake_check_page_fits_a_phone(browser, live_server, shot):
    north = factories.make_team("North")
    cara = factories.caseworker(north)
    factories.with_totp(cara)
    notice = ConfidentialityNotice.objects.create(
        version=1, title="Confidentiality", body="We keep…"
    )
    draft = intake.draft_start(owner=cara, team=north)
    intake.draft_save_step(
        draft=draft,
        step="safety",
        answers={"safe_to_talk": "yes", "phone_safe": True, "phone_times": "Weekdays 10-12"},
    )
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    intake.draft_save_step(
        draft=draft,
        step="person",
        answers={
            "given_name": "Mira",
            "family_name": "Okafor",
            "date_of_birth": "1990-03-03",
            "phone": "+32 470 12 34 56",
            "email": "mira.okafor.long.address@example.org",
            "feared_name": "R. Okafor",
            "feared_relationship": "ex-partner",
        },
    )
    intake.draft_save_step(
        draft=draft,
        step="screening",
        answers={
            "ongoing_threat": "yes",
            "ongoing_victimisation": "no",
            "fearful": "yes",
            "victim_view": "high",
        },
    )
    intake.draft_save_step(
        draft=draft,
        step="needs",
        answers={"categories": ["housing", "legal"], "crime_reported": "no"},
    )
    page = signed_in(browser, live_server, cara)
    page.goto(f"/cases/intake/{draft.pk}/review/")
    page.get_by_role("heading", name="Check and finish").wait_for()
    text = page.locator("main").inner_text()
    assert "3 March 1990" in text and "Their own view of the risk: high." in text
    check(page, shot, "intake-check")
