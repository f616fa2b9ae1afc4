"""The case page as a caseworker meets it on a phone, a tablet and a desk: no sideways scroll,
touch targets of 44 px, axe-core clean, forms that open where they are used (also without
JavaScript), a consent to share given without JavaScript, and a consent withdrawn only after the
confirmation page."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cases import services as case_services
from cases.models import Consent, Note, ThirdParty
from referrals import services as referral_services
from referrals.models import Purpose
from risk import services as risk_services
from risk.models import InstrumentVersion
from tests import factories
from tests.browser.conftest import SCREENSHOTS, problems
from tests.factories import full_answers, train

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# CASEPAGE_SHOTS=/tmp/shots/casepage puts them where a reviewer looks.
SHOTS = Path(os.environ.get("CASEPAGE_SHOTS", SCREENSHOTS / "casepage"))
WIDTHS = (390, 768, 1280)


def signed_in(browser, live_server, user, width: int, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, **options
    )
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


def save(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page, width: int, name: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} is {scroll} px wide at {width} px"


def small_targets(page) -> list[str]:
    """Links, buttons and disclosure summaries in the case page's own parts under 44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.case-nav a, .case-actions a, .case-actions button, .form-drawer > summary,'
              + ' .case-section .button, .case-section button, .to-top a')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim().slice(0, 40), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)
            .map(([t, h]) => `${t}: ${h}px`)"""
    )


@pytest.fixture
def busy_case(db):
    north = factories.make_team("North")
    cara = factories.caseworker(north)
    train(cara)
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor-Vandenberghe")
    risk_services.ensure_shipped_instruments()  # a transactional test may start without them
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    assessment = risk_services.assessment_start(case=case, actor=cara, version=version)
    risk_services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers=full_answers(),
        override_level="high",
        override_reason="Threats reported by the police yesterday",
    )
    risk_services.trigger_record(
        case=case, actor=cara, kind="court", occurred_on=timezone.localdate(), note="Hearing set"
    )
    risk_services.safety_action_add(
        case=case,
        actor=cara,
        kind="accommodation",
        description="A refuge place in another town, away from the family home",
        owner_other="Themselves",
        internal_note="The police say he knows the town",
    )
    referral_services.sharing_consent_give(
        case=case,
        actor=cara,
        partner=factories.make_partner("Safe Homes Brussels-Capital Housing Association"),
        purpose=Purpose.HOUSING,
        categories=["identity", "contact_details"],
        method=Consent.Method.WRITTEN,
        expires_on=timezone.localdate() + datetime.timedelta(days=180),
    )
    ThirdParty.objects.create(
        case=case, name="Jonas Vandenberghe", relationship="Former partner", details="Drives a van"
    )
    for i in range(3):
        Note.objects.create(case=case, author=cara, body=f"Called about the hearing ({i})")
    case_services.document_add(
        case=case,
        actor=cara,
        name="court-letter-with-a-rather-long-file-name-2026.txt",
        content_type="text/plain",
        data=b"Hearing on the 4th",
        description="Letter from the court",
    )
    case.refresh_from_db()
    return case, cara


def test_the_case_page_fits_every_width_and_passes_axe(browser, live_server, busy_case):
    case, cara = busy_case
    found = {}
    for width in WIDTHS:
        page = signed_in(browser, live_server, cara, width)
        page.goto(f"/cases/{case.pk}/")
        page.get_by_role("navigation", name="Sections of the case").wait_for()
        save(page, f"case-{width}")
        fits(page, width, f"case page at {width}")
        assert small_targets(page) == [], width
        found[f"case {width}"] = problems(page)
        # Every form folded in its section opens in place and still fits.
        for summary in page.locator(".form-drawer > summary").all():
            summary.click()
        save(page, f"case-{width}-forms-open")
        fits(page, width, f"case page with its forms open at {width}")
        found[f"case {width} forms open"] = problems(page)
        page.context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_the_index_jumps_to_each_section(browser, live_server, busy_case):
    case, cara = busy_case
    page = signed_in(browser, live_server, cara, 390)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("navigation", name="Sections of the case").get_by_role(
        "link", name="Consents", exact=True
    ).click()
    assert page.url.endswith("#section-consents")
    assert page.locator("#section-consents").is_visible()
    page.context.close()


def test_a_note_is_added_without_javascript(browser, live_server, busy_case):
    case, cara = busy_case
    page = signed_in(browser, live_server, cara, 390, java_script_enabled=False)
    page.goto(f"/cases/{case.pk}/")
    page.locator("summary", has_text="Add a note").click()
    page.get_by_role("textbox", name="Add a note").fill("Rang back after the hearing")
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Note added.").wait_for()
    assert Note.objects.filter(case=case).count() == 4
    page.context.close()


def test_withdrawing_a_consent_is_confirmed_first(browser, live_server, busy_case):
    case, cara = busy_case
    consent = case.sharing_consents.get()
    for width in WIDTHS:
        page = signed_in(browser, live_server, cara, width)
        page.goto(f"/network/cases/{case.pk}/consents/{consent.pk}/withdraw/")
        page.get_by_role("heading", name="Withdraw this consent to share?").wait_for()
        save(page, f"withdraw-{width}")
        fits(page, width, f"withdrawal page at {width}")
        assert problems(page) == [], width
        page.context.close()
    page = signed_in(browser, live_server, cara, 390, java_script_enabled=False)
    page.goto(f"/cases/{case.pk}/#section-sharing_consents")
    page.locator("#section-sharing_consents").get_by_role("link", name="Withdraw…").first.click()
    page.get_by_role("heading", name="What follows").wait_for()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    page.get_by_role("button", name="Withdraw the consent").click()
    page.get_by_text("Consent withdrawn.").wait_for()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == cara
    page.context.close()


def test_a_consent_to_share_is_given_without_javascript(browser, live_server, busy_case):
    case, cara = busy_case
    partner = factories.make_partner("Legal Aid North")
    for width in WIDTHS:
        page = signed_in(browser, live_server, cara, width)
        page.goto(f"/network/cases/{case.pk}/consents/add/")
        page.get_by_role("heading", name="Record a consent to share").wait_for()
        save(page, f"consent-give-{width}")
        fits(page, width, f"consent page at {width}")
        assert problems(page) == [], width
        page.context.close()
    page = signed_in(browser, live_server, cara, 390, java_script_enabled=False)
    page.goto(f"/cases/{case.pk}/#section-sharing_consents")
    page.get_by_role("link", name="Give consent to share").click()
    page.get_by_label("This organisation").check()
    page.get_by_label("The organisation").select_option(label="Legal Aid North")
    page.get_by_label("Legal advice or representation").check()
    page.get_by_label("Identity", exact=False).check()
    page.get_by_label("Written").check()
    page.get_by_role("button", name="Save the consent").click()
    page.get_by_text("Consent to share recorded.").wait_for()
    given = case.sharing_consents.get(partner=partner)
    assert given.purpose == "legal" and given.categories == ["identity"] and given.expires_on
    page.context.close()
