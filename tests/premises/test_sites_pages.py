"""Sites: who sees them, who adds and edits them, and what a refused or conflicting edit
keeps. North's refuge and office; Cara works in North, Sofia supervises it; Sam and Stan are
South's caseworker and supervisor; Aud is an auditor."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from premises.models import Site
from premises.services import sites as services
from tests import factories
from victimsupport import limits
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

REFUGE_ADDRESS = "9 Wicklow Passage, Emberfield"
OFFICE_ADDRESS = "41 Tannery Quay, Emberfield"


@pytest.fixture
def w(north):
    south = factories.make_team("South")
    sofia = factories.supervisor(north, "Sofia")
    w = {
        "north": north,
        "south": south,
        "cara": factories.caseworker(north, "Cara"),
        "sofia": sofia,
        "sam": factories.caseworker(south, "Sam"),
        "stan": factories.supervisor(south, "Stan"),
        "aud": factories.make_user("Aud", role=Role.AUDITOR),
        "dana": factories.dpo("Dana"),
    }
    w["refuge"] = factories.make_site(
        north, kind="refuge", name="Harbour house", address=REFUGE_ADDRESS, created_by=sofia
    )
    w["office"] = factories.make_site(
        north, kind="office", name="North office", address=OFFICE_ADDRESS, created_by=sofia
    )
    return w


def page(client, user, name, *args, method="get", data=None):
    client.force_login(user)
    url = reverse(name, args=args)
    return client.post(url, data or {}) if method == "post" else client.get(url)


def site_data(**changes):
    data = {
        "name": "Riverside office",
        "kind": "office",
        "address": "3 Mill Lane, Emberfield",
        "opening": "walk_in",
        "walk_in_hours": "Tuesday 10:00 to 13:00",
        "status": "open",
    }
    data.update(changes)
    return data


# --- Who sees what ---------------------------------------------------------------------------


def test_north_staff_see_their_sites_with_the_address(client, w):
    for user in (w["cara"], w["sofia"]):
        response = page(client, user, "premises:site", w["refuge"].pk)
        assert response.status_code == 200
        assert REFUGE_ADDRESS in response.text and "Harbour house" in response.text
    listing = page(client, w["cara"], "premises:sites")
    assert "Harbour house" in listing.text and "North office" in listing.text
    # Never an address in a list.
    assert REFUGE_ADDRESS not in listing.text and OFFICE_ADDRESS not in listing.text


def test_the_site_page_writes_an_access_entry(client, w):
    mark = factories.audit_mark()
    page(client, w["cara"], "premises:site", w["refuge"].pk)
    entry = AuditEntry.objects.get(seq__gt=mark, action=AuditEntry.Action.ACCESS)
    assert entry.actor == w["cara"] and entry.object_pk == str(w["refuge"].pk)


def test_another_team_gets_404_for_every_north_site_page(client, w):
    for user in (w["sam"], w["stan"]):
        for name in ("premises:site", "premises:site_edit"):
            for site in (w["refuge"], w["office"]):
                assert page(client, user, name, site.pk).status_code == 404
                posted = page(client, user, name, site.pk, method="post").status_code
                assert posted == (405 if name == "premises:site" else 404)
        listing = page(client, user, "premises:sites")
        assert listing.status_code == 200
        assert "Harbour house" not in listing.text and "North office" not in listing.text


def test_an_auditor_sees_every_site_but_never_a_refuges_address(client, w):
    listing = page(client, w["aud"], "premises:sites")
    # A refuge by number (its name can place it), an office by name.
    assert f"Refuge no. {w['refuge'].pk}" in listing.text and "North office" in listing.text
    refuge = page(client, w["aud"], "premises:site", w["refuge"].pk)
    assert refuge.status_code == 200
    assert REFUGE_ADDRESS not in refuge.text and "Wicklow" not in refuge.text
    assert "address is shown only to the site" in refuge.text
    office = page(client, w["aud"], "premises:site", w["office"].pk)
    assert OFFICE_ADDRESS in office.text
    # Read-only: the edit page is "may see, may not change".
    assert page(client, w["aud"], "premises:site_edit", w["office"].pk).status_code == 403
    assert "Edit the site" not in office.text


def test_other_roles_get_404(client, w):
    for name in ("premises:sites", "premises:dashboard", "premises:site_new"):
        assert page(client, w["dana"], name).status_code == 404
    assert page(client, w["dana"], "premises:site", w["office"].pk).status_code == 404
    for name in ("premises:dashboard", "premises:site_new"):
        assert page(client, w["cara"], name).status_code == 404
        assert page(client, w["aud"], name).status_code == 404


# --- Adding and editing --------------------------------------------------------------------


def test_a_supervisor_adds_a_site_to_their_team(client, w):
    assert page(client, w["sofia"], "premises:site_new").status_code == 200
    response = page(
        client,
        w["sofia"],
        "premises:site_new",
        method="post",
        data={**site_data(), "team": w["north"].pk},
    )
    site = Site.objects.get(team=w["north"], kind="office", opening="walk_in")
    assert response.status_code == 302 and response.url == reverse("premises:site", args=[site.pk])
    assert site.name == "Riverside office" and site.created_by == w["sofia"]
    assert site.walk_in_hours == "Tuesday 10:00 to 13:00"


def test_a_supervisor_cannot_add_a_site_to_another_team(client, w):
    response = page(
        client,
        w["sofia"],
        "premises:site_new",
        method="post",
        data={**site_data(), "team": w["south"].pk},
    )
    assert response.status_code == 400
    assert not Site.objects.filter(team=w["south"]).exists()
    with pytest.raises(PermissionDenied):
        services.site_create(actor=w["sofia"], team=w["south"], **site_data())


def test_a_caseworker_may_not_add_or_edit(client, w):
    with pytest.raises(PermissionDenied):
        services.site_create(actor=w["cara"], team=w["north"], **site_data())
    response = page(client, w["cara"], "premises:site_edit", w["office"].pk)
    assert response.status_code == 403
    posted = page(
        client, w["cara"], "premises:site_edit", w["office"].pk, method="post", data=site_data()
    )
    assert posted.status_code == 403
    with pytest.raises(MaySeeNotChange):
        services.site_update(
            actor=w["cara"], site=w["office"], version=w["office"].version, name="Renamed"
        )
    # Another team's supervisor may not either.
    with pytest.raises(MaySeeNotChange):
        services.site_update(
            actor=w["stan"], site=w["office"], version=w["office"].version, name="Renamed"
        )
    w["office"].refresh_from_db()
    assert w["office"].name == "North office"
    assert "Edit the site" not in page(client, w["cara"], "premises:site", w["office"].pk).text


def test_the_supervisor_edits_a_site(client, w):
    office = w["office"]
    form = page(client, w["sofia"], "premises:site_edit", office.pk)
    assert form.status_code == 200 and OFFICE_ADDRESS in form.text
    response = page(
        client,
        w["sofia"],
        "premises:site_edit",
        office.pk,
        method="post",
        data={**site_data(name="North office, ground floor"), "version": office.version},
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.name == "North office, ground floor" and office.version == 2


def test_an_edit_conflict_keeps_what_was_typed_and_shows_what_is_saved(client, w):
    office = w["office"]
    read_at = office.version
    services.site_update(actor=w["sofia"], site=office, version=read_at, name="Renamed by Sam")
    response = page(
        client,
        w["sofia"],
        "premises:site_edit",
        office.pk,
        method="post",
        data={**site_data(name="My new name"), "version": read_at},
    )
    assert response.status_code == 409
    assert "My new name" in response.text and "Renamed by Sam" in response.text
    assert "Someone else saved changes here" in response.text
    office.refresh_from_db()
    assert office.name == "Renamed by Sam"


def test_bad_input_says_what_to_correct_and_keeps_what_was_typed(client, w):
    too_long = "x" * (limits.ADDRESS + 1)
    response = page(
        client,
        w["sofia"],
        "premises:site_new",
        method="post",
        data={**site_data(name="", address=too_long), "team": w["north"].pk},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "name" in form.errors and "address" in form.errors
    assert f"Keep this under {limits.ADDRESS} characters" in response.text
    assert too_long in response.text and "Tuesday 10:00 to 13:00" in response.text
    assert not Site.objects.filter(opening="walk_in").exists()


def test_a_service_refusal_is_shown_next_to_its_field(client, w):
    office = w["office"]
    response = page(
        client,
        w["sofia"],
        "premises:site_edit",
        office.pk,
        method="post",
        data={**site_data(walk_in_hours="   "), "version": office.version},
    )
    assert response.status_code == 400
    assert "Say when the walk-in hours are." in response.text
    assert "Riverside office" in response.text
    office.refresh_from_db()
    assert office.name == "North office" and office.version == 1
    refuge = page(
        client,
        w["sofia"],
        "premises:site_edit",
        w["refuge"].pk,
        method="post",
        data={**site_data(kind="refuge"), "version": w["refuge"].version},
    )
    assert refuge.status_code == 400 and "A refuge takes no walk-ins" in refuge.text


def test_an_auditor_reads_a_refuge_by_number_never_by_its_name(client, w):
    refuge = w["refuge"]
    pages = [
        page(client, w["aud"], "premises:sites"),
        page(client, w["aud"], "premises:site", refuge.pk),
        page(client, w["aud"], "premises:photos", refuge.pk),
        page(client, w["aud"], "premises:escape_plan", refuge.pk),
        page(client, w["aud"], "premises:security_assessments", refuge.pk),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert "Harbour house" not in body
    assert f"Refuge no. {refuge.pk}" in pages[0].content.decode()
    assert "North office" in pages[0].content.decode()  # an office's name places nothing
    # The site's own staff read its name.
    assert "Harbour house" in page(client, w["cara"], "premises:site", refuge.pk).content.decode()
