"""The sign-off and what it does to the site's review: four eyes (the person who started an
assessment does not sign it off), a supervisor sends it back to draft with a reason, nothing is
added once submitted, an incident after the assessment started keeps the review due, a year is
a calendar year; and a refuge's assessment never says where the refuge is."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from premises import checklist
from premises.models import (
    AssessmentStatus,
    Finding,
    SiteAction,
    a_year_after,
)
from premises.services import assessments as services
from tests import factories
from victimsupport.access import MaySeeNotChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "stan": factories.supervisor(north, "Stan"),
    }


@pytest.fixture
def site(north, people):
    return factories.make_site(north, created_by=people["sofia"])


@pytest.fixture
def refuge(north, people):
    return factories.make_site(north, kind="refuge", created_by=people["sofia"])


def url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def submitted(site, by, **fields):
    fields.setdefault("started_at", timezone.now() - datetime.timedelta(days=3))
    return factories.make_security_assessment(
        site, by, status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now(), **fields
    )


# --- A year on, unless an incident came after ---------------------------------------------


def test_a_year_is_the_same_day_next_year():
    assert a_year_after(datetime.date(2027, 3, 1)) == datetime.date(2028, 3, 1)
    # 2028 is a leap year: 365 days after 1 March 2027 would be 29 February 2028.
    assert a_year_after(datetime.date(2028, 2, 29)) == datetime.date(2029, 2, 28)
    assert a_year_after(datetime.date(2027, 12, 31)) == datetime.date(2028, 12, 31)


def test_sign_off_sets_the_review_to_the_same_day_next_year(site, people, monkeypatch):
    assessment = submitted(site, people["cara"])
    today = datetime.date(2027, 3, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    services.security_assessment_sign_off(actor=people["sofia"], assessment=assessment)
    site.refresh_from_db()
    assert site.review_due_on == datetime.date(2028, 3, 1)
    assert site.review_reason == "yearly"


def test_an_incident_after_the_assessment_started_keeps_the_review_due(client, site, people):
    assessment = submitted(site, people["cara"])
    services.incident_record(
        actor=people["cara"],
        site=site,
        kind="threat_at_door",
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        description="Someone waited outside the door for an hour.",
    )
    site.refresh_from_db()
    assert (site.review_due_on, site.review_reason) == (timezone.localdate(), "incident")

    client.force_login(people["sofia"])
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert "the site's review stays due" in page.replace("&#x27;", "'")
    response = client.post(url("security_assessment_sign_off", site, assessment.pk), follow=True)
    assert response.status_code == 200
    assert "review stays due" in response.content.decode().replace("&#x27;", "'")
    assessment.refresh_from_db()
    site.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF
    assert (site.review_due_on, site.review_reason) == (timezone.localdate(), "incident")


def test_an_incident_that_happened_before_but_was_recorded_after_counts(site, people):
    assessment = submitted(site, people["cara"])
    services.incident_record(
        actor=people["cara"],
        site=site,
        kind="damage",
        occurred_at=assessment.started_at - datetime.timedelta(days=1),
        description="A window was broken the night before; told only today.",
    )
    services.security_assessment_sign_off(actor=people["sofia"], assessment=assessment)
    site.refresh_from_db()
    assert (site.review_due_on, site.review_reason) == (timezone.localdate(), "incident")


def test_the_assessment_that_follows_the_incident_sets_the_yearly_review(site, people):
    incident = factories.make_incident(
        site, people["cara"], occurred_at=timezone.now() - datetime.timedelta(days=5)
    )
    assessment = submitted(site, people["cara"], reason="incident", incident=incident)
    # Recorded after the assessment started, but it is the one the assessment follows.
    assert incident.recorded_at > assessment.started_at
    services.security_assessment_sign_off(actor=people["sofia"], assessment=assessment)
    site.refresh_from_db()
    assert site.review_due_on == a_year_after(timezone.localdate())
    assert site.review_reason == "yearly"


def test_an_incident_before_the_assessment_started_does_not_hold_the_review(site, people):
    past = timezone.now() - datetime.timedelta(days=10)
    factories.make_incident(site, people["cara"], occurred_at=past, recorded_at=past)
    assessment = submitted(site, people["cara"])
    services.security_assessment_sign_off(actor=people["sofia"], assessment=assessment)
    site.refresh_from_db()
    assert site.review_reason == "yearly"


# --- Four eyes ------------------------------------------------------------------------------


def test_the_supervisor_who_started_it_does_not_sign_it_off(client, site, people):
    sofia = people["sofia"]
    assessment = submitted(site, sofia)
    client.force_login(sofia)
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert url("security_assessment_sign_off", site, assessment.pk) not in page
    assert "Someone other than the person who carried out the assessment signs it off" in page
    response = client.post(url("security_assessment_sign_off", site, assessment.pk))
    assert response.status_code == 400
    assert (
        "Someone other than the person who carried out the assessment signs it off"
        in response.content.decode()
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    client.force_login(people["stan"])
    assert client.post(url("security_assessment_sign_off", site, assessment.pk)).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF
    assert assessment.signed_off_by == people["stan"]


# --- Sent back to draft ---------------------------------------------------------------------


def test_a_supervisor_sends_a_submitted_assessment_back_with_a_reason(client, site, people):
    assessment = submitted(site, people["cara"])
    client.force_login(people["cara"])
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert url("security_assessment_return", site, assessment.pk) not in page
    assert (
        client.post(
            url("security_assessment_return", site, assessment.pk), {"reason": "Mine."}
        ).status_code
        == 403
    )

    client.force_login(people["sofia"])
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert url("security_assessment_return", site, assessment.pk) in page
    # No reason: refused, the page says so.
    response = client.post(url("security_assessment_return", site, assessment.pk), {"reason": ""})
    assert response.status_code == 400
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    since = factories.audit_mark()
    response = client.post(
        url("security_assessment_return", site, assessment.pk),
        {"reason": "The fire exits were not checked at night."},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.submitted_at is None
    assert assessment.returned_by == people["sofia"]
    assert assessment.returned_reason == "The fire exits were not checked at night."
    factories.assert_changed(assessment, actor=people["sofia"], since=since)

    client.force_login(people["cara"])
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert "The fire exits were not checked at night." in page
    assert url("security_assessment_answers", site, assessment.pk) in page


def test_only_a_submitted_assessment_is_sent_back(site, people):
    draft = factories.make_security_assessment(site, people["cara"])
    with pytest.raises(ValidationError):
        services.security_assessment_return(actor=people["sofia"], assessment=draft, reason="x")
    with pytest.raises(MaySeeNotChange):
        services.security_assessment_return(
            actor=people["cara"], assessment=submitted(site, people["cara"]), reason="x"
        )


def test_the_send_back_address_takes_only_a_post(client, site, people):
    assessment = submitted(site, people["cara"])
    client.force_login(people["sofia"])
    assert client.get(url("security_assessment_return", site, assessment.pk)).status_code == 405


# --- Nothing added once submitted -----------------------------------------------------------


def test_no_finding_or_action_is_added_to_a_submitted_assessment(client, site, people):
    assessment = submitted(site, people["cara"])
    action = factories.make_site_action(site, people["cara"], assessment=assessment)
    client.force_login(people["cara"])
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert url("finding_new", site, assessment.pk) not in page
    assert url("assessment_action_new", site, assessment.pk) not in page
    assert client.get(url("finding_new", site, assessment.pk)).status_code == 302
    assert client.get(url("assessment_action_new", site, assessment.pk)).status_code == 302

    response = client.post(
        url("finding_new", site, assessment.pk),
        {"description": "The gate sticks.", "likelihood": 2, "impact": 2},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "findings and actions are added while it is a draft" in body
    assert "The gate sticks." in body
    response = client.post(
        url("assessment_action_new", site, assessment.pk),
        {
            "description": "Oil the gate.",
            "owner": people["cara"].pk,
            "due_on": timezone.localdate() + datetime.timedelta(days=3),
        },
    )
    assert response.status_code == 400
    assert "Oil the gate." in response.content.decode()
    assert not Finding.objects.exists()
    assert SiteAction.objects.count() == 1

    # Marking an existing action done stays allowed.
    done = url("site_action_done", site, action.pk)
    assert client.post(done, {"version": action.version, "note": "Closer fitted."}).status_code == (
        302
    )
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()


# --- A refuge's assessment says nothing that places it ------------------------------------


def test_a_note_naming_the_refuges_street_is_refused_and_kept(client, refuge, people):
    assessment = factories.make_security_assessment(refuge, people["cara"])
    definition = assessment.checklist.definition
    first = checklist.questions(definition)[0]
    client.force_login(people["cara"])
    note = "Checked from Lantern Row at night."
    response = client.post(
        url("security_assessment_answers", refuge, assessment.pk),
        {
            "version": assessment.version,
            f"answer_{first['key']}": "yes",
            f"note_{first['key']}": note,
            "summary": "A good visit.",
        },
    )
    assert response.status_code == 400
    body = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert 'names part of the site\'s address: "Lantern Row"' in body
    assert "A refuge's assessment is read by auditors" in body
    question = checklist.text_in(first["text"], "en").split()[0]
    assert f'The note for "{question}' in body
    assert note in body and "A good visit." in body
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_a_summary_with_a_postcode_is_refused(refuge, people):
    assessment = factories.make_security_assessment(refuge, people["cara"])
    with pytest.raises(ValidationError) as refused:
        services.security_assessment_save(
            actor=people["cara"],
            assessment=assessment,
            version=assessment.version,
            answers={},
            summary="Visited the house at SW1A 1AA.",
        )
    assert "a postcode" in str(refused.value.message_dict["summary"])
    assert "SW1A 1AA" in str(refused.value.message_dict["summary"])


def test_the_same_words_are_fine_for_an_office(site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    services.security_assessment_save(
        actor=people["cara"],
        assessment=assessment,
        version=assessment.version,
        answers={},
        summary="Visited the office at SW1A 1AA.",
    )
    assessment.refresh_from_db()
    assert assessment.summary == "Visited the office at SW1A 1AA."


def test_a_finding_naming_a_street_address_is_refused_and_kept(client, refuge, people):
    assessment = factories.make_security_assessment(refuge, people["cara"])
    client.force_login(people["cara"])
    response = client.post(
        url("finding_new", refuge, assessment.pk),
        {
            "description": "The back of 14 Mill Lane overlooks the garden.",
            "likelihood": 3,
            "impact": 3,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "a street address" in body and "14 Mill Lane" in body
    assert not Finding.objects.exists()


def test_an_action_and_its_done_note_are_checked(client, refuge, people):
    assessment = factories.make_security_assessment(refuge, people["cara"])
    client.force_login(people["cara"])
    due = timezone.localdate() + datetime.timedelta(days=3)
    response = client.post(
        url("assessment_action_new", refuge, assessment.pk),
        {"description": "Change the door code 4711.", "owner": people["cara"].pk, "due_on": due},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "a door code" in body and "Change the door code 4711." in body
    assert not SiteAction.objects.exists()

    action = factories.make_site_action(refuge, people["cara"], assessment=assessment)
    response = client.post(
        url("site_action_done", refuge, action.pk),
        {"version": action.version, "note": "Locksmith came to 12 Lantern Row."},
    )
    assert response.status_code == 400
    assert "Locksmith came to 12 Lantern Row." in response.content.decode()
    action.refresh_from_db()
    assert action.done_on is None


def test_an_incidents_actions_are_not_checked(refuge, people):
    incident = factories.make_incident(refuge, people["cara"])
    action = services.site_action_add(
        actor=people["cara"],
        site=refuge,
        incident=incident,
        description="Change the door code 4711 at 12 Lantern Row.",
        owner=people["cara"],
        due_on=timezone.localdate(),
    )
    services.site_action_complete(
        actor=people["cara"], action=action, version=action.version, note="Done: code 9876."
    )
    action.refresh_from_db()
    assert action.done_note == "Done: code 9876."
