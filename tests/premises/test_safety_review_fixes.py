"""Review findings on the safety part beyond the check itself: whoever changed a version may
not publish it (M3), the public page leaves no cookie and answers its own 404 (M4, L1),
published pages the check now refuses are shown (M6), the sensitive-terms list is audited
(L2), and what is saved is what was checked (H4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premises.models import PageStatus, Site
from premises.selectors.safety import published_pages_now_failing, site_panel
from premises.services import safety as services
from tests import factories
from victimsupport.access import MaySeeNotChange
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CLEAN = {
    "title_en": "Your safety here",
    "body_en": "We see people by appointment.",
    "title_fr": "Votre sécurité ici",
    "body_fr": "Nous recevons sur rendez-vous.",
}


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "sam": factories.supervisor(north, "Sam"),
        "tess": factories.supervisor(north, "Tess"),
    }


@pytest.fixture
def site(north, people):
    return factories.make_site(north, kind="refuge", address="12 Lantern Row\nHarbourside")


def public_url(site):
    return reverse("safety_page_public", kwargs={"public_id": site.public_id})


# --- M3: four eyes over everyone who wrote the version ------------------------------------


def test_a_supervisor_who_changed_a_colleagues_draft_may_not_publish_it(site, people):
    page = services.safety_page_create(actor=people["cara"], site=site, **CLEAN)
    page = services.safety_page_update(
        actor=people["sam"], page=page, version=page.version, **{**CLEAN, "body_en": "Changed."}
    )
    services.safety_page_submit(actor=people["cara"], page=page)
    with pytest.raises(MaySeeNotChange, match="You changed this version"):
        services.safety_page_publish(actor=people["sam"], page=page)
    page.refresh_from_db()
    assert page.status == PageStatus.SUBMITTED
    assert set(page.editors.all()) == {people["cara"], people["sam"]}
    services.safety_page_publish(actor=people["tess"], page=page)
    page.refresh_from_db()
    assert page.status == PageStatus.PUBLISHED and page.published_by == people["tess"]


def test_the_preview_hides_publish_from_whoever_changed_it(client, site, people):
    page = services.safety_page_create(actor=people["cara"], site=site, **CLEAN)
    services.safety_page_update(actor=people["sam"], page=page, version=page.version, **CLEAN)
    services.safety_page_submit(actor=people["cara"], page=page)
    client.force_login(people["sam"])
    url = reverse("premises:safety_page", kwargs={"site_id": site.pk, "page_id": page.pk})
    html = client.get(url).content.decode()
    assert "You wrote or changed this version" in html
    assert (
        reverse("premises:safety_page_publish", kwargs={"site_id": site.pk, "page_id": page.pk})
        not in html
    )


# --- H4: what is saved is what was checked ---------------------------------------------------


def test_invisible_characters_are_not_saved(site, people):
    page = services.safety_page_create(
        actor=people["cara"], site=site, **{**CLEAN, "body_en": "We see\u200b people\u00ad."}
    )
    assert page.body_en == "We see people."
    page = services.safety_page_update(
        actor=people["cara"],
        page=page,
        version=page.version,
        **{**CLEAN, "title_fr": "Votre\u2060 sécurité"},
    )
    page.refresh_from_db()
    assert page.title_fr == "Votre sécurité"


def test_an_address_hidden_by_a_zero_width_space_is_refused_at_submission(site, people):
    page = services.safety_page_create(
        actor=people["cara"], site=site, **{**CLEAN, "body_en": "At 12 Lan\u200btern Row."}
    )
    with pytest.raises(services.SensitiveTextFound):
        services.safety_page_submit(actor=people["cara"], page=page)


# --- M4 and L1: the public page -----------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?lang=en-gb", "?lang=fr", "?lang=de", "?lang=<x>"])
def test_the_public_page_sets_no_cookie(client, site, people, query):
    factories.make_safety_page(site, people["sofia"], status=PageStatus.PUBLISHED)
    response = client.get(public_url(site) + query)
    assert response.status_code == 200
    assert not response.cookies, dict(response.cookies)
    html = response.content.decode()
    assert "<form" not in html and 'id="quick-exit"' in html


def test_an_unknown_language_is_ignored(client, site, people):
    factories.make_safety_page(site, people["sofia"], status=PageStatus.PUBLISHED)
    html = client.get(public_url(site) + "?lang=de", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Votre sécurité ici" in html and '<html lang="fr">' in html


@pytest.mark.parametrize("state", ["unknown", "draft", "withdrawn", "closed"])
def test_no_page_answers_the_public_404(client, site, people, state, settings):
    settings.QUICK_EXIT_URL = "https://weather.example/"
    url = public_url(site)
    if state == "unknown":
        url = "/safety/00000000-0000-0000-0000-000000000000/"
    elif state == "draft":
        factories.make_safety_page(site, people["sofia"])
    elif state == "withdrawn":
        factories.make_safety_page(site, people["sofia"], status=PageStatus.SUPERSEDED)
    else:
        factories.make_safety_page(site, people["sofia"], status=PageStatus.PUBLISHED)
        site.status = "closed"
        site.save()
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="quick-exit" href="https://weather.example/"' in html
    assert "<title>Information</title>" in html and "Casework" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'href="/"' not in html and "/cases/" not in html and "/premises/" not in html
    assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]
    assert not response.cookies


# --- M6: published pages the check now refuses ---------------------------------------------


def test_a_published_page_that_now_matches_a_new_term_is_shown(client, site, people, north):
    page = factories.make_safety_page(
        site,
        people["sofia"],
        status=PageStatus.PUBLISHED,
        body_en="Ring the bell marked Blue Door.",
    )
    assert published_pages_now_failing([site]) == []
    factories.make_sensitive_term(site, people["sofia"], kind="other", term="Blue Door")
    [row] = published_pages_now_failing([site])
    assert row["page"] == page and row["found"][0][1].text == "Blue Door"
    # On the supervisor's dashboard, with a way to write a new version.
    client.force_login(people["sofia"])
    html = client.get(reverse("premises:dashboard")).content.decode()
    assert "Published safety pages the check now refuses (1)" in html
    assert reverse("premises:safety_page_new", kwargs={"site_id": site.pk}) in html
    # On the site's safety panel, with what matched.
    panel = site_panel(site, people["sofia"])
    assert panel["safety_now_failing"] and "Blue Door" in panel["safety_now_failing"][0]


def test_an_address_change_and_a_new_colleague_are_caught(site, people, north):
    factories.make_safety_page(
        site,
        people["sofia"],
        status=PageStatus.PUBLISHED,
        body_en="Ask Mr Okafor at Mill Lane reception.",
    )
    assert published_pages_now_failing([site]) == []
    factories.make_user("Obi", teams=(north,), last_name="Okafor")
    site.address = "4 Mill Lane\nHarbourside"
    site.save()
    [row] = published_pages_now_failing([site])
    assert {match.kind for _where, match in row["found"]} == {"surname", "address"}


def test_closed_sites_and_drafts_are_not_listed(site, people):
    factories.make_safety_page(site, people["sofia"], body_en="Code 4711.")
    assert published_pages_now_failing([site]) == []


def test_the_check_of_many_sites_takes_constant_queries(
    site, people, north, django_assert_max_num_queries
):
    def build(n):
        for i in range(n):
            other = factories.make_site(north, kind="refuge", address=f"{i + 20} Mill Lane")
            factories.make_sensitive_term(other, people["sofia"], term=f"{i + 7000}")
            factories.make_safety_page(
                other, people["sofia"], status=PageStatus.PUBLISHED, body_en=f"Code {i + 7000}."
            )

    build(2)
    with django_assert_max_num_queries(4):
        assert len(published_pages_now_failing(Site.objects.all())) == 2
    build(5)
    with django_assert_max_num_queries(4):
        assert len(published_pages_now_failing(Site.objects.all())) == 7


# --- L2: the sensitive-terms list is audited ------------------------------------------------


def test_the_terms_list_records_a_view_on_each_site_it_shows(
    client, site, people, north, django_assert_max_num_queries
):
    other = factories.make_site(north, kind="refuge")
    factories.make_sensitive_term(site, people["sofia"], term="4711")
    factories.make_sensitive_term(other, people["sofia"], term="1234")
    factories.make_sensitive_term(None, people["sofia"], kind="other", term="Blue Door")
    client.force_login(people["sofia"])
    since = factories.audit_mark()
    assert client.get(reverse("premises:sensitive_terms")).status_code == 200
    written = AuditEntry.objects.filter(
        seq__gt=since, action=AuditEntry.Action.ACCESS, actor=people["sofia"]
    )
    assert sorted(int(e.object_pk) for e in written) == sorted([site.pk, other.pk])
    assert {e.content_type.model for e in written} == {"site"}
    assert all(e.additional_data.get("page") == "sensitive_terms" for e in written)
    # A constant number of queries, whatever the number of sites.
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("premises:sensitive_terms"))
    for _ in range(5):
        more = factories.make_site(north, kind="refuge")
        factories.make_sensitive_term(more, people["sofia"], term="9876")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("premises:sensitive_terms"))
