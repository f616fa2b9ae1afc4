"""Bad input through the pages, as a signed-in user of the right role posts it: the pieces the
apps' ``test_properties_pages.py`` share. Each app lists its pages in a table of ``Page``s
(the address, who posts, the form the page binds, the models a refusal must leave as they
were); one property is checked for every row:

- the page never answers a server error (the test client re-raises it, so Hypothesis shows
  and shrinks the input that caused it);
- when it refuses (anything but a redirect: the form again with its errors, 400, 409, 403),
  the listed models hold exactly the rows they held before, field by field, and no change
  entry was added to the audit log.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests.properties import any_text, form_data, numbers, post_body, small_text


@dataclass
class Scene:
    """One of everything the pages act on, with the people who act on it: Cara (caseworker,
    North, trained), Sofia (supervisor, North), Dana (data protection), Pat (of the partner
    a referral was sent to), Ada (administrator)."""

    north: Any
    cara: Any
    sofia: Any
    dana: Any
    pat: Any
    ada: Any
    case: Any
    draft: Any
    assessment: Any
    partner: Any
    draft_referral: Any
    sent_referral: Any
    access_request: Any
    site: Any
    security_assessment: Any
    delivery_link: str
    safety_public_id: Any


def build_scene() -> Scene:
    from cases import intake
    from cases.models import ConfidentialityNotice
    from dataprotection.models import Delivery
    from referrals.models import Referral
    from risk import services as risk_services
    from victimsupport.access import Role

    north = factories.make_team("North")
    cara = factories.caseworker(north)
    factories.train(cara)
    sofia = factories.supervisor(north)
    dana = factories.dpo()
    ada = factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)
    case = factories.make_full_case(cara)
    notice = ConfidentialityNotice.objects.first()
    draft = intake.draft_start(owner=cara, team=north)
    intake.draft_save_step(draft=draft, step="safety", answers={"safe_to_talk": "yes"})
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    assessment = risk_services.assessment_start(
        case=case, actor=cara, version=factories.default_version()
    )
    partner = factories.make_partner("Harbour Refuge")
    factories.make_agreement(partner, recorded_by=sofia)
    factories.make_sharing_consent(case, partner, recorded_by=cara)
    draft_referral = Referral.objects.create(
        case=case,
        partner=partner,
        purpose="housing",
        message="Please call",
        categories=["needs"],
        created_by=cara,
    )
    sent = factories.sent_referral(case, partner, by=cara)
    pat = factories.partner_user(partner)
    access_request = factories.approved_request(case, logged_by=dana)
    link = "link" + "7" * 28
    Delivery.objects.create(
        request=access_request,
        pdf=factories.blank_pdf(),
        passphrase="a passphrase",
        link_id=link,
        link_secret_hash="e" * 64,
        link_expires_at=timezone.now() + datetime.timedelta(days=7),
        created_by=dana,
    )
    site = factories.make_site(north, created_by=sofia)
    security_assessment = factories.make_security_assessment(site, cara)
    factories.make_incident(site, cara)
    factories.make_safety_page(site, sofia, status="published")
    return Scene(
        north=north,
        cara=cara,
        sofia=sofia,
        dana=dana,
        pat=pat,
        ada=ada,
        case=case,
        draft=draft,
        assessment=assessment,
        partner=partner,
        draft_referral=draft_referral,
        sent_referral=sent,
        access_request=access_request,
        site=site,
        security_assessment=security_assessment,
        delivery_link=link,
        safety_public_id=site.public_id,
    )


@dataclass
class Page:
    """A row of an app's table: ``url`` and ``forms`` take the scene; ``extra`` is posted
    besides the forms' fields (a button's name), drawn from its strategy."""

    name: str
    role: str
    url: Callable[[Scene], str]
    forms: Callable[[Scene], list[forms.BaseForm]]
    models: tuple[str, ...]
    extra: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    # Posted to check the page is reached at all (a field outside the form that chooses it).
    reach: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def url(name: str, **kwargs: Callable[[Scene], Any]) -> Callable[[Scene], str]:
    return lambda s: reverse(name, kwargs={k: f(s) for k, f in kwargs.items()})


def snapshot(labels: tuple[str, ...]) -> dict[str, list[str]]:
    """Every row of each model, every field: an update is seen as well as an insert."""
    out = {}
    for label in labels:
        model = apps.get_model(label)
        names = [f.attname for f in model._meta.concrete_fields]
        rows = model._base_manager.order_by("pk").values_list(*names)
        out[label] = [repr(row) for row in rows]
    return out


def audit_writes() -> int:
    from victimsupport.audit.models import AuditEntry

    return AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS).count()


@st.composite
def page_post(draw: Any, page: Page, scene: Scene) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for form in page.forms(scene):
        data, files = draw(form_data(form))
        body.update(post_body(data, files))
    for key, strategy in page.extra.items():
        body[key] = draw(strategy)
    return body


def rewind_files(body: dict[str, Any]) -> None:
    # The same example may be posted again while Hypothesis shrinks it.
    for value in body.values():
        if hasattr(value, "seek"):
            value.seek(0)


def check_post(client: Any, page: Page, scene: Scene, body: dict[str, Any]) -> Any:
    before, writes = snapshot(page.models), audit_writes()
    rewind_files(body)
    response = client.post(page.url(scene), body)
    assert response.status_code < 500, response.status_code
    if response.status_code != 302:
        assert audit_writes() == writes, "a refused post wrote to the audit log"
        after = snapshot(page.models)
        for label in page.models:
            assert after[label] == before[label], f"a refused post changed {label}"
    return response


def signed_in(client: Any, scene: Scene, role: str) -> Any:
    client.force_login(getattr(scene, role))
    return client


@pytest.fixture
def scene(db, settings):
    settings.MFA_ENFORCE = False  # force_login has no second factor
    return build_scene()


# A query string as anyone may type one: the names the pages read (an id to start from, a
# page number, a language) with any value, and any name at all.
QUERY_NAMES = ["incident", "finding", "for", "page", "lang", "language", "next", "q", "kind"]
queries = st.dictionaries(
    st.one_of(st.sampled_from(QUERY_NAMES), small_text.filter(bool)),
    st.one_of(numbers, any_text(200), st.lists(small_text, max_size=3)),
    max_size=4,
)


# Values that have broken such readers, each sent for every name at once (a property with
# few examples would seldom draw one of them for the one name a page reads).
TRICKY = [
    "²",
    "٣",
    "9" * 5000,
    str(2**64),
    "-1",
    " 1",
    "1.5",
    "NaN",
    "",
    "\x00",
    "a\x00b",
    "x" * 300,
    "\u202e",
    "%",
    "../",
]


def page_tests(pages: list[Page]) -> tuple[Callable, ...]:
    """The tests of an app's table: each page is reached by its role (so the property is not
    met by a 404), the property itself, and the page shown with any query string."""

    @pytest.mark.parametrize("page", pages, ids=str)
    def test_the_page_is_reached(client, scene, page):
        response = signed_in(client, scene, page.role).post(page.url(scene), page.reach)
        assert response.status_code not in (403, 404, 405)

    @pytest.mark.parametrize("page", pages, ids=str)
    @given(data=st.data())
    def test_bad_input_is_refused_and_nothing_is_stored(client, scene, page, data):
        body = data.draw(page_post(page, scene), label="posted")
        check_post(signed_in(client, scene, page.role), page, scene, body)

    @pytest.mark.parametrize("page", pages, ids=str)
    @given(query=queries)
    def test_the_page_given_any_query_never_fails(client, scene, page, query):
        client = signed_in(client, scene, page.role)
        response = client.get(page.url(scene) + "?" + urlencode(query, doseq=True))
        assert response.status_code < 500

    @pytest.mark.parametrize("page", pages, ids=str)
    def test_the_page_given_tricky_queries_never_fails(client, scene, page):
        client = signed_in(client, scene, page.role)
        for value in TRICKY:
            query = urlencode(dict.fromkeys(QUERY_NAMES, value))
            assert client.get(page.url(scene) + "?" + query).status_code < 500, value

    return (
        test_the_page_is_reached,
        test_the_page_given_tricky_queries_never_fails,
        test_bad_input_is_refused_and_nothing_is_stored,
        test_the_page_given_any_query_never_fails,
    )
