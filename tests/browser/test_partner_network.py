"""The partner directory and the network dashboard fit a phone (390 px) without sideways
scrolling, with long names and full tables, and axe-core finds nothing serious on them.
Sofia supervises North."""

from __future__ import annotations

import datetime
from pathlib import Path

import axe_playwright_python
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import Agreement, Purpose, Referral
from tests import factories
from tests.browser.conftest import SERIOUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 768, 1280)
AXE_SOURCE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
AXE_RUN = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
LONG = "Regional Association for Emergency Accommodation and Independent Advocacy"


def _world():
    north = factories.make_team("North")
    sofia = factories.supervisor(north, "Sofia")
    cara = factories.caseworker(north, "Cara")
    case = factories.make_case(team=north, assigned_to=cara)
    today = timezone.localdate()
    partners = []
    for i, kind in enumerate(["refuge", "health", "legal_aid"]):
        partner = services.partner_create(
            actor=sofia,
            name=f"{LONG} {i}",
            kind=kind,
            channel="protected_pdf",
            contacts="Mira Okafor-Vandenberghe, +32 470 12 34 56, mira.okafor@example.org",
            services="Emergency beds, advocacy, court accompaniment, children's support",
        )
        services.agreement_add(
            partner=partner,
            actor=sofia,
            type=Agreement.Type.JOINT_CONTROLLER,
            purposes=list(Purpose.values),
            categories=["identity", "contact_details", "risk", "needs", "safety"],
            valid_from=today - datetime.timedelta(days=300),
            valid_to=today + datetime.timedelta(days=30 * i - 10),
            review_on=today + datetime.timedelta(days=20),
            signed_copy=("signed.pdf", "application/pdf", factories.blank_pdf()),
        )
        services.meeting_add(
            partner=partner,
            actor=sofia,
            held_on=today - datetime.timedelta(days=400 * (i % 2) + 3),
            attendees="Sofia, Mira Okafor-Vandenberghe, the refuge's coordinator",
            notes="Went through the referral protocol and the new consent form together.",
        )
        for status in Referral.Status.values:
            sent = timezone.now() - datetime.timedelta(days=40 * i + 2)
            Referral.objects.create(
                case=case,
                partner=partner,
                purpose=Purpose.SAFETY,
                message="x",
                categories=["identity"],
                status=status,
                created_by=cara,
                sent_at=None if status in ("draft", "awaiting_approval") else sent,
                answered_at=sent + datetime.timedelta(hours=5)
                if status in ("accepted", "declined", "completed")
                else None,
            )
        partners.append(partner)
    agreement = Agreement.objects.filter(partner=partners[0]).get()
    urls = [
        reverse("referrals:dashboard"),
        reverse("referrals:directory"),
        reverse("referrals:partner", args=[partners[0].pk]),
        reverse("referrals:partner_add"),
        reverse("referrals:partner_edit", args=[partners[0].pk]),
        reverse("referrals:agreement_add", args=[partners[0].pk]),
        reverse("referrals:agreement_edit", args=[agreement.pk]),
        reverse("referrals:meeting_add", args=[partners[0].pk]),
    ]
    return sofia, urls


def test_the_network_pages_fit_every_width(browser, live_server, settings):
    settings.MFA_ENFORCE = False
    sofia, urls = _world()
    client = Client()
    client.force_login(sofia)
    context = browser.new_context(base_url=live_server.url)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    problems = []
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if scroll > inner:
                problems.append(f"{url} at {width} px is {scroll} px wide")
            if width == WIDTHS[0]:
                page.evaluate(AXE_SOURCE)
                for v in page.evaluate(AXE_RUN):
                    if v.get("impact") in SERIOUS:
                        problems.append(
                            f"{url}: axe {v['id']} {[n['target'] for n in v['nodes']][:3]}"
                        )
    context.close()
    assert not problems, "\n".join(problems)
