"""The risk assessment, its result and the safety plan in French on a phone: questions in
French, red flags by their label, no sideways scrolling at 390 px, nothing serious for axe."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.utils import translation

from risk import services
from risk.models import InstrumentVersion
from tests import factories
from tests.browser.conftest import problems
from tests.factories import full_answers, train

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def french_page(page, client, url: str) -> None:
    """``url`` as the Django test client renders it in French, shown in the browser with the
    site's own styles (the live server's middleware is loaded once, before any setting)."""
    with translation.override("fr"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    page.goto("/accounts/login/")  # the site's address, so /static/ resolves
    page.set_content(body)


@override_settings(LANGUAGES=[("en-gb", "English"), ("fr", "Français")])
def test_the_assessment_in_french_on_a_phone(browser, live_server, shot):
    services.ensure_shipped_instruments()  # a transactional test may start without them
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    north = factories.make_team("North")
    cara = factories.caseworker(north)
    train(cara)
    case = factories.make_full_case(cara)
    draft = services.assessment_start(case=case, actor=cara, version=version)
    done = services.assessment_start(case=case, actor=cara, version=version)
    services.assessment_finalise(
        assessment=done,
        version=done.version,
        actor=cara,
        answers={**full_answers(strangulation="yes"), "threats_to_kill": "yes"},
    )
    factories.with_totp(cara)  # signed in with a second factor, as MFA_ENFORCE requires
    client = Client()
    client.force_login(cara)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="fr-FR"
    )
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = {}
    for name, url in {
        "risk-fr-assessment": f"/risk/cases/{case.pk}/assessments/{draft.pk}/",
        "risk-fr-final": f"/risk/cases/{case.pk}/assessments/{done.pk}/",
        "risk-fr-safety-plan": f"/risk/cases/{case.pk}/safety-plan/",
        "risk-fr-case": f"/cases/{case.pk}/",
    }.items():
        french_page(page, client, url)
        shot(page, name)
        if name != "risk-fr-case":  # the case page's own width is another change's
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (name, width)
        found[name] = problems(page)
        text = page.inner_text("main")
        if name == "risk-fr-assessment":
            assert "Est-ce que quelqu'un vous menace encore" in text
            assert "Is someone still threatening them?" not in text
        if name in {"risk-fr-final", "risk-fr-case"}:
            assert "menaces de mort" in text and "threats_to_kill" not in text
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
