"""The record of processing activities: filled in from what the app stores, edited by the
DPO, never overwritten by filling in again."""

from __future__ import annotations

import pytest

from dataprotection.models import ProcessingActivity
from dataprotection.services import records
from referrals.models import Purpose
from tests import factories
from victimsupport.casefile import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana():
    return factories.dpo("Dana")


@pytest.fixture
def network(north, cara):
    """A refuge whose agreement covers housing only, and a consent to share for legal advice."""
    refuge = factories.make_partner("Safe Harbour Refuge", kind="refuge")
    factories.make_agreement(refuge, purposes=("housing",), categories=("identity", "needs"))
    case = factories.make_case(team=north, assigned_to=cara)
    factories.make_sharing_consent(case, factories.make_partner("Law Centre"), purpose="legal")
    return refuge


def test_filling_in_names_the_categories_and_the_purposes_in_use(dana, network):
    added = records.processing_prefill(actor=dana)
    keys = {a.key for a in added}
    assert {"casework", "risk", "access_requests", "breaches", "staff"} <= keys
    assert {"referral:housing", "referral:legal"} <= keys
    # Only the purposes an agreement or a consent names.
    assert "referral:health" not in keys and "referral:children" not in keys
    casework = ProcessingActivity.objects.get(key="casework")
    assert set(casework.data_categories) == set(Category.values)
    assert "fear" in casework.people and "children" in casework.people
    housing = ProcessingActivity.objects.get(key="referral:housing")
    assert "Safe Harbour Refuge" in housing.recipients and "Refuge" in housing.recipients
    assert housing.data_categories == ["identity", "needs"]
    assert str(dict(Purpose.choices)["housing"]) in housing.name
    # Nobody has an agreement for legal advice: the entry says nothing can go.
    legal = ProcessingActivity.objects.get(key="referral:legal")
    assert "No partner organisation" in legal.recipients
    assert "AES-256-GCM" in casework.security and "blind index" in casework.security
    assert "2190 days" in casework.retention or "6 years" in casework.retention


def test_filling_in_takes_the_retention_schedule_over_the_profile(dana):
    from dataprotection.models import RetentionRule

    RetentionRule.objects.create(kind="closed_case", days=730, updated_by=dana)
    records.processing_prefill(actor=dana)
    assert "2 years" in ProcessingActivity.objects.get(key="casework").retention


def test_filling_in_twice_adds_nothing_and_never_overwrites_an_edit(dana, network):
    records.processing_prefill(actor=dana)
    count = ProcessingActivity.objects.count()
    casework = ProcessingActivity.objects.get(key="casework")
    records.processing_activity_update(
        actor=dana, activity=casework, version=casework.version, purpose="Our own words."
    )
    assert records.processing_prefill(actor=dana) == []
    assert ProcessingActivity.objects.count() == count
    assert ProcessingActivity.objects.get(key="casework").purpose == "Our own words."


def test_a_purpose_newly_in_use_is_added_on_the_next_fill_in(dana, network):
    records.processing_prefill(actor=dana)
    factories.make_agreement(factories.make_partner("Clinic", kind="health"), purposes=("health",))
    added = records.processing_prefill(actor=dana)
    assert [a.key for a in added] == ["referral:health"]


def test_an_entry_is_added_edited_and_removed_with_its_version(dana):
    from victimsupport.concurrency import EditConflict

    activity = records.processing_activity_add(
        actor=dana,
        name="Newsletter",
        purpose="Tell supporters of our work.",
        lawful_basis="consent",
        data_categories=["contact_details"],
        people="Supporters.",
        retention="Until they unsubscribe.",
        security="Encrypted.",
    )
    assert activity.key == ""
    records.processing_activity_update(
        actor=dana, activity=activity, version=activity.version, name="Supporters' newsletter"
    )
    with pytest.raises(EditConflict):
        records.processing_activity_update(
            actor=dana, activity=activity, version=activity.version, name="Stale"
        )
    activity.refresh_from_db()
    assert activity.name == "Supporters' newsletter"
    records.processing_activity_remove(actor=dana, activity=activity, version=activity.version)
    assert not ProcessingActivity.objects.exists()


def test_the_record_page_fills_in_and_says_edits_are_kept(client, dana, network):
    client.force_login(dana)
    page = client.get("/data-protection/records/")
    assert page.status_code == 200
    assert "Fill in from what the app stores" in page.content.decode()
    assert "never changes an entry already in the record" in page.content.decode()
    response = client.post("/data-protection/records/fill-in/", follow=True)
    body = response.content.decode()
    assert "entries added" in body and "Safe Harbour Refuge" in body
    response = client.post("/data-protection/records/fill-in/", follow=True)
    assert "Nothing to add" in response.content.decode()


def test_the_edit_page_keeps_what_was_typed_when_refused(client, dana):
    records.processing_prefill(actor=dana)
    casework = ProcessingActivity.objects.get(key="casework")
    client.force_login(dana)
    url = f"/data-protection/records/{casework.pk}/"
    assert "filling in again never overwrites" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "version": casework.version,
            "name": "Casework typed",
            "purpose": "",
            "lawful_basis": "consent",
            "people": "Victims.",
            "retention": "Six years.",
            "security": "Encrypted.",
        },
    )
    assert response.status_code == 400
    assert "Casework typed" in response.content.decode()
    data = {
        "version": casework.version,
        "name": "Casework",
        "purpose": "Support.",
        "lawful_basis": "consent",
        "data_categories": ["identity"],
        "people": "Victims.",
        "retention": "Six years.",
        "security": "Encrypted.",
    }
    assert client.post(url, data).status_code == 302
    casework.refresh_from_db()
    assert casework.purpose == "Support." and casework.data_categories == ["identity"]
    # The same version again: someone saved in between, so 409 with both versions.
    assert client.post(url, data).status_code == 409


def test_the_add_page_adds_an_entry(client, dana):
    client.force_login(dana)
    assert client.get("/data-protection/records/add/").status_code == 200
    response = client.post(
        "/data-protection/records/add/",
        {
            "name": "CCTV",
            "purpose": "Safety of the office.",
            "lawful_basis": "legitimate_interests",
            "people": "Visitors.",
            "retention": "30 days.",
            "security": "Locked room.",
        },
    )
    assert response.status_code == 302
    assert ProcessingActivity.objects.get().name == "CCTV"
    entry = ProcessingActivity.objects.get()
    response = client.post(
        f"/data-protection/records/{entry.pk}/remove/", {"version": entry.version}
    )
    assert response.status_code == 302 and not ProcessingActivity.objects.exists()
