"""The actions that follow an incident are its staff's only: an auditor reads a site's other
actions (from assessments and drills) but never one that follows an incident, on any page or
through any read."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from premises.models import SiteAction
from premises.selectors.assessments import site_actions, site_panel
from tests import factories
from victimsupport.access import Role, get_for_user

pytestmark = pytest.mark.django_db

INCIDENT_TEXT = "Move the resident whose partner came to the door."


@pytest.fixture
def world(north):
    cara = factories.caseworker(north, "Cara")
    aude = factories.make_user("Aude", role=Role.AUDITOR)
    site = factories.make_site(north, kind="refuge", created_by=cara)
    assessment = factories.make_security_assessment(site, cara)
    kept = factories.make_site_action(
        site, cara, assessment=assessment, description="Fit a closer."
    )
    incident = factories.make_incident(site, cara)
    hidden = factories.make_site_action(
        site, cara, source="incident", incident=incident, description=INCIDENT_TEXT
    )
    return {"cara": cara, "aude": aude, "site": site, "kept": kept, "hidden": hidden}


def test_the_auditor_never_reads_an_incidents_action(client, world):
    aude, site = world["aude"], world["site"]
    assert list(SiteAction.objects.visible_to(aude)) == [world["kept"]]
    assert list(site_actions(site, aude)) == [world["kept"]]
    assert site_panel(site, aude)["assessments_open_actions"] == 1
    with pytest.raises(Http404):
        get_for_user(aude, SiteAction.objects.of_site(site), world["hidden"].pk)

    client.force_login(aude)
    page = client.get(reverse("premises:site_actions", args=[site.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Fit a closer." in body and INCIDENT_TEXT not in body
    # Every write is refused to an auditor before the action is looked up: the same 403 for
    # an action that follows an incident as for any other.
    for action in (world["kept"], world["hidden"]):
        done = reverse("premises:site_action_done", args=[site.pk, action.pk])
        assert client.get(done).status_code == 403
    site_page = client.get(reverse("premises:site", args=[site.pk])).content.decode()
    assert INCIDENT_TEXT not in site_page


def test_the_sites_staff_read_every_action(world):
    cara, site = world["cara"], world["site"]
    assert set(site_actions(site, cara)) == {world["kept"], world["hidden"]}
    assert site_panel(site, cara)["assessments_open_actions"] == 2
    assert get_for_user(cara, SiteAction.objects.of_site(site), world["hidden"].pk)
