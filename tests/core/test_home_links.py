"""No role's home offers a link that refuses them: every link on the home page (tiles and the
header's navigation) is followed as each role and must answer neither 403 nor 404. And the
data-protection officer's home shows their work, not an empty case list."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from tests import factories
from victimsupport.access import Role
from victimsupport.audit.services import record_refusal

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)"')


def links_on(html: str) -> set[str]:
    return {
        href.replace("&amp;", "&") for href in HREF.findall(html) if not href.startswith("/static/")
    }


def user_for(role: str):
    team = factories.make_team()
    return factories.make_user("Pat", role=role, teams=(team,), is_staff=role == Role.ADMINISTRATOR)


@pytest.mark.parametrize("role", Role.values)
def test_every_link_on_home_answers_the_role(client, settings, role):
    settings.MFA_ENFORCE = False
    client.force_login(user_for(role))
    home = client.get("/")
    assert home.status_code == 200
    links = links_on(home.text)
    assert len(links) >= 3  # home, security and the role's own tiles at least
    refused = {}
    for link in sorted(links):
        status = client.get(link).status_code
        if status in (403, 404):
            refused[link] = status
    assert refused == {}


def test_a_user_with_every_role_is_refused_no_link_either(client, settings):
    settings.MFA_ENFORCE = False
    user = factories.make_user("All", teams=(factories.make_team(),), is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=Role.values))
    client.force_login(user)
    for link in sorted(links_on(client.get("/").text)):
        assert client.get(link).status_code not in (403, 404), link


def test_data_protection_officer_home_shows_their_work(client, settings, cara):
    settings.MFA_ENFORCE = False
    record_refusal(actor=cara, route="cases:detail", status=404)
    record_refusal(actor=cara, route="cases:note_add", status=403)
    client.force_login(user_for(Role.DATA_PROTECTION_OFFICER))
    page = client.get("/")
    text = page.text
    assert "As data-protection officer" in text
    for tile in ("Audit log", "Refused access", "Exports and downloads"):
        assert tile in text
    assert 'href="/audit/?kind=refused"' in text
    figures = {f["text"]: f["value"] for f in page.context["dpo_figures"]}
    assert figures["refused accesses recorded in the last 7 days"] == 2
    assert figures["hours before an unfinished intake and its answers are deleted"] == (
        settings.INTAKE_DRAFT_HOURS
    )
    assert "New intake" not in text and "My cases" not in text
    assert "/cases/" not in links_on(text)


def test_the_refused_access_tile_lists_refusals(client, settings, cara):
    settings.MFA_ENFORCE = False
    record_refusal(actor=cara, route="cases:detail", status=404)
    client.force_login(user_for(Role.DATA_PROTECTION_OFFICER))
    rows = client.get("/audit/?kind=refused").context["rows"]
    assert [row.what for row in rows] == ["Refused access"]
    assert rows[0].who == "Cara"


@pytest.mark.parametrize(
    ("role", "tile", "nav"),
    [
        (Role.SUPERVISOR, "/premises/", "/premises/"),
        (Role.CASEWORKER, "/premises/sites/", "/premises/sites/"),
        (Role.AUDITOR, "/premises/sites/", "/premises/sites/"),
    ],
)
def test_premises_is_offered_to_the_roles_that_use_it(client, settings, role, tile, nav):
    settings.MFA_ENFORCE = False
    client.force_login(user_for(role))
    links = links_on(client.get("/").text)
    assert tile in links and nav in links
    # A supervisor's navigation has the dashboard, which links to the sites, not both.
    if role == Role.SUPERVISOR:
        assert "/premises/sites/" not in links


def test_premises_is_not_offered_to_other_roles(client, settings):
    settings.MFA_ENFORCE = False
    for role in (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR, Role.PARTNER):
        client.force_login(user_for(role))
        # The administrator keeps the checklists in the administration, not the premises pages.
        links = links_on(client.get("/").text)
        assert not {link for link in links if link.startswith("/premises/")}
