"""The supervisors' risk dashboard: right figures, drill-downs, constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.services import break_glass_open
from risk import services
from risk.models import InstrumentVersion, TrainingRecord
from tests import factories
from tests.factories import full_answers

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def sofia(north):
    user = factories.supervisor(north)
    TrainingRecord.objects.create(
        user=user, course="Risk", completed_on=TODAY, provider="Net", recorded_by=user
    )
    return user


def assessed(worker, sofia, *, strangulation="no", override=""):
    case = factories.make_full_case(worker)
    version = InstrumentVersion.objects.get(instrument__key="default")
    assessment = services.assessment_start(case=case, actor=sofia, version=version)
    services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=sofia,
        answers=full_answers(strangulation=strangulation),
        override_level=override,
        override_reason="Police intelligence about a recent threat to kill." if override else "",
    )
    case.refresh_from_db()
    return case


def tile_counts(client) -> dict[str, int]:
    response = client.get("/risk/dashboard/")
    assert response.status_code == 200
    return {t.key: t.count for t in response.context["tiles"]}


def test_tiles_count_what_they_say(client, north, sofia):
    cara = factories.caseworker(north)
    high_no_plan = assessed(cara, sofia, strangulation="yes")
    high_with_plan = assessed(cara, sofia, strangulation="yes")
    services.safety_action_add(
        case=high_with_plan,
        actor=sofia,
        kind="order",
        description="Apply for an order",
        owner=cara,
        due_on=TODAY - datetime.timedelta(days=3),
    )
    assessed(cara, sofia, override="medium")  # standard changed to medium
    due = assessed(cara, sofia)
    services.trigger_record(case=due, actor=cara, kind="court", occurred_on=TODAY)
    other = factories.make_full_case(factories.caseworker(factories.make_team("South"), "Sam"))
    break_glass_open(actor=sofia, case=other, reason="Police report she is missing tonight, urgent")

    client.force_login(sofia)
    counts = tile_counts(client)
    assert counts == {
        "high-without-plan": 1,
        "overdue-reviews": 1,
        "new-high": 2,
        "overdue-actions": 1,
        "overrides": 1,
        "drafts": 0,
        "break-glass": 1,
    }
    listing = client.get("/risk/dashboard/high-without-plan/")
    assert high_no_plan.reference in listing.text and high_with_plan.reference not in listing.text
    assert "Apply for an order" not in listing.text
    actions = client.get("/risk/dashboard/overdue-actions/")
    assert high_with_plan.reference in actions.text
    glass = client.get("/risk/dashboard/break-glass/")
    assert "missing tonight" in glass.text
    level = client.get("/risk/dashboard/level-high/")
    assert high_no_plan.reference in level.text


def test_other_teams_cases_are_not_counted(client, north, sofia):
    sam = factories.caseworker(factories.make_team("South"), "Sam")
    trained = factories.supervisor(sam.teams.get(), "Sue")
    TrainingRecord.objects.create(
        user=trained, course="Risk", completed_on=TODAY, provider="Net", recorded_by=trained
    )
    assessed(sam, trained, strangulation="yes")
    client.force_login(sofia)
    assert tile_counts(client)["high-without-plan"] == 0


def test_dashboard_queries_are_constant(client, north, sofia):
    cara = factories.caseworker(north)
    assessed(cara, sofia, strangulation="yes")
    client.force_login(sofia)
    client.get("/risk/dashboard/")
    with CaptureQueriesContext(connection) as few:
        client.get("/risk/dashboard/")
    for _ in range(4):
        case = assessed(cara, sofia, strangulation="yes")
        services.safety_action_add(
            case=case, actor=sofia, kind="other", description="x", owner=cara
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/risk/dashboard/")
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as listing_few:
        client.get("/risk/dashboard/level-high/")
    assessed(cara, sofia, strangulation="yes")
    with CaptureQueriesContext(connection) as listing_many:
        client.get("/risk/dashboard/level-high/")
    assert len(listing_many) == len(listing_few)


def test_trend_table_has_twelve_weeks(client, north, sofia):
    assessed(factories.caseworker(north), sofia, strangulation="yes")
    client.force_login(sofia)
    page = client.get("/risk/dashboard/")
    weeks = page.context["weeks"]
    assert len(weeks) == 12 and weeks[-1]["high"] == 1
    assert "<caption>Finalised assessments per week</caption>" in page.text
    assert 'class="bar bar-high"' in page.text


def test_dashboard_is_for_supervisors(client, north):
    client.force_login(factories.caseworker(north))
    assert client.get("/risk/dashboard/").status_code == 404
    assert client.get("/risk/dashboard/overrides/").status_code == 404


def test_unknown_drilldown_is_404(client, sofia):
    client.force_login(sofia)
    assert client.get("/risk/dashboard/everything/").status_code == 404


def test_drafts_of_untrained_staff_wait_on_the_dashboard(client, north, sofia):
    nia = factories.caseworker(north, "Nia")
    case = factories.make_full_case(nia)
    version = InstrumentVersion.objects.get(instrument__key="default")
    services.assessment_start(case=case, actor=nia, version=version)
    client.force_login(sofia)
    assert tile_counts(client)["drafts"] == 1
    assert case.reference in client.get("/risk/dashboard/drafts/").text


def test_new_high_means_high_now_and_for_the_first_time(client, north, sofia):
    cara = factories.caseworker(north)
    case = assessed(cara, sofia, strangulation="yes")
    version = InstrumentVersion.objects.get(instrument__key="default")
    lower = services.assessment_start(case=case, actor=sofia, version=version)
    services.assessment_finalise(
        assessment=lower, version=lower.version, actor=sofia, answers=full_answers()
    )
    client.force_login(sofia)
    assert tile_counts(client)["new-high"] == 0  # reassessed lower since
