"""Every data-protection page, as the data-protection officer sees it, at 390 px and 1280 px, in
English and in French (her preferred language, applied when she signs in): no page scrolls
sideways, each has one first-level heading, every cell of a table says which column it is in
(the phone layout shows it), and axe-core finds nothing serious. Screenshots go to
test-results/data-protection-pages/."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import ContactPreference, ThirdParty
from dataprotection.models import Erasure, LegalHold
from dataprotection.services import copy as copy_services
from dataprotection.services import delivery as delivery_services
from dataprotection.services import records
from tests import factories
from tests.browser.conftest import problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "data-protection-pages"
WIDTHS = (390, 1280)
# Cells of a table body without data-label, outside tables that scroll on their own.
UNLABELLED = """[...document.querySelectorAll('main tbody td:not([data-label]):not([colspan])')]
    .filter(td => !td.closest('.table-scroll')).length"""


@pytest.fixture
def world():
    north = factories.make_team("North")
    cara = factories.caseworker(north, "Cara")
    dana = factories.dpo("Dana")
    case = factories.make_full_case(cara, given_name="Amira", family_name="Haddad")
    ThirdParty.objects.create(case=case, role="feared", name="Marek Kowalczyk")
    case_services.note_add(case=case, actor=cara, body="Marek Kowalczyk came to the door.")
    ContactPreference.objects.update_or_create(case=case, method="text", defaults={"is_safe": True})
    received = factories.make_access_request(case, logged_by=dana, identity_checked=False)
    preparing = factories.make_access_request(case, logged_by=dana)
    copy_services.copy_draft_make(actor=dana, request=preparing)
    approved = factories.approved_request(case, logged_by=dana)
    delivery_services.delivery_prepare(actor=dana, request=approved)
    closed = factories.make_full_case(cara)
    case_services.case_close(case=closed, actor=cara, reason="Support ended")
    erasure = Erasure.objects.create(
        case=closed,
        case_reference=closed.reference,
        basis=Erasure.Basis.SCHEDULE,
        due_since=timezone.localdate(),
    )
    LegalHold.objects.create(
        case=factories.make_full_case(cara),
        reason="A court case is open.",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
        placed_by=dana,
    )
    records.processing_prefill(actor=dana)
    breach = records.breach_log(
        actor=dana,
        discovered_at=timezone.now() - datetime.timedelta(hours=5),
        occurred_at=None,
        description="A laptop was left on a train.",
        data_categories=["identity", "contact_details"],
        people_affected=3,
    )
    dp = "dataprotection:"
    pages = {
        "dashboard": reverse(dp + "dashboard"),
        "requests": reverse(dp + "requests"),
        "request-new": reverse(dp + "request_new"),
        "request-received": reverse(dp + "request", args=[received.pk]),
        "request-preparing": reverse(dp + "request", args=[preparing.pk]),
        "copy-prepare": reverse(dp + "copy_prepare", args=[preparing.pk]),
        "copy-review": reverse(dp + "copy_review", args=[approved.pk]),
        "copy-log": reverse(dp + "copy_log", args=[preparing.pk]),
        "delivery": reverse(dp + "delivery", args=[approved.pk]),
        "public-copy": "/copy/AAAAAAAAAAAAAAAAAAAAAA/",
        "retention": reverse(dp + "retention_schedule"),
        "retention-rule": reverse(dp + "retention_rule", args=["closed_case"]),
        "erasures": reverse(dp + "erasures"),
        "erasure": reverse(dp + "erasure", args=[erasure.pk]),
        "legal-holds": reverse(dp + "legal_holds"),
        "processing": reverse(dp + "processing"),
        "breaches": reverse(dp + "breaches"),
        "breach-new": reverse(dp + "breach_log"),
        "breach": reverse(dp + "breach", args=[breach.pk]),
        "profile": reverse(dp + "profile"),
    }
    return {"dana": dana, "pages": pages}


def signed_in_context(browser, live_server, user, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, user.email, factories.PASSWORD)
    page.get_by_label("Code").fill(factories.totp_code(factories.totp_secret(user)))
    page.get_by_role("button", name=re.compile("Sign In|Sign in")).click()
    page.get_by_role("heading", name=re.compile("Welcome|Bienvenue")).wait_for()
    return context, page


def test_every_data_protection_page_fits_and_reads_in_both_languages(browser, live_server, world):
    dana, pages = world["dana"], world["pages"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    context, page = signed_in_context(browser, live_server, dana, WIDTHS[0])
    for language, switch in (("en-gb", None), ("fr", "Français")):
        if switch:  # the language switcher, on the page in hand
            page.locator(".language-switch").first.get_by_role("button", name=switch).click()
            page.wait_for_load_state()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, url in pages.items():
                where = f"{name} {language} {width}px"
                response = page.goto(url)
                if "/accounts/" in page.url:
                    found.append(f"{where}: sent to {page.url}")
                if response.status != 200:
                    found.append(f"{where}: answered {response.status}")
                lang = page.evaluate("document.documentElement.lang")
                if not lang.startswith(language[:2]):
                    found.append(f"{where}: page in {lang!r}")
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    found.append(f"{where}: {scroll} px wide")
                # (The review shows the copy as it goes, with the copy's own heading.)
                headings = page.locator("h1:not(.copy-review h1)").count()
                if headings != 1:
                    found.append(f"{where}: {headings} h1")
                if width == WIDTHS[0] and page.evaluate(UNLABELLED):
                    found.append(f"{where}: table cells without data-label")
                if width == WIDTHS[-1] and language == "en-gb":
                    found.extend(f"{where}: {p}" for p in problems(page))
                page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
    context.close()
    assert not found, "\n".join(found)
