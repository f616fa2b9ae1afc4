"""The partner directory: staff read it, supervisors and administrators keep it, a partner user
sees none of it. Cara is a caseworker in North, Sofia supervises North, Ada administers, Aud
audits, Pat works for the refuge."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import Agreement, Meeting, PartnerOrganisation, Purpose
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db

CONTACTS = "Mira Okafor, 0470 12 34 56"


@pytest.fixture
def people(north):
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "ada": factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True),
        "aud": factories.make_user("Aud", role=Role.AUDITOR),
    }


@pytest.fixture
def refuge():
    return factories.make_partner("Safe Haven Refuge", contacts=CONTACTS)


@pytest.fixture
def agreement(refuge, people):
    return services.agreement_add(
        partner=refuge,
        actor=people["sofia"],
        type=Agreement.Type.DATA_SHARING,
        purposes=[Purpose.HOUSING, Purpose.SAFETY],
        categories=["identity", "risk"],
        valid_from=timezone.localdate() - datetime.timedelta(days=30),
        valid_to=timezone.localdate() + datetime.timedelta(days=300),
        signed_copy=("Signed by Mira Okafor.pdf", "application/pdf", factories.blank_pdf()),
    )


def today(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def agreement_post(**overrides):
    data = {
        "type": Agreement.Type.REFERRAL_PROTOCOL,
        "purposes": [Purpose.HOUSING],
        "categories": ["identity"],
        "valid_from": today(-1).isoformat(),
        "valid_to": today(364).isoformat(),
        "review_on": "",
        "signed_copy": SimpleUploadedFile(
            "protocol.pdf", factories.blank_pdf(), content_type="application/pdf"
        ),
    }
    data.update(overrides)
    return data


def partner_pages(partner, agreement) -> list[str]:
    return [
        reverse("referrals:directory"),
        reverse("referrals:partner", args=[partner.pk]),
        reverse("referrals:partner_add"),
        reverse("referrals:partner_edit", args=[partner.pk]),
        reverse("referrals:agreement_add", args=[partner.pk]),
        reverse("referrals:agreement_edit", args=[agreement.pk]),
        reverse("referrals:agreement_copy", args=[agreement.pk]),
        reverse("referrals:meeting_add", args=[partner.pk]),
        reverse("referrals:dashboard"),
    ]


# Who may see and keep ------------------------------------------------------------------------


def test_a_caseworker_reads_the_partner_page_and_its_opening_is_audited(
    client, people, refuge, agreement
):
    client.force_login(people["cara"])
    since = factories.audit_mark()
    page = client.get(reverse("referrals:partner", args=[refuge.pk]))
    assert page.status_code == 200
    assert CONTACTS in page.text
    assert reverse("referrals:agreement_copy", args=[agreement.pk]) in page.text
    # A reader is offered no change.
    assert reverse("referrals:partner_edit", args=[refuge.pk]) not in page.text
    assert reverse("referrals:meeting_add", args=[refuge.pk]) not in page.text
    factories.assert_accessed(refuge, AccessKind.VIEW, people["cara"], since=since, page="detail")


def test_a_caseworker_may_not_keep_the_directory(client, people, refuge, agreement):
    client.force_login(people["cara"])
    for url in partner_pages(refuge, agreement)[2:6] + partner_pages(refuge, agreement)[7:8]:
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("referrals:partner_edit", args=[refuge.pk]),
        {"name": "Renamed", "kind": "refuge", "channel": "accounts"},
    )
    assert response.status_code == 403
    refuge.refresh_from_db()
    assert refuge.name == "Safe Haven Refuge"
    assert client.get(reverse("referrals:dashboard")).status_code == 404


def test_the_services_refuse_anyone_who_does_not_keep_the_directory(people, refuge):
    with pytest.raises(PermissionDenied):
        services.partner_create(actor=people["cara"], name="X", kind="health", channel="phone")
    with pytest.raises(PermissionDenied):
        services.partner_update(partner=refuge, actor=people["aud"], name="Y")
    with pytest.raises(PermissionDenied):
        services.meeting_add(partner=refuge, actor=people["cara"], held_on=today(), attendees="A")


def test_a_partner_user_sees_nothing_of_the_directory(client, people, refuge, agreement):
    client.force_login(factories.partner_user(refuge))
    for url in partner_pages(refuge, agreement):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url


def test_anonymous_is_sent_to_sign_in(client, refuge, agreement):
    for url in partner_pages(refuge, agreement):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_an_auditor_reads_and_downloads_but_keeps_nothing(client, people, refuge, agreement):
    client.force_login(people["aud"])
    assert client.get(reverse("referrals:directory")).status_code == 200
    assert client.get(reverse("referrals:partner", args=[refuge.pk])).status_code == 200
    assert client.get(reverse("referrals:agreement_copy", args=[agreement.pk])).status_code == 200
    assert client.get(reverse("referrals:partner_edit", args=[refuge.pk])).status_code == 403


def test_administrators_keep_the_directory_and_see_the_dashboard(client, settings, people, refuge):
    settings.MFA_ENFORCE = False
    client.force_login(people["ada"])
    response = client.post(
        reverse("referrals:meeting_add", args=[refuge.pk]),
        {"held_on": today(-3).isoformat(), "attendees": "Ada, Mira", "notes": "", "next_on": ""},
    )
    assert response.status_code == 302
    assert Meeting.objects.filter(partner=refuge).count() == 1
    assert client.get(reverse("referrals:dashboard")).status_code == 200


# Keeping it ----------------------------------------------------------------------------------


def test_a_supervisor_adds_a_partner(client, people):
    client.force_login(people["sofia"])
    response = client.post(
        reverse("referrals:partner_add"),
        {
            "name": "  Legal Aid North ",
            "kind": "legal_aid",
            "channel": "protected_pdf",
            "contacts": "Desk: 02 555 01 01",
            "languages": "fr, nl",
            "is_active": "on",
        },
    )
    partner = PartnerOrganisation.objects.get(name="Legal Aid North")
    assert response.status_code == 302 and response.url == partner.get_absolute_url()
    assert partner.contacts == "Desk: 02 555 01 01" and partner.is_active
    factories.assert_changed(partner, AuditEntry.Action.CREATE)


def test_bad_input_is_refused_and_keeps_what_was_typed(client, people, refuge):
    client.force_login(people["sofia"])
    response = client.post(
        reverse("referrals:partner_add"),
        {"name": "Safe Haven Refuge", "kind": "", "channel": "phone", "contacts": "Keep me"},
    )
    assert response.status_code == 400
    assert "Keep me" in response.text
    assert "Choose the kind of organisation." in response.text
    response = client.post(
        reverse("referrals:partner_add"),
        {"name": "Safe Haven Refuge", "kind": "refuge", "channel": "phone", "contacts": "Keep me"},
    )
    assert response.status_code == 400
    assert "Keep me" in response.text and "already exists" in response.text
    assert PartnerOrganisation.objects.count() == 1


def test_a_name_already_in_the_directory_is_refused(people, refuge):
    with pytest.raises(ValidationError) as refused:
        services.partner_create(
            actor=people["sofia"], name="Safe Haven Refuge", kind="refuge", channel="phone"
        )
    assert "name" in refused.value.error_dict


def test_an_edit_saves_only_what_this_keeper_changed(client, people, refuge):
    client.force_login(people["sofia"])
    url = reverse("referrals:partner_edit", args=[refuge.pk])
    page = client.get(url)
    assert page.status_code == 200 and CONTACTS in page.text
    # Meanwhile Ada changes the contacts; Sofia's page still shows the old ones.
    services.partner_update(partner=refuge, actor=people["ada"], contacts="New desk: 02 555")
    response = client.post(
        url,
        {
            "name": refuge.name,
            "initial-name": refuge.name,
            "kind": "refuge",
            "initial-kind": "refuge",
            "channel": "accounts",
            "initial-channel": "accounts",
            "contacts": CONTACTS,
            "initial-contacts": CONTACTS,
            "services": "Emergency beds",
            "initial-services": "",
            "is_active": "on",
            "initial-is_active": "True",
        },
    )
    assert response.status_code == 302
    refuge.refresh_from_db()
    assert refuge.services == "Emergency beds"
    assert refuge.contacts == "New desk: 02 555"


def test_opening_the_edit_form_is_audited(client, people, refuge):
    client.force_login(people["sofia"])
    since = factories.audit_mark()
    assert client.get(reverse("referrals:partner_edit", args=[refuge.pk])).status_code == 200
    factories.assert_accessed(refuge, AccessKind.VIEW, people["sofia"], since=since, page="edit")


# Agreements ----------------------------------------------------------------------------------


def test_an_agreement_is_recorded_with_its_signed_copy_encrypted(client, people, refuge):
    client.force_login(people["sofia"])
    response = client.post(reverse("referrals:agreement_add", args=[refuge.pk]), agreement_post())
    assert response.status_code == 302
    agreement = Agreement.objects.get(partner=refuge)
    assert agreement.purposes == [Purpose.HOUSING] and agreement.categories == ["identity"]
    assert agreement.signed_copy == factories.blank_pdf()
    assert agreement.signed_copy_name == "protocol.pdf"
    assert agreement.signed_copy_type == "application/pdf"
    assert agreement.signed_copy_size == len(factories.blank_pdf())
    assert agreement.recorded_by == people["sofia"]


def test_a_bad_signed_copy_is_refused_and_the_terms_are_kept(client, people, refuge):
    client.force_login(people["sofia"])
    fake = SimpleUploadedFile("copy.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = client.post(
        reverse("referrals:agreement_add", args=[refuge.pk]),
        agreement_post(signed_copy=fake, review_on=today(200).isoformat()),
    )
    assert response.status_code == 400
    assert "do not match its type" in response.text
    assert today(200).isoformat() in response.text  # what was typed is still there
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"purposes": []}, "purposes", "at least one purpose"),
        ({"categories": []}, "categories", "at least one part"),
        ({"categories": ["internal"]}, "categories", "internal"),
        ({"valid_to": "2020-01-01", "valid_from": "2020-02-01"}, "valid_to", "ends before"),
    ],
)
def test_agreement_terms_are_checked(client, people, refuge, overrides, field, words):
    client.force_login(people["sofia"])
    response = client.post(
        reverse("referrals:agreement_add", args=[refuge.pk]), agreement_post(**overrides)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert words in " ".join(response.context["form"].errors[field])
    assert not Agreement.objects.exists()


def test_the_service_checks_the_terms_too(people, refuge):
    with pytest.raises(ValidationError) as refused:
        services.agreement_add(
            partner=refuge,
            actor=people["sofia"],
            type=Agreement.Type.DATA_SHARING,
            purposes=["anything"],
            categories=["internal"],
            valid_from=today(),
            valid_to=today(-1),
            signed_copy=("a.pdf", "application/pdf", factories.blank_pdf()),
        )
    assert set(refused.value.error_dict) == {"purposes", "categories", "valid_to"}


def test_an_agreement_is_corrected_keeping_its_copy(client, people, refuge, agreement):
    client.force_login(people["sofia"])
    url = reverse("referrals:agreement_edit", args=[agreement.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        agreement_post(
            type=Agreement.Type.DATA_SHARING,
            purposes=[Purpose.HOUSING, Purpose.SAFETY, Purpose.LEGAL],
            categories=["identity", "risk"],
            valid_from=agreement.valid_from.isoformat(),
            valid_to=today(500).isoformat(),
            review_on=today(400).isoformat(),
            signed_copy="",
        ),
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.valid_to == today(500) and agreement.review_on == today(400)
    assert agreement.purposes == [Purpose.SAFETY, Purpose.HOUSING, Purpose.LEGAL]
    assert agreement.signed_copy == factories.blank_pdf()
    factories.assert_changed(agreement)


def _went_under(agreement, people):
    case = factories.make_full_case(people["cara"])
    factories.sent_referral(case, agreement.partner, by=people["cara"], agreement=agreement)


@pytest.mark.parametrize(
    "change",
    [
        {"purposes": [Purpose.HOUSING]},
        {"categories": ["identity", "risk", "needs"]},
        {"valid_from": today(-60)},
        {"valid_to": today(900)},
    ],
)
def test_what_a_referral_went_under_is_not_changed_afterwards(people, agreement, change):
    _went_under(agreement, people)
    with pytest.raises(ValidationError) as refused:
        services.agreement_update(agreement=agreement, actor=people["sofia"], **change)
    [(field, [message])] = refused.value.message_dict.items()
    assert field == next(iter(change))
    assert "renew it: record a new agreement" in message
    before = agreement
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (agreement.purposes, agreement.categories) == (before.purposes, before.categories)
    assert (agreement.valid_from, agreement.valid_to) == (before.valid_from, before.valid_to)


def test_its_review_date_and_signed_copy_still_change_and_the_same_terms_pass(people, agreement):
    _went_under(agreement, people)
    services.agreement_update(
        agreement=agreement,
        actor=people["sofia"],
        review_on=today(200),
        purposes=list(reversed(agreement.purposes)),  # the same terms, in another order
        valid_to=agreement.valid_to,
        signed_copy=("renewed.pdf", "application/pdf", factories.blank_pdf()),
    )
    agreement.refresh_from_db()
    assert agreement.review_on == today(200)
    assert agreement.signed_copy_name == "renewed.pdf"


def test_without_referrals_the_terms_are_still_corrected(people, agreement):
    services.agreement_update(agreement=agreement, actor=people["sofia"], valid_to=today(100))
    agreement.refresh_from_db()
    assert agreement.valid_to == today(100)


def test_the_edit_form_says_so_and_keeps_the_terms_fixed(client, people, refuge, agreement):
    url = reverse("referrals:agreement_edit", args=[agreement.pk])
    client.force_login(people["sofia"])
    assert "renew it: record a new agreement" not in client.get(url).text
    _went_under(agreement, people)
    page = client.get(url)
    assert "renew it: record a new agreement" in page.text
    assert page.context["form"].fields["valid_to"].disabled
    assert not page.context["form"].fields["review_on"].disabled
    # A posted change to a fixed term is ignored; the review date is saved.
    response = client.post(
        url,
        agreement_post(
            type=agreement.type,
            purposes=[Purpose.LEGAL],
            valid_to=today(900).isoformat(),
            review_on=today(150).isoformat(),
            signed_copy="",
        ),
    )
    assert response.status_code == 302
    saved = Agreement.objects.get(pk=agreement.pk)
    assert saved.review_on == today(150)
    assert saved.valid_to == agreement.valid_to and saved.purposes == agreement.purposes


def test_the_partner_page_links_to_its_users_for_administrators_only(
    client, people, refuge, settings
):
    settings.MFA_ENFORCE = False
    users = reverse("referrals:partner_users", args=[refuge.pk])
    page = reverse("referrals:partner", args=[refuge.pk])
    client.force_login(people["ada"])
    assert f'href="{users}"' in client.get(page).text
    for name in ("sofia", "cara", "aud"):
        client.force_login(people[name])
        assert users not in client.get(page).text, name


def test_the_signed_copy_download_is_audited_and_neutrally_named(client, people, refuge, agreement):
    client.force_login(people["cara"])
    since = factories.audit_mark()
    response = client.get(reverse("referrals:agreement_copy", args=[agreement.pk]))
    assert response.status_code == 200
    assert response.content == factories.blank_pdf()
    assert response["Content-Disposition"] == f'attachment; filename="agreement-{agreement.pk}.pdf"'
    assert "Okafor" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    factories.assert_accessed(agreement, AccessKind.DOWNLOAD, people["cara"], since=since)


def test_an_agreement_without_a_copy_has_no_download(client, people, refuge):
    bare = factories.make_agreement(refuge)
    client.force_login(people["sofia"])
    assert client.get(reverse("referrals:agreement_copy", args=[bare.pk])).status_code == 404


# Meetings and the list -----------------------------------------------------------------------


def test_meetings_show_newest_first_and_the_directory_shows_the_last(client, people, refuge):
    services.meeting_add(
        partner=refuge, actor=people["sofia"], held_on=today(-200), attendees="First"
    )
    services.meeting_add(
        partner=refuge, actor=people["sofia"], held_on=today(-10), attendees="Second"
    )
    factories.make_partner("Never Met Counselling", kind="counselling")
    client.force_login(people["cara"])
    page = client.get(reverse("referrals:partner", args=[refuge.pk])).text
    assert page.index("Second") < page.index("First")
    listing = client.get(reverse("referrals:directory"))
    rows = {p.name: p for p in listing.context["partners"]}
    assert rows["Safe Haven Refuge"].last_met == today(-10)
    assert rows["Never Met Counselling"].last_met is None
    assert "never" in listing.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": today(1).isoformat()}, "held_on"),
        ({"next_on": today(-5).isoformat()}, "next_on"),
        ({"attendees": "  "}, "attendees"),
    ],
)
def test_a_meeting_is_checked_and_what_was_typed_kept(client, people, refuge, overrides, field):
    client.force_login(people["sofia"])
    data = {"held_on": today(-1).isoformat(), "attendees": "Sofia", "notes": "Talked of beds."}
    data.update(overrides)
    response = client.post(reverse("referrals:meeting_add", args=[refuge.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Talked of beds." in response.text
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "state"),
    [
        (-10, 61, "valid"),
        (-10, 60, "expiring"),
        (-10, 0, "expiring"),
        (-100, -1, "expired"),
        (5, 100, "none"),
    ],
)
def test_the_directory_shows_each_agreement_state(client, people, valid_from, valid_to, state):
    partner = factories.make_partner("Clinic", kind="health")
    factories.make_agreement(partner, valid_from=today(valid_from), valid_to=today(valid_to))
    client.force_login(people["cara"])
    [row] = client.get(reverse("referrals:directory")).context["partners"]
    assert row.agreement_state == state


def test_the_directory_filters_by_kind_and_active(client, people, refuge):
    factories.make_partner("Old Clinic", kind="health", is_active=False)
    factories.make_partner("Clinic", kind="health")
    client.force_login(people["cara"])
    names = [
        p.name
        for p in client.get(
            reverse("referrals:directory"), {"kind": "health", "active": "no"}
        ).context["partners"]
    ]
    assert names == ["Old Clinic"]
    names = [
        p.name
        for p in client.get(reverse("referrals:directory"), {"active": "yes"}).context["partners"]
    ]
    assert names == ["Clinic", "Safe Haven Refuge"]


def test_the_directory_takes_the_same_queries_for_many_partners(
    client, people, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for _ in range(n):
            partner = factories.make_partner()
            factories.make_agreement(partner, recorded_by=people["sofia"])
            Meeting.objects.create(
                partner=partner, held_on=today(-3), attendees="x", recorded_by=people["sofia"]
            )

    client.force_login(people["cara"])
    add(2)
    client.get(reverse("referrals:directory"))  # sessions and roles warmed
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referrals:directory"))
    add(20)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("referrals:directory"))
    assert len(response.context["partners"]) == 22


def test_the_partner_page_takes_the_same_queries_for_many_meetings(client, people, refuge):
    def add(n: int) -> None:
        for i in range(n):
            factories.make_agreement(refuge, recorded_by=people["sofia"])
            Meeting.objects.create(
                partner=refuge, held_on=today(-i), attendees="x", recorded_by=people["sofia"]
            )

    client.force_login(people["sofia"])
    url = reverse("referrals:partner", args=[refuge.pk])
    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(15)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["meetings"]) == 16
    assert len(many) == len(few)
