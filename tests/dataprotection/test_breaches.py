"""The breach register: the 72-hour clock, the decision and its reason, and people told only
through a channel their case records as safe."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import ContactPreference
from dataprotection import selectors
from dataprotection.models import Breach, BreachNotice
from dataprotection.services import records
from tests import factories
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def dana():
    return factories.dpo("Dana")


def log(dana, *, hours_ago: float = 2, **fields):
    now = timezone.now()
    return records.breach_log(
        actor=dana,
        discovered_at=now - hours_ago * HOUR,
        occurred_at=fields.pop("occurred_at", None),
        description=fields.pop("description", "A laptop was left on a train."),
        data_categories=fields.pop("data_categories", ["identity", "contact_details"]),
        people_affected=fields.pop("people_affected", 3),
        **fields,
    )


@pytest.fixture
def cases(north, cara):
    """A case whose safe channel is text messages (the phone is not safe), and one marked do
    not contact."""
    safe = factories.make_case(team=north, assigned_to=cara)
    ContactPreference.objects.create(case=safe, method="text", is_safe=True)
    ContactPreference.objects.create(case=safe, method="phone", is_safe=False)
    hidden = factories.make_case(team=north, assigned_to=cara)
    ContactPreference.objects.create(case=hidden, method="text", is_safe=True)
    hidden.do_not_contact = True
    hidden.save()
    return {"safe": safe, "hidden": hidden}


def test_a_breach_gets_a_reference_and_the_profiles_deadline(dana, settings):
    first, second = log(dana), log(dana)
    year = timezone.localtime(first.discovered_at).year
    assert first.reference == f"BR-{year}-0001" and second.reference == f"BR-{year}-0002"
    assert first.regulator_due_at == first.discovered_at + 72 * HOUR


def test_the_clock_counts_the_hours_left_and_then_the_hours_overdue(dana):
    breach = log(dana, hours_ago=2)
    now = timezone.now()
    assert selectors.breach_clock(breach, now)["state"] == "running"
    assert selectors.breach_clock(breach, now)["hours_left"] == 69
    late = selectors.breach_clock(breach, breach.regulator_due_at + 5.5 * HOUR)
    assert late["state"] == "overdue" and late["overdue_hours"] == 5
    # Told in time, or decided not to tell: the clock stops.
    records.breach_decide(
        actor=dana,
        breach=breach,
        decision="notify",
        reason="Addresses lost.",
        people_to_be_told=True,
    )
    records.breach_regulator_notified(actor=dana, breach=breach, notified_at=timezone.now())
    breach.refresh_from_db()
    assert selectors.breach_clock(breach, breach.regulator_due_at + 5 * HOUR)["state"] == "notified"


def test_a_breach_cannot_be_discovered_in_the_future_or_happen_after_it(dana):
    with pytest.raises(ValidationError) as refused:
        log(dana, hours_ago=-3)
    assert "future" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        log(dana, occurred_at=timezone.now())
    assert "after it was discovered" in str(refused.value)


@pytest.mark.parametrize("decision", ["notify", "not_notify"])
def test_the_decision_needs_a_reason_either_way(dana, decision):
    breach = log(dana)
    with pytest.raises(ValidationError) as refused:
        records.breach_decide(
            actor=dana, breach=breach, decision=decision, reason="  ", people_to_be_told=False
        )
    assert "reason" in refused.value.message_dict
    records.breach_decide(
        actor=dana,
        breach=breach,
        decision=decision,
        reason="Encrypted disk.",
        people_to_be_told=False,
    )
    breach.refresh_from_db()
    assert breach.decision == decision and breach.decided_by == dana


def test_the_regulator_is_told_only_after_deciding_to_and_closing_needs_it(dana):
    breach = log(dana)
    with pytest.raises(ValidationError):
        records.breach_regulator_notified(actor=dana, breach=breach, notified_at=timezone.now())
    with pytest.raises(ValidationError):
        records.breach_close(actor=dana, breach=breach)
    records.breach_decide(
        actor=dana, breach=breach, decision="notify", reason="Risk.", people_to_be_told=False
    )
    with pytest.raises(ValidationError):
        records.breach_close(actor=dana, breach=breach)
    records.breach_regulator_notified(
        actor=dana, breach=breach, notified_at=timezone.now(), reference="DPC-1"
    )
    records.breach_close(actor=dana, breach=breach)
    breach.refresh_from_db()
    assert breach.closed_at and breach.regulator_reference == "DPC-1"


def test_do_not_contact_refuses_with_its_message(dana, cases):
    breach = log(dana)
    since = factories.audit_mark()
    with pytest.raises(ValidationError) as refused:
        records.breach_person_told(
            actor=dana, breach=breach, case_reference=cases["hidden"].reference, method="text"
        )
    assert "do not contact" in " ".join(refused.value.message_dict["case_reference"])
    # What the DPO learnt of the case is recorded, refusal or not.
    factories.assert_accessed(cases["hidden"], AccessKind.LOOKUP, dana, since=since)
    assert not BreachNotice.objects.exists()


def test_a_method_the_case_does_not_record_as_safe_is_refused(dana, cases):
    breach = log(dana)
    with pytest.raises(ValidationError) as refused:
        records.breach_person_told(
            actor=dana, breach=breach, case_reference=cases["safe"].reference, method="phone"
        )
    message = " ".join(refused.value.message_dict["method"])
    assert "not record" in message and "Text message" in message
    with pytest.raises(ValidationError):
        records.breach_person_told(
            actor=dana, breach=breach, case_reference=cases["safe"].reference, method="email"
        )
    assert not BreachNotice.objects.exists()


def test_a_safe_method_is_recorded_and_flagged_as_the_safe_channel(dana, cases):
    breach = log(dana)
    since = factories.audit_mark()
    notice = records.breach_person_told(
        actor=dana,
        breach=breach,
        case_reference=f" {cases['safe'].reference.lower()} ",
        method="text",
    )
    assert notice.case == cases["safe"] and notice.through_safe_channel
    factories.assert_accessed(cases["safe"], AccessKind.LOOKUP, dana, since=since)
    with pytest.raises(ValidationError) as refused:
        records.breach_person_told(
            actor=dana, breach=breach, case_reference=cases["safe"].reference, method="text"
        )
    assert "already" in str(refused.value)


def test_the_safe_channel_flag_is_never_taken_from_the_form(client, dana, cases):
    breach = log(dana)
    client.force_login(dana)
    response = client.post(
        f"/data-protection/breaches/{breach.pk}/tell/",
        {
            "told-case_reference": cases["safe"].reference,
            "told-method": "phone",
            "told-through_safe_channel": "on",
        },
    )
    assert response.status_code == 400
    assert not BreachNotice.objects.exists()


def test_an_unknown_reference_is_refused_keeping_what_was_typed(client, dana):
    breach = log(dana)
    client.force_login(dana)
    response = client.post(
        f"/data-protection/breaches/{breach.pk}/tell/",
        {"told-case_reference": "VS-1999-99999", "told-method": "post"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No case has this reference" in body
    assert 'value="VS-1999-99999"' in body
    assert '<option value="post" selected>' in body


def test_the_breach_page_shows_the_clock_and_the_people_told_and_is_audited(client, dana, cases):
    breach = log(dana)
    records.breach_person_told(
        actor=dana, breach=breach, case_reference=cases["safe"].reference, method="text"
    )
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.get(f"/data-protection/breaches/{breach.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "69 hours left" in body or "70 hours left" in body
    assert "A laptop was left on a train." in body
    assert cases["safe"].reference in body and "Through their safe channel" in body
    factories.assert_accessed(breach, AccessKind.VIEW, dana, since=since)


def test_the_forms_of_the_breach_page_log_decide_and_close(client, dana):
    client.force_login(dana)
    response = client.post(
        "/data-protection/breaches/new/",
        {"discovered_at": "", "description": "Typed words", "people_affected": "2"},
    )
    assert response.status_code == 400 and "Typed words" in response.content.decode()
    when = timezone.localtime(timezone.now() - 3 * HOUR).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/data-protection/breaches/new/",
        {
            "discovered_at": when,
            "description": "An e-mail to the wrong person.",
            "data_categories": ["contact_details"],
            "people_affected": "1",
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302 and response.url == breach.get_absolute_url()
    url = breach.get_absolute_url()
    response = client.post(
        url + "decide/",
        {"decide-version": breach.version, "decide-decision": "not_notify", "decide-reason": ""},
    )
    assert response.status_code == 400 and "reason" in response.content.decode()
    response = client.post(
        url + "decide/",
        {
            "decide-version": breach.version,
            "decide-decision": "not_notify",
            "decide-reason": "Sent encrypted; deleted unread.",
        },
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.decision == "not_notify"
    assert "Not to be notified" in client.get("/data-protection/breaches/").content.decode()
    response = client.post(url + "close/", {"close-version": breach.version})
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.closed_at is not None


def test_the_register_and_the_dashboard_show_hours_left_and_overdue(client, dana):
    log(dana, hours_ago=10)
    late = log(dana, hours_ago=80)
    client.force_login(dana)
    register = client.get("/data-protection/breaches/").content.decode()
    assert "61 hours left" in register or "62 hours left" in register
    assert "Overdue by 8 hours" in register
    dashboard = client.get("/data-protection/").content.decode()
    assert "Open breaches" in dashboard and late.reference in dashboard
    assert "Overdue by 8 hours" in dashboard
    assert dashboard.index(late.reference) < dashboard.index("hours left")


URLS = [
    ("get", "/data-protection/breaches/"),
    ("get", "/data-protection/breaches/new/"),
    ("get", "/data-protection/breaches/{pk}/"),
    ("post", "/data-protection/breaches/{pk}/decide/"),
    ("post", "/data-protection/breaches/{pk}/notified/"),
    ("post", "/data-protection/breaches/{pk}/tell/"),
    ("post", "/data-protection/breaches/{pk}/close/"),
    ("get", "/data-protection/records/"),
    ("get", "/data-protection/records/add/"),
    ("get", "/data-protection/records/pdf/"),
    ("post", "/data-protection/records/fill-in/"),
    ("get", "/data-protection/records/{activity}/"),
    ("post", "/data-protection/records/{activity}/remove/"),
    ("get", "/data-protection/profile/"),
]


def test_every_other_role_gets_not_found(client, north, dana):
    breach = log(dana)
    activity = records.processing_prefill(actor=dana)[0]
    others = [
        factories.caseworker(north, "Cara"),
        factories.supervisor(north, "Sofia"),
        factories.make_user("Aud", role="auditor"),
        factories.make_user("Ada", role="administrator"),
    ]
    for user in others[2:]:
        factories.with_totp(user)
    others += [
        factories.partner_user(factories.make_partner()),
    ]
    for user in others:
        client.force_login(user)
        for method, url in URLS:
            url = url.format(pk=breach.pk, activity=activity.pk)
            response = getattr(client, method)(url)
            assert response.status_code == 404, (user, url, response.status_code)
    client.force_login(dana)
    for method, url in URLS:
        if method == "get":
            url = url.format(pk=breach.pk, activity=activity.pk)
            assert client.get(url).status_code == 200, url


def test_the_register_runs_the_same_queries_whatever_the_number_of_breaches(
    client, dana, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dana)
    log(dana)

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = {url: count(url) for url in ("/data-protection/breaches/", "/data-protection/")}
    for _ in range(6):
        log(dana)
    for url, queries in few.items():
        with django_assert_max_num_queries(queries):
            assert client.get(url).status_code == 200
