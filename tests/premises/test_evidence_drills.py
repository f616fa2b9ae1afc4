"""Drills: recorded by the team's staff (participants chosen among them, others counted, not
named, the date not in the future), shown on their page with follow-up actions owned by the
team's staff; listed in constant queries; read by auditors; nothing for another team."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from premises.models import ActionSource, Drill, SiteAction
from premises.services import evidence as services
from tests import factories
from victimsupport.access import Role

pytestmark = pytest.mark.django_db

LESSONS = "The panic alarm in the interview room was behind the filing cabinet."


@pytest.fixture
def people(north):
    south = factories.make_team("South")
    return {
        "cara": factories.caseworker(north, "Cara"),
        "carl": factories.caseworker(north, "Carl"),
        "sofia": factories.supervisor(north, "Sofia"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(south, "Sam"),
        "site": factories.make_site(north),
    }


def _url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def _form(people, **fields):
    return {
        "held_on": timezone.localdate().isoformat(),
        "scenario": "intruder",
        "scenario_details": "A visitor refused to leave reception.",
        "participants": [people["cara"].pk, people["carl"].pk],
        "others_count": "2",
        "minutes_taken": "7",
        "lessons": LESSONS,
        **fields,
    }


def test_a_drill_is_recorded_and_shown(client, people):
    site, cara = people["site"], people["cara"]
    client.force_login(cara)
    assert client.get(_url("drill_new", site)).status_code == 200
    response = client.post(_url("drill_new", site), _form(people))
    drill = Drill.objects.get(site=site)
    assert response.status_code == 302
    assert response["Location"] == _url("drill", site, drill.pk)
    assert set(drill.participants.all()) == {cara, people["carl"]}
    assert (drill.others_count, drill.minutes_taken, drill.lessons) == (2, 7, LESSONS)
    since = factories.audit_mark()
    page = client.get(_url("drill", site, drill.pk)).content.decode()
    assert LESSONS in page and "Carl" in page and "Add a follow-up action" in page
    factories.assert_accessed(drill, "view", cara, since=since)
    assert LESSONS.encode() not in factories.raw_database_bytes()


def test_participants_from_another_team_are_refused(client, people):
    site = people["site"]
    client.force_login(people["cara"])
    response = client.post(_url("drill_new", site), _form(people, participants=[people["sam"].pk]))
    assert response.status_code == 400
    assert LESSONS in response.content.decode()  # what was typed is kept
    assert not Drill.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.drill_record(
            actor=people["cara"],
            site=site,
            held_on=timezone.localdate(),
            scenario="fire",
            participants=[people["cara"], people["sam"]],
            minutes_taken=4,
        )
    assert "staff of the site's team" in str(refused.value)
    assert not Drill.objects.exists()


def test_a_drill_in_the_future_or_with_nobody_is_refused(client, people):
    site = people["site"]
    client.force_login(people["cara"])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(_url("drill_new", site), _form(people, held_on=tomorrow.isoformat()))
    assert response.status_code == 400 and "in the future" in response.content.decode()
    response = client.post(
        _url("drill_new", site), _form(people, participants=[], others_count="0")
    )
    assert response.status_code == 400 and "Say who took part" in response.content.decode()
    assert not Drill.objects.exists()


def test_follow_up_actions_are_added_from_the_drill_page(client, people):
    site, cara = people["site"], people["cara"]
    drill = factories.make_drill(site, cara)
    client.force_login(cara)
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    form = {"description": "Move the alarm button.", "owner": people["carl"].pk, "due_on": due}
    response = client.post(_url("drill_action_add", site, drill.pk), form)
    assert response.status_code == 302
    action = SiteAction.objects.get(drill=drill)
    assert (action.source, action.site, action.owner) == (ActionSource.DRILL, site, people["carl"])
    assert "Move the alarm button." in client.get(_url("drill", site, drill.pk)).content.decode()
    # An owner from another team is refused, on the form and in the service.
    refused = client.post(
        _url("drill_action_add", site, drill.pk), {**form, "owner": people["sam"].pk}
    )
    assert refused.status_code == 400 and "Move the alarm button." in refused.content.decode()
    with pytest.raises(ValidationError):
        services.drill_action_add(
            actor=cara,
            drill=drill,
            description="x",
            owner=people["sam"],
            due_on=timezone.localdate(),
        )
    assert SiteAction.objects.filter(drill=drill).count() == 1


def test_the_list_of_drills_keeps_its_queries_constant(
    client, people, django_assert_max_num_queries
):
    site, cara = people["site"], people["cara"]
    factories.make_drill(site, cara)
    client.force_login(cara)
    with django_assert_max_num_queries(15) as few:
        client.get(_url("drills", site))
    for n in range(8):
        drill = factories.make_drill(
            site, cara, held_on=timezone.localdate() - datetime.timedelta(days=n)
        )
        drill.participants.add(people["carl"])
        factories.make_site_action(site, cara, source="drill", drill=drill)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_url("drills", site))
    assert response.status_code == 200
    assert "2 staff" in response.content.decode()


def test_an_auditor_reads_drills_and_records_nothing(client, people):
    site = people["site"]
    drill = factories.make_drill(site, people["cara"], lessons=LESSONS)
    client.force_login(people["aude"])
    assert client.get(_url("drills", site)).status_code == 200
    page = client.get(_url("drill", site, drill.pk)).content.decode()
    assert LESSONS in page and "Add a follow-up action" not in page
    assert client.get(_url("drill_new", site)).status_code == 403
    assert client.post(_url("drill_new", site), _form(people)).status_code == 403
    assert client.post(_url("drill_action_add", site, drill.pk), {}).status_code == 403
    assert Drill.objects.count() == 1


def test_another_team_gets_404(client, people):
    site = people["site"]
    drill = factories.make_drill(site, people["cara"])
    client.force_login(people["sam"])
    for name, args in [("drills", ()), ("drill_new", ()), ("drill", (drill.pk,))]:
        assert client.get(_url(name, site, *args)).status_code == 404, name
    assert client.post(_url("drill_action_add", site, drill.pk), {}).status_code == 404


def test_a_follow_up_action_is_not_due_in_the_past(client, people):
    site, cara = people["site"], people["cara"]
    drill = factories.make_drill(site, cara)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.drill_action_add(
            actor=cara, drill=drill, description="Move it.", owner=cara, due_on=yesterday
        )
    assert "due_on" in refused.value.message_dict
    client.force_login(cara)
    form = {"description": "Move the alarm button.", "owner": cara.pk, "due_on": yesterday}
    response = client.post(_url("drill_action_add", site, drill.pk), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a date from today on." in body and "Move the alarm button." in body
    assert not SiteAction.objects.filter(drill=drill).exists()
    # Today is fine.
    services.drill_action_add(
        actor=cara, drill=drill, description="Move it.", owner=cara, due_on=timezone.localdate()
    )


@pytest.fixture
def refuge(people):
    return factories.make_site(people["cara"].teams.get(), kind="refuge")


def test_a_refuges_drill_naming_where_it_is_is_refused(client, people, refuge):
    """A refuge's address is 12 Lantern Row, Harbourside (factories.REFUGE_ADDRESS)."""
    cara = people["cara"]
    with pytest.raises(ValidationError) as refused:
        services.drill_record(
            actor=cara,
            site=refuge,
            held_on=timezone.localdate(),
            scenario="fire",
            scenario_details="Everyone out onto Lantern Row.",
            participants=[cara],
            minutes_taken=5,
            lessons="Meet at the corner of Harbourside and 3 Mill Lane.",
        )
    errors = refused.value.message_dict
    assert set(errors) == {"scenario_details", "lessons"}
    assert errors["scenario_details"] == [
        "What was practised names part of the site's address: \"Lantern Row\". A refuge's "
        "evidence is read by auditors: describe it without saying where it is."
    ]
    assert '"Harbourside"' in errors["lessons"][0] and '"3 Mill Lane"' in errors["lessons"][0]
    assert not Drill.objects.exists()
    client.force_login(cara)
    response = client.post(
        _url("drill_new", refuge), _form(people, lessons="Meet by the SW1A 1AA postbox.")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "What was learnt names a postcode: &quot;SW1A 1AA&quot;." in body
    assert "A visitor refused to leave reception." in body  # what was typed, kept
    assert not Drill.objects.exists()


def test_a_refuges_drill_action_naming_its_street_is_refused(client, people, refuge):
    cara = people["cara"]
    drill = factories.make_drill(refuge, cara)
    due = timezone.localdate() + datetime.timedelta(days=7)
    with pytest.raises(ValidationError) as refused:
        services.drill_action_add(
            actor=cara,
            drill=drill,
            description="Ask the council for a light on lantern row.",
            owner=cara,
            due_on=due,
        )
    assert "part of the site's address" in refused.value.message_dict["description"][0]
    client.force_login(cara)
    form = {"description": "Fix the gate: code 4711.", "owner": cara.pk, "due_on": due}
    response = client.post(_url("drill_action_add", refuge, drill.pk), form)
    assert response.status_code == 400
    assert "What to do names a door code" in response.content.decode()
    assert not SiteAction.objects.filter(drill=drill).exists()
    # An office's drill may name its street (its address is not kept from auditors).
    office_drill = factories.make_drill(people["site"], cara)
    services.drill_action_add(
        actor=cara,
        drill=office_drill,
        description="Ask for a light on 3 Mill Lane.",
        owner=cara,
        due_on=due,
    )
