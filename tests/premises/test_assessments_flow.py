"""A security assessment from start to sign-off: the site's staff fill it in, a supervisor of
its team signs it off, the next review falls a year on; auditors read, never write."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from premises import checklist
from premises.models import AssessmentStatus, SecurityAssessment, SiteAction, a_year_after
from premises.selectors.assessments import band, site_panel
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(factories.make_team("South"), "Sam"),
    }


@pytest.fixture
def site(north, people):
    return factories.make_site(north, created_by=people["sofia"])


def url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def all_answers(checklist_version, **override):
    data = {"version": 1, "summary": "Walked round with the duty worker."}
    for q in checklist.questions(checklist_version.definition):
        data[f"answer_{q['key']}"] = "yes"
        data[f"note_{q['key']}"] = ""
    data.update(override)
    return data


def test_the_whole_flow_from_start_to_sign_off(client, site, people):
    cara, sofia = people["cara"], people["sofia"]
    version = factories.checklist_version()
    client.force_login(cara)
    response = client.post(
        url("security_assessment_new", site),
        {"checklist_version": version.pk, "reason": "first"},
    )
    assessment = SecurityAssessment.objects.get(site=site)
    assert response.url == url("security_assessment_answers", site, assessment.pk)
    assert assessment.status == AssessmentStatus.DRAFT

    # A draft may be saved incomplete.
    first_key = checklist.questions(version.definition)[0]["key"]
    response = client.post(
        url("security_assessment_answers", site, assessment.pk),
        {"version": 1, f"answer_{first_key}": "partly", f"note_{first_key}": "Hedge too high."},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.answers[first_key] == {"answer": "partly", "note": "Hedge too high."}

    # Submitting names what is missing.
    response = client.post(url("security_assessment_submit", site, assessment.pk))
    assert response.status_code == 400
    second = checklist.questions(version.definition)[1]
    assert checklist.text_in(second["text"], "en") in response.content.decode().replace(
        "&#x27;", "'"
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT

    data = all_answers(version, version=assessment.version)
    assert (
        client.post(url("security_assessment_answers", site, assessment.pk), data).status_code
        == 302
    )
    assert client.post(url("security_assessment_submit", site, assessment.pk)).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    # A caseworker may not sign off, and sees no button.
    page = client.get(url("security_assessment", site, assessment.pk))
    assert url("security_assessment_sign_off", site, assessment.pk) not in page.content.decode()
    assert client.post(url("security_assessment_sign_off", site, assessment.pk)).status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    client.force_login(sofia)
    page = client.get(url("security_assessment", site, assessment.pk))
    assert url("security_assessment_sign_off", site, assessment.pk) in page.content.decode()
    since = factories.audit_mark()
    assert client.post(url("security_assessment_sign_off", site, assessment.pk)).status_code == 302
    assessment.refresh_from_db()
    site.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF
    assert assessment.signed_off_by == sofia
    assert site.review_due_on == a_year_after(timezone.localdate())
    assert site.review_reason == "yearly"
    factories.assert_changed(assessment, actor=sofia, since=since)

    # Signed off: read-only.
    client.force_login(cara)
    response = client.get(url("security_assessment_answers", site, assessment.pk))
    assert response.status_code == 302
    response = client.post(
        url("finding_new", site, assessment.pk),
        {"description": "Late", "likelihood": 2, "impact": 2},
    )
    assert response.status_code == 403
    assert not assessment.findings.exists()


def test_a_supervisor_of_another_team_cannot_sign_off(client, site, people):
    eve = factories.supervisor(factories.make_team("East"), "Eve")
    assessment = factories.make_security_assessment(site, people["cara"], status="submitted")
    client.force_login(eve)
    assert client.post(url("security_assessment_sign_off", site, assessment.pk)).status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_findings_score_and_band_and_bad_input_keeps_what_was_typed(client, site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    client.force_login(people["cara"])
    response = client.post(
        url("finding_new", site, assessment.pk),
        {"description": "The back gate does not latch.", "likelihood": ""},
    )
    assert response.status_code == 400
    assert "The back gate does not latch." in response.content.decode()
    response = client.post(
        url("finding_new", site, assessment.pk),
        {
            "description": "The back gate does not latch.",
            "likelihood": 4,
            "impact": 4,
            "question_key": "exits_usable",
        },
    )
    assert response.status_code == 302
    finding = assessment.findings.get()
    assert finding.score == 16 and band(finding.score) == "high"
    assert band(4) == "low" and band(5) == "medium" and band(11) == "medium"
    page = client.get(url("security_assessment", site, assessment.pk)).content.decode()
    assert "16" in page and "high" in page


def test_actions_need_a_staff_owner_and_a_date_not_past(client, site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    finding = factories.make_finding(assessment, people["cara"])
    client.force_login(people["cara"])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        url("assessment_action_new", site, assessment.pk),
        {"description": "Fit a latch.", "owner": people["sam"].pk, "due_on": yesterday},
    )
    assert response.status_code == 400
    assert "Fit a latch." in response.content.decode()
    assert not SiteAction.objects.exists()
    response = client.post(
        url("assessment_action_new", site, assessment.pk),
        {"description": "Fit a latch.", "owner": people["cara"].pk, "due_on": yesterday},
    )
    assert response.status_code == 400
    assert "Choose a date from today on." in response.content.decode()
    due = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        url("assessment_action_new", site, assessment.pk),
        {
            "description": "Fit a latch.",
            "owner": people["sofia"].pk,
            "due_on": due,
            "finding": finding.pk,
        },
    )
    assert response.status_code == 302
    action = SiteAction.objects.get()
    assert (action.source, action.assessment, action.finding) == ("assessment", assessment, finding)

    # Marked done with a note; an empty note is refused and nothing is lost.
    done = url("site_action_done", site, action.pk)
    assert client.post(done, {"version": action.version, "note": ""}).status_code == 400
    assert (
        client.post(done, {"version": action.version, "note": "Latch fitted."}).status_code == 302
    )
    action.refresh_from_db()
    assert action.done_on == timezone.localdate() and action.done_note == "Latch fitted."


def test_two_people_saving_the_answers_at_once(client, site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    version = assessment.checklist
    client.force_login(people["cara"])
    first = all_answers(version, version=1)
    assert (
        client.post(url("security_assessment_answers", site, assessment.pk), first).status_code
        == 302
    )
    again = all_answers(version, version=1, summary="Mine, typed meanwhile.")
    response = client.post(url("security_assessment_answers", site, assessment.pk), again)
    assert response.status_code == 409
    assert "Mine, typed meanwhile." in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.summary == "Walked round with the duty worker."


def test_an_auditor_reads_but_never_writes(client, site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    factories.make_finding(assessment, people["cara"])
    action = factories.make_site_action(site, people["cara"], assessment=assessment)
    aude = people["aude"]
    client.force_login(aude)
    since = factories.audit_mark()
    page = client.get(url("security_assessment", site, assessment.pk))
    assert page.status_code == 200
    factories.assert_accessed(assessment, AccessKind.VIEW, aude, since=since)
    body = page.content.decode()
    assert "Add a finding" not in body and "Submit for sign-off" not in body
    assert client.get(url("security_assessments", site)).status_code == 200
    assert client.get(url("site_actions", site)).status_code == 200
    for name, args in [
        ("security_assessment_new", ()),
        ("security_assessment_answers", (assessment.pk,)),
        ("security_assessment_submit", (assessment.pk,)),
        ("security_assessment_sign_off", (assessment.pk,)),
        ("finding_new", (assessment.pk,)),
        ("assessment_action_new", (assessment.pk,)),
        ("site_action_done", (action.pk,)),
    ]:
        assert client.post(url(name, site, *args), {}).status_code == 403, name
    panel = site_panel(site, aude)
    assert panel["assessments_show_incidents"] is False
    assert panel["assessments_recent_incidents"] == []


def test_another_teams_staff_get_404(client, site, people):
    assessment = factories.make_security_assessment(site, people["cara"])
    action = factories.make_site_action(site, people["cara"], assessment=assessment)
    client.force_login(people["sam"])
    for name, args in [
        ("security_assessments", ()),
        ("security_assessment", (assessment.pk,)),
        ("security_assessment_answers", (assessment.pk,)),
        ("site_actions", ()),
        ("site_action_done", (action.pk,)),
    ]:
        assert client.get(url(name, site, *args)).status_code == 404, name


def test_a_second_assessment_waits_for_the_first(client, site, people):
    factories.make_security_assessment(site, people["cara"])
    client.force_login(people["cara"])
    response = client.post(
        url("security_assessment_new", site),
        {"checklist_version": factories.checklist_version().pk, "reason": "yearly"},
    )
    assert response.status_code == 400
    assert "already has an assessment in progress" in response.content.decode()


def test_the_lists_take_the_same_queries_for_many_rows(
    client, site, people, django_assert_max_num_queries
):
    client.force_login(people["cara"])

    def counted(name):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(name, site)).status_code == 200
        return len(ctx)

    done = factories.make_security_assessment(site, people["cara"], status="signed_off")
    factories.make_site_action(site, people["cara"], assessment=done)
    few = {name: counted(name) for name in ("security_assessments", "site_actions")}
    for _ in range(4):
        more = factories.make_security_assessment(site, people["cara"], status="signed_off")
        factories.make_finding(more, people["cara"])
        factories.make_site_action(site, people["sofia"], assessment=more)
    for name, count in few.items():
        with django_assert_max_num_queries(count):
            assert client.get(url(name, site)).status_code == 200


def test_the_site_panel_counts_actions_in_constant_queries(
    site, people, django_assert_max_num_queries
):
    done = factories.make_security_assessment(
        site,
        people["cara"],
        status="signed_off",
        signed_off_by=people["sofia"],
        signed_off_at=timezone.now(),
    )
    factories.make_site_action(
        site,
        people["cara"],
        assessment=done,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    factories.make_site_action(site, people["cara"], assessment=done)
    factories.make_incident(site, people["cara"])
    with django_assert_max_num_queries(8):
        panel = site_panel(site, people["cara"])
    assert panel["assessments_latest"] == done
    assert panel["assessments_open_actions"] == 2
    assert panel["assessments_overdue_actions"] == 1
    assert len(panel["assessments_recent_incidents"]) == 1
