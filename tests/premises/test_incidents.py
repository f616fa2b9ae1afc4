"""Premises incidents: the site's staff record them, which makes the security review due at
once; the incident's page shows the reassessment it triggered. Auditors never see them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from premises.models import PremisesIncident, SecurityAssessment, SiteAction
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(factories.make_team("South"), "Sam"),
    }


@pytest.fixture
def site(north, people):
    return factories.make_site(north, kind="refuge", created_by=people["cara"])


def url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def test_recording_an_incident_makes_the_review_due_and_links_the_reassessment(
    client, site, people
):
    cara = people["cara"]
    client.force_login(cara)
    response = client.post(
        url("incident_new", site),
        {
            "kind": "address_breach",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "description": "A taxi driver was given the address.",
            "actions_taken": "Residents told.",
        },
    )
    incident = PremisesIncident.objects.get()
    assert response.url == url("incident", site, incident.pk)
    site.refresh_from_db()
    assert site.review_due_on == timezone.localdate() and site.review_reason == "incident"

    since = factories.audit_mark()
    page = client.get(url("incident", site, incident.pk)).content.decode()
    factories.assert_accessed(incident, AccessKind.VIEW, cara, since=since)
    start = url("security_assessment_new", site) + f"?incident={incident.pk}"
    assert start in page.replace("&amp;", "&")
    response = client.post(
        url("security_assessment_new", site),
        {
            "checklist_version": factories.checklist_version().pk,
            "reason": "incident",
            "incident": incident.pk,
        },
    )
    assert response.status_code == 302
    assessment = SecurityAssessment.objects.get()
    assert assessment.incident == incident and assessment.reason == "incident"
    page = client.get(url("incident", site, incident.pk)).content.decode()
    assert url("security_assessment", site, assessment.pk) in page


def test_a_reassessment_after_an_incident_must_name_it(client, site, people):
    client.force_login(people["cara"])
    response = client.post(
        url("security_assessment_new", site),
        {"checklist_version": factories.checklist_version().pk, "reason": "incident"},
    )
    assert response.status_code == 400
    assert "Choose the incident this assessment follows." in response.content.decode()


def test_an_incident_in_the_future_is_refused_and_what_was_typed_kept(client, site, people):
    client.force_login(people["cara"])
    later = timezone.localtime() + timezone.timedelta(days=2)
    response = client.post(
        url("incident_new", site),
        {
            "kind": "threat_at_door",
            "occurred_at": later.strftime("%Y-%m-%dT%H:%M"),
            "description": "Someone shouted at the door.",
        },
    )
    assert response.status_code == 400
    assert "Someone shouted at the door." in response.content.decode()
    assert not PremisesIncident.objects.exists()


def test_actions_from_an_incident(client, site, people):
    incident = factories.make_incident(site, people["cara"])
    client.force_login(people["cara"])
    response = client.post(
        url("incident_action_new", site, incident.pk),
        {
            "description": "Change the door code.",
            "owner": people["cara"].pk,
            "due_on": timezone.localdate(),
        },
    )
    assert response.status_code == 302
    action = SiteAction.objects.get()
    assert action.source == "incident" and action.incident == incident
    assert (
        "Change the door code." in client.get(url("incident", site, incident.pk)).content.decode()
    )


def test_an_auditor_gets_404_on_every_incident_page(client, site, people):
    incident = factories.make_incident(site, people["cara"])
    client.force_login(people["aude"])
    for name, args in [
        ("incidents", ()),
        ("incident_new", ()),
        ("incident", (incident.pk,)),
        ("incident_action_new", (incident.pk,)),
    ]:
        assert client.get(url(name, site, *args)).status_code == 404, name
        assert client.post(url(name, site, *args), {}).status_code in (404, 405), name


def test_another_teams_staff_get_404(client, site, people):
    incident = factories.make_incident(site, people["cara"])
    client.force_login(people["sam"])
    assert client.get(url("incidents", site)).status_code == 404
    assert client.get(url("incident", site, incident.pk)).status_code == 404


def test_the_incident_list_takes_the_same_queries_for_many_rows(
    client, site, people, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["cara"])
    factories.make_incident(site, people["cara"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("incidents", site)).status_code == 200
    for _ in range(5):
        incident = factories.make_incident(site, people["cara"])
        factories.make_security_assessment(
            site, people["cara"], incident=incident, reason="incident"
        )
    with django_assert_max_num_queries(len(ctx)):
        page = client.get(url("incidents", site))
    assert page.status_code == 200


def test_an_unknown_kind_is_refused(site, people):
    from django.core.exceptions import ValidationError

    from premises.services.assessments import incident_record

    with pytest.raises(ValidationError) as refused:
        incident_record(
            actor=people["cara"],
            site=site,
            kind="anything at all",
            occurred_at=timezone.now(),
            description="Something.",
        )
    assert "kind" in refused.value.message_dict
    assert not PremisesIncident.objects.exists()


def test_the_incident_choice_shows_the_local_time(site, people, settings):
    import datetime

    from premises.forms.assessments import AssessmentStartForm
    from premises.selectors.assessments import published_checklists

    settings.TIME_ZONE = "Europe/Brussels"
    timezone.deactivate()
    at = datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC)  # 10:30 in Brussels
    incident = factories.make_incident(site, people["cara"], occurred_at=at)
    form = AssessmentStartForm(
        checklists=published_checklists(), incidents=PremisesIncident.objects.all()
    )
    label = form.fields["incident"].label_from_instance(incident)
    assert label.startswith("2026-07-01 10:30")


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-1", " 1"])
def test_an_id_in_the_address_that_is_not_one_is_ignored(client, site, people, value):
    # "²".isdigit() is true, and int() refused it: the page answered a server error.
    cara = people["cara"]
    client.force_login(cara)
    response = client.get(url("security_assessment_new", site), {"incident": value})
    assert response.status_code == 200
    assessment = factories.make_security_assessment(site, cara)
    response = client.get(url("assessment_action_new", site, assessment.pk), {"finding": value})
    assert response.status_code == 200
