"""The versions of a site's safety page: writing, the check at submission and publication,
four eyes, superseding, sending back, the preview and the handout."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from premises.models import PageStatus, SafetyPage
from premises.selectors.safety import site_panel
from premises.services import safety as services
from tests import factories
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CLEAN = {
    "title_en": "Your safety here",
    "body_en": "We see people by appointment.\n\nThe door is always locked.",
    "title_fr": "Votre sécurité ici",
    "body_fr": "Nous recevons sur rendez-vous.\n\nLa porte est toujours fermée à clé.",
}


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "sam": factories.supervisor(north, "Sam"),
        "auditor": factories.make_user("Ava", role=Role.AUDITOR),
        "outsider": factories.supervisor(factories.make_team("South"), "Olu"),
    }


@pytest.fixture
def site(north, people):
    return factories.make_site(north, kind="refuge", created_by=people["sofia"])


def url(name, site, page=None, **extra):
    kwargs = {"site_id": site.pk, **({"page_id": page.pk} if page else {}), **extra}
    return reverse(f"premises:{name}", kwargs=kwargs)


def submitted(site, by, **texts):
    page = factories.make_safety_page(site, by, **{**CLEAN, **texts})
    return services.safety_page_submit(actor=by, page=page)


# --- Services -----------------------------------------------------------------------------


def test_submit_is_refused_with_each_match_and_the_draft_is_kept(site, people):
    page = factories.make_safety_page(
        site, people["cara"], **{**CLEAN, "body_fr": "Le digicode est 4711. Salle 3."}
    )
    with pytest.raises(services.SensitiveTextFound) as refused:
        services.safety_page_submit(actor=people["cara"], page=page)
    messages = refused.value.messages
    expected = 'The French text contains a door code: "digicode est 4711"'
    assert any(m.startswith(expected) for m in messages)
    assert any('a room or floor number: "Salle 3"' in m for m in messages)
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT and "4711" in page.body_fr


def test_the_title_is_checked_too(site, people):
    page = factories.make_safety_page(site, people["cara"], **{**CLEAN, "title_en": "Room 12"})
    with pytest.raises(services.SensitiveTextFound, match="English title"):
        services.safety_page_submit(actor=people["cara"], page=page)


def test_publish_is_for_a_supervisor_of_the_team_who_did_not_write_it(site, people):
    page = submitted(site, people["sofia"])
    for who in ("cara", "sofia", "outsider"):
        with pytest.raises(MaySeeNotChange):
            services.safety_page_publish(actor=people[who], page=page)
    services.safety_page_publish(actor=people["sam"], page=page)
    page.refresh_from_db()
    assert page.status == PageStatus.PUBLISHED and page.published_by == people["sam"]


def test_publish_runs_the_check_again(site, people):
    page = submitted(site, people["cara"], body_en="Ask for the blue gate.")
    factories.make_sensitive_term(site, people["sofia"], kind="street", term="blue gate")
    with pytest.raises(services.SensitiveTextFound, match='list: "blue gate"'):
        services.safety_page_publish(actor=people["sofia"], page=page)
    page.refresh_from_db()
    assert page.status == PageStatus.SUBMITTED


def test_publishing_supersedes_the_version_before(site, people):
    first = submitted(site, people["cara"])
    services.safety_page_publish(actor=people["sofia"], page=first)
    second = services.safety_page_create(actor=people["cara"], site=site, **CLEAN)
    assert second.number == 2
    services.safety_page_submit(actor=people["cara"], page=second)
    services.safety_page_publish(actor=people["sofia"], page=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PageStatus.SUPERSEDED, PageStatus.PUBLISHED)


def test_the_database_allows_one_published_version_per_site(site, people):
    factories.make_safety_page(site, people["cara"], status=PageStatus.PUBLISHED)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_safety_page(site, people["cara"], status=PageStatus.PUBLISHED)


def test_one_open_version_at_a_time(site, people):
    services.safety_page_create(actor=people["cara"], site=site, **CLEAN)
    with pytest.raises(services.ValidationError, match="not published yet"):
        services.safety_page_create(actor=people["cara"], site=site, **CLEAN)


def test_send_back_with_a_reason(site, people):
    page = submitted(site, people["cara"])
    with pytest.raises(MaySeeNotChange):
        services.safety_page_return(actor=people["cara"], page=page, reason="no")
    services.safety_page_return(actor=people["sofia"], page=page, reason="Say who to ask.")
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT and page.returned_reason == "Say who to ask."


def test_an_edit_from_a_stale_page_is_a_conflict(site, people):
    page = factories.make_safety_page(site, people["cara"], **CLEAN)
    services.safety_page_update(actor=people["cara"], page=page, version=1, **CLEAN)
    with pytest.raises(services.EditConflict):
        services.safety_page_update(actor=people["sofia"], page=page, version=1, **CLEAN)


# --- Pages --------------------------------------------------------------------------------


def test_new_version_is_filled_from_the_latest(client, site, people):
    old = factories.make_safety_page(site, people["cara"], status=PageStatus.PUBLISHED)
    client.force_login(people["cara"])
    page = client.get(url("safety_page_new", site)).content.decode()
    assert old.body_en in page and old.title_fr in page


def test_writing_needs_both_languages_and_loses_nothing(client, site, people):
    client.force_login(people["cara"])
    response = client.post(url("safety_page_new", site), {**CLEAN, "body_fr": ""})
    assert response.status_code == 400
    assert CLEAN["body_en"].split("\n")[0] in response.content.decode()
    response = client.post(url("safety_page_new", site), CLEAN)
    page = SafetyPage.objects.get(site=site)
    assert response.url == url("safety_page", site, page)


def test_submit_page_shows_what_matched(client, site, people):
    page = factories.make_safety_page(site, people["cara"], **{**CLEAN, "body_fr": "code 4711"})
    client.force_login(people["cara"])
    response = client.post(url("safety_page_submit", site, page))
    assert response.status_code == 400
    text = response.content.decode()
    assert "The French text contains a door code: &quot;code 4711&quot;" in text
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT


def test_publish_button_hidden_from_the_writer_and_from_caseworkers(client, site, people):
    page = submitted(site, people["sofia"])
    for who, shown in (("cara", False), ("sofia", False), ("sam", True)):
        client.force_login(people[who])
        body = client.get(url("safety_page", site, page)).content.decode()
        assert (url("safety_page_publish", site, page) in body) is shown, who
    client.force_login(people["sofia"])
    assert client.post(url("safety_page_publish", site, page)).status_code == 403
    client.force_login(people["sam"])
    assert client.post(url("safety_page_publish", site, page)).status_code == 302


def test_outsiders_get_404_and_auditors_see_only_published(client, site, people):
    draft = factories.make_safety_page(site, people["cara"])
    client.force_login(people["outsider"])
    assert client.get(url("safety_pages", site)).status_code == 404
    assert client.get(url("safety_page", site, draft)).status_code == 404
    client.force_login(people["auditor"])
    assert client.get(url("safety_page", site, draft)).status_code == 404
    assert client.get(url("safety_pages", site)).status_code == 200
    assert client.get(url("safety_handout", site)).status_code == 404


def test_list_query_count_is_constant(client, site, people, django_assert_max_num_queries):
    for _n in range(6):
        factories.make_safety_page(site, people["cara"], status=PageStatus.SUPERSEDED)
    client.force_login(people["sofia"])
    with django_assert_max_num_queries(20):
        assert client.get(url("safety_pages", site)).status_code == 200


def test_handout_pdf_of_the_published_version_recorded_as_export(client, site, people):
    page = factories.make_safety_page(site, people["cara"], status=PageStatus.PUBLISHED)
    client.force_login(people["cara"])
    response = client.get(url("safety_handout", site) + "?language=fr")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Votre sécurité ici" in text and "rendez-vous" in text
    assert reader.metadata.title == "Information"
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, object_pk=str(page.pk))
    entry = entries.last()
    assert entry.additional_data["access"] == "export"


def test_site_panel(site, people):
    assert site_panel(site, people["cara"])["safety_published"] is None
    page = factories.make_safety_page(site, people["cara"], status=PageStatus.PUBLISHED)
    draft = factories.make_safety_page(site, people["cara"])
    panel = site_panel(site, people["cara"])
    assert panel["safety_published"] == page and panel["safety_pending"] == draft
    assert panel["safety_public_path"] == f"/safety/{site.public_id}/"
    assert site_panel(site, people["auditor"])["safety_pending"] is None
