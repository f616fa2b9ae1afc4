"""The supervisor's premises dashboard: reviews due, overdue actions, escape plan readings,
safety pages waiting and recent incidents, for the sites of their teams only; its queries do
not grow with the number of sites."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from premises.models import EscapePlanReading
from tests import factories
from victimsupport.access import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(north):
    south = factories.make_team("South")
    sofia = factories.supervisor(north, "Sofia")
    return {
        "north": north,
        "south": south,
        "sofia": sofia,
        "cara": factories.caseworker(north, "Cara"),
        "cato": factories.caseworker(north, "Cato"),
        "sam": factories.caseworker(south, "Sam"),
    }


def dashboard(client, user):
    client.force_login(user)
    return client.get(reverse("premises:dashboard"))


def test_the_figures_of_the_supervisors_sites(client, w):
    today = timezone.localdate()
    sofia = w["sofia"]
    never = factories.make_site(w["north"], name="Never assessed house", created_by=sofia)
    yearly = factories.make_site(
        w["north"],
        name="Yearly office",
        review_due_on=today - datetime.timedelta(days=3),
        review_reason="yearly",
        created_by=sofia,
    )
    fine = factories.make_site(
        w["north"],
        name="Fine office",
        review_due_on=today + datetime.timedelta(days=100),
        review_reason="yearly",
        created_by=sofia,
    )
    south = factories.make_site(w["south"], name="South office", created_by=sofia)
    factories.make_site_action(
        yearly, sofia, description="Fit a door closer.", due_on=today - datetime.timedelta(days=2)
    )
    factories.make_site_action(fine, sofia, description="Not yet due.")
    factories.make_site_action(
        fine,
        sofia,
        description="Done already.",
        due_on=today - datetime.timedelta(days=9),
        done_on=today,
    )
    factories.make_site_action(
        south, sofia, description="South's action.", due_on=today - datetime.timedelta(days=2)
    )
    plan = factories.make_escape_plan(fine, sofia)
    factories.make_escape_plan(fine, sofia, approved=False)
    for user in (w["cara"], w["sam"]):  # Sam is not North's staff: his reading does not count
        EscapePlanReading.objects.create(plan=plan, site=fine, user=user)
    factories.make_safety_page(fine, sofia, status="submitted")
    factories.make_safety_page(fine, sofia, status="draft")
    factories.make_incident(fine, sofia)
    factories.make_incident(fine, sofia, occurred_at=timezone.now() - datetime.timedelta(days=40))
    factories.make_incident(south, sofia)

    response = dashboard(client, sofia)
    assert response.status_code == 200
    ctx = response.context
    assert [s.pk for s in ctx["reviews_due"]] == [never.pk, yearly.pk]
    assert [a.description for a in ctx["overdue_actions"]] == ["Fit a door closer."]
    action = ctx["overdue_actions"][0]
    assert action.site == yearly and action.owner == sofia and action.days_late == 2
    rows = {row["site"].pk: row for row in ctx["sites"]}
    assert set(rows) == {never.pk, yearly.pk, fine.pk}
    # Cara, Cato and Sofia are North's staff; Cara read the plan.
    assert (rows[fine.pk]["read"], rows[fine.pk]["staff"], rows[fine.pk]["share"]) == (1, 3, 33)
    assert rows[never.pk]["plan_version"] is None
    assert rows[fine.pk]["pages_waiting"] == 1 and rows[fine.pk]["incidents"] == 1
    assert rows[yearly.pk]["incidents"] == 0
    text = response.text
    assert "Fit a door closer." in text and "Never assessed" in text and "33%" in text
    assert "South office" not in text and "South&#x27;s action." not in text
    assert f'href="{reverse("premises:site", args=[fine.pk])}"' in text


def test_a_leaver_is_not_counted_as_staff(client, w):
    site = factories.make_site(w["north"], created_by=w["sofia"])
    plan = factories.make_escape_plan(site, w["sofia"])
    EscapePlanReading.objects.create(plan=plan, site=site, user=w["cato"])
    w["cato"].is_active = False
    w["cato"].save()
    factories.make_user("Aud", role=Role.AUDITOR, teams=(w["north"],))  # not staff
    row = dashboard(client, w["sofia"]).context["sites"][0]
    assert (row["read"], row["staff"]) == (0, 2)


def _fill(team, sofia, count):
    today = timezone.localdate()
    for _n in range(count):
        site = factories.make_site(team, kind="refuge", created_by=sofia)
        factories.make_site_action(site, sofia, due_on=today - datetime.timedelta(days=1))
        factories.make_site_action(site, sofia, due_on=today - datetime.timedelta(days=5))
        plan = factories.make_escape_plan(site, sofia)
        EscapePlanReading.objects.create(plan=plan, site=site, user=sofia)
        factories.make_safety_page(site, sofia, status="submitted")
        factories.make_incident(site, sofia)


def test_the_queries_do_not_grow_with_the_sites(client, w, django_assert_max_num_queries):
    _fill(w["north"], w["sofia"], 1)
    client.force_login(w["sofia"])
    url = reverse("premises:dashboard")
    client.get(url)  # the session and the caches warmed up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _fill(w["north"], w["sofia"], 4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["sites"]) == 5
    assert len(response.context["overdue_actions"]) == 10


def test_the_list_of_sites_does_not_grow_either(client, w, django_assert_max_num_queries):
    _fill(w["north"], w["sofia"], 1)
    client.force_login(w["cara"])
    url = reverse("premises:sites")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _fill(w["north"], w["sofia"], 4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(url).context["sites"]) == 5
