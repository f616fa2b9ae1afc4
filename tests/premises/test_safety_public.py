"""The public "Your safety here" page: no sign-in, only a published version, nothing else of
the system, the language switch, the quick exit; and the sensitive-terms list's pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premises.models import PageStatus, SensitiveTerm
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia(north):
    user = factories.supervisor(north, "Sofia")
    user.last_name = "Marchetti"
    user.save()
    return user


@pytest.fixture
def site(north, sofia):
    return factories.make_site(north, kind="refuge", name="Lantern House", created_by=sofia)


def public_url(site):
    return reverse("safety_page_public", kwargs={"public_id": site.public_id})


def test_only_a_published_version_is_public(client, site, sofia):
    assert client.get(public_url(site)).status_code == 404
    page = factories.make_safety_page(site, sofia, status=PageStatus.SUBMITTED)
    assert client.get(public_url(site)).status_code == 404
    page.status = PageStatus.PUBLISHED
    page.save()
    since = factories.audit_mark()
    response = client.get(public_url(site))
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(seq__gt=since, action=AuditEntry.Action.ACCESS).exists()
    site.status = "closed"
    site.save()
    assert client.get(public_url(site)).status_code == 404


def test_an_unknown_id_is_404(client):
    assert client.get("/safety/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_it_shows_the_text_and_nothing_else(client, site, sofia, settings):
    settings.QUICK_EXIT_URL = "https://weather.example/"
    factories.make_safety_page(
        site,
        sofia,
        status=PageStatus.PUBLISHED,
        body_en="First paragraph <b>bold</b>.\n\nSecond paragraph.",
    )
    response = client.get(public_url(site))
    page = response.content.decode()
    assert "<p>First paragraph &lt;b&gt;bold&lt;/b&gt;.</p>" in page
    assert "<p>Second paragraph.</p>" in page
    for secret in ("Lantern House", factories.REFUGE_ADDRESS, "Lantern Row", "Sofia", "Marchetti"):
        assert secret not in page, secret
    assert 'class="site-header"' not in page and "<nav" not in page and "/cases/" not in page
    assert '<meta name="robots" content="noindex">' in page
    assert "<title>Information</title>" in page
    assert 'id="quick-exit" href="https://weather.example/"' in page
    assert page.index('id="quick-exit"') < page.index("<main")
    assert "history" in page  # says honestly what the quick exit does not erase
    assert "css/safety_print.css" in page
    assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]


def test_the_language_switch_works_without_signing_in(client, site, sofia):
    factories.make_safety_page(site, sofia, status=PageStatus.PUBLISHED)
    page = client.get(public_url(site)).content.decode()
    # Plain links read by the view: no form, no token (review finding M4).
    assert "Your safety here" in page and 'href="?lang=fr"' in page
    assert "<form" not in page and "csrfmiddlewaretoken" not in page
    page = client.get(public_url(site) + "?lang=fr").content.decode()
    assert "Votre sécurité ici" in page and "Your safety here" not in page
    assert '<html lang="fr">' in page and 'href="?lang=en-gb"' in page
    assert 'id="quick-exit"' in page
    page = client.get(public_url(site) + "?lang=en-gb").content.decode()
    assert "Your safety here" in page and '<html lang="en-gb">' in page


# --- The sensitive-terms list -------------------------------------------------------------


def test_terms_list_for_staff_only(client, north, site, sofia):
    factories.make_sensitive_term(site, sofia, term="4711")
    factories.make_sensitive_term(None, sofia, kind="other", term="Café Rivière")
    other = factories.make_site(factories.make_team("South"))
    factories.make_sensitive_term(other, sofia, term="9999")
    cara = factories.caseworker(north, "Cara")
    client.force_login(cara)
    page = client.get(reverse("premises:sensitive_terms")).content.decode()
    assert "4711" in page and "Café Rivière" in page and "9999" not in page
    assert "Add a term" not in page
    before = SensitiveTerm.objects.count()
    refused = client.post(reverse("premises:sensitive_terms"), {"kind": "other", "term": "x"})
    assert refused.status_code == 403 and SensitiveTerm.objects.count() == before
    client.force_login(factories.make_user("Ava", role=Role.AUDITOR))
    assert client.get(reverse("premises:sensitive_terms")).status_code == 404


def test_a_supervisor_adds_and_removes_a_term(client, site, sofia, django_assert_max_num_queries):
    client.force_login(sofia)
    response = client.post(
        reverse("premises:sensitive_terms"),
        {"kind": "street", "term": " the  blue gate ", "site": site.pk},
    )
    assert response.status_code == 302
    term = SensitiveTerm.objects.get()
    assert term.term == "the blue gate" and term.site == site
    assert "blue gate" not in str(
        list(AuditEntry.objects.filter(object_pk=str(term.pk)).values_list("changes", flat=True))
    )
    for n in range(5):
        factories.make_sensitive_term(site, sofia, term=f"term {n}")
    with django_assert_max_num_queries(20):
        client.get(reverse("premises:sensitive_terms"))
    remove = reverse("premises:sensitive_term_remove", kwargs={"term_id": term.pk})
    assert "the blue gate" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not SensitiveTerm.objects.filter(pk=term.pk).exists()


def test_a_caseworker_may_not_remove_a_term(client, north, site, sofia):
    term = factories.make_sensitive_term(site, sofia)
    client.force_login(factories.caseworker(north, "Cara"))
    remove = reverse("premises:sensitive_term_remove", kwargs={"term_id": term.pk})
    assert client.post(remove).status_code == 403
    assert SensitiveTerm.objects.filter(pk=term.pk).exists()


def test_the_page_gives_its_own_tab_icon_so_the_browser_fetches_nothing_that_leaves_a_cookie(
    client, site, sofia
):
    # Without an icon of its own, a browser asks for /favicon.ico; that answer must leave
    # no cookie either (it is a redirect to the staff's icon).
    assert not client.get("/favicon.ico").cookies
    factories.make_safety_page(site, sofia, status=PageStatus.PUBLISHED)
    for path in (public_url(site), "/safety/00000000-0000-0000-0000-000000000000/"):
        response = client.get(path)
        assert '<link rel="icon" href="data:,">' in response.content.decode()
        assert "favicon" not in response.content.decode()  # the template's comment stays one
        assert not response.cookies
