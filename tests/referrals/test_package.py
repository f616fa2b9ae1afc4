"""The package: what of a case file goes to a partner, rendered once from the projection.

Cara works in North and refers her case to a refuge that has an agreement and the person's
consent for everything shareable.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.models import NeedsRecord
from referrals import services
from referrals.models import Purpose, Referral
from referrals.package import render_package
from risk import services as risk_services
from tests import factories

pytestmark = pytest.mark.django_db

NEEDS_CANARY = "CANARY-NEEDS-7f3a"
NOTE_CANARY = "CANARY-NOTE-91bc"
INTERNAL_CANARY = "CANARY-INTERNAL-42de"
MESSAGE = "Please call her on the safe phone in the morning."


def _case(cara, **person):
    case = factories.make_full_case(cara, **person)
    NeedsRecord.objects.create(
        case=case, details=NEEDS_CANARY, crime_reported="no", recorded_by=cara
    )
    case_services.note_add(case=case, actor=cara, body=NOTE_CANARY)
    risk_services.safety_action_add(
        case=case,
        actor=cara,
        kind="accommodation",
        description="Refuge place",
        owner_other="Themselves",
        internal_note=INTERNAL_CANARY,
    )
    return case


@pytest.fixture
def partner():
    partner = factories.make_partner("Harbour Refuge")
    factories.make_agreement(partner)
    return partner


def _draft(case, cara, partner, categories):
    return services.referral_draft(
        case=case,
        actor=cara,
        partner=partner,
        purpose=Purpose.SAFETY,
        urgency="urgent",
        message=MESSAGE,
        categories=categories,
    )


def test_the_package_holds_exactly_the_chosen_categories(cara, partner):
    case = _case(cara)
    needs_only = render_package(case, ["needs"], _draft(case, cara, partner, ["needs"]))
    assert NEEDS_CANARY in needs_only
    assert "Mornings" not in needs_only  # the safe contact section was not chosen
    safety_only = render_package(case, ["safety"], _draft(case, cara, partner, ["safety"]))
    assert "Mornings" in safety_only
    assert NEEDS_CANARY not in safety_only
    victim = case.victim
    for html in (needs_only, safety_only):
        assert victim.given_name not in html  # identity was not chosen


def test_notes_never_go_even_when_chosen(cara, partner):
    # Notes are staff's only in the projection: choosing the category sends none of them.
    case = _case(cara)
    html = render_package(case, ["notes", "needs"], _draft(case, cara, partner, ["notes"]))
    assert NOTE_CANARY not in html


def test_internal_staff_notes_are_never_in_a_package(cara, partner):
    case = _case(cara)
    referral = _draft(case, cara, partner, sorted(services.SHAREABLE))
    assert INTERNAL_CANARY not in render_package(case, referral.categories, referral)
    # Not even if "internal" were asked for by a tampered request.
    assert INTERNAL_CANARY not in render_package(case, ["internal", "safety"], referral)


def test_identity_shows_the_name_and_date_of_birth(cara, partner):
    case = _case(cara)
    html = render_package(case, ["identity"], _draft(case, cara, partner, ["identity"]))
    victim = case.victim
    assert f"{victim.given_name} {victim.family_name}" in html
    assert "1 Jan 1990" in html
    assert victim.phone not in html and victim.email not in html


def test_the_alias_is_shown_in_place_of_the_name(cara, partner):
    case = _case(cara, preferred_name="Robin Sparrow")
    html = render_package(case, ["identity"], _draft(case, cara, partner, ["identity"]))
    assert "Robin Sparrow" in html
    assert case.victim.given_name not in html


def test_the_header_says_who_why_how_urgent_and_what(cara, partner):
    case = _case(cara)
    referral = _draft(case, cara, partner, ["needs", "safety"])
    html = render_package(case, referral.categories, referral)
    for expected in ("Harbour Refuge", "Safety planning and protection", "Urgent", MESSAGE):
        assert expected in html.replace("&#x27;", "'")
    assert "Needs, Safety and contact rules" in html or "Safety and contact rules" in html


def test_the_preview_is_the_package_that_is_stored(client, cara, partner):
    case = _case(cara)
    factories.make_sharing_consent(case, partner, recorded_by=cara)
    referral = _draft(case, cara, partner, ["identity", "needs", "safety"])
    client.force_login(cara)
    page = client.get(reverse("referrals:referral", args=[case.pk, referral.pk]))
    preview = render_package(case, referral.categories, Referral.objects.get(pk=referral.pk))
    assert preview in page.content.decode()
    sent = services.referral_send(referral=referral, actor=cara, version=referral.version)
    assert Referral.objects.get(pk=sent.pk).package == preview
    # Later changes to the file do not change what was sent.
    NeedsRecord.objects.create(
        case=case, details="Changed later", crime_reported="no", recorded_by=cara
    )
    page = client.get(reverse("referrals:referral", args=[case.pk, referral.pk]))
    assert preview in page.content.decode() and "Changed later" not in page.content.decode()


def test_contact_details_are_only_the_safe_ways_to_reach_them(cara, partner):
    # The intake marked the telephone safe in the mornings and said nothing of e-mail.
    case = _case(cara)
    victim = case.victim
    html = render_package(
        case, ["contact_details"], _draft(case, cara, partner, ["contact_details"])
    )
    assert victim.phone in html and "Mornings" in html
    assert victim.email not in html  # e-mail was never marked safe


def test_no_contact_details_when_they_must_not_be_contacted(cara, partner):
    case = _case(cara)
    type(case).objects.filter(pk=case.pk).update(do_not_contact=True)
    case.refresh_from_db()
    html = render_package(
        case, ["contact_details"], _draft(case, cara, partner, ["contact_details"])
    )
    assert case.victim.phone not in html
    assert "Do not contact them" in html


def test_risk_is_the_level_and_the_next_review_never_the_answers(cara, partner):
    case = factories.make_full_case(cara)
    factories.train(cara)
    factories.add_risk(case, cara)
    case.refresh_from_db()
    html = render_package(case, ["risk"], _draft(case, cara, partner, ["risk"]))
    assert case.get_risk_level_display() in html
    assert "Current risk level" in html


def test_the_form_offers_only_what_a_package_can_carry(client, cara, partner):
    case = _case(cara)
    client.force_login(cara)
    page = client.get(reverse("referrals:referral_new", args=[case.pk])).content.decode()
    for offered in ("identity", "contact_details", "safety", "risk", "needs"):
        assert f'value="{offered}"' in page
    for never in ("notes", "documents", "third_parties", "internal"):
        assert f'value="{never}"' not in page


def test_a_package_changed_since_its_preview_is_not_sent_unseen(client, cara, partner):
    case = _case(cara)
    factories.make_sharing_consent(case, partner, recorded_by=cara)
    referral = _draft(case, cara, partner, ["identity", "needs", "safety"])
    client.force_login(cara)
    page = client.get(reverse("referrals:referral", args=[case.pk, referral.pk]))
    looked_at = re.search(r'name="preview" value="([0-9a-f]{64})"', page.text).group(1)
    # A colleague records new needs between the preview and the click.
    NeedsRecord.objects.create(
        case=case, details="Now needs an interpreter", crime_reported="no", recorded_by=cara
    )
    send = reverse("referrals:referral_send", args=[case.pk, referral.pk])
    refused = client.post(send, {"version": referral.version, "preview": looked_at})
    assert refused.status_code == 400
    assert "The case file changed since you looked at the package" in refused.text
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DRAFT
    # The page now previews the package as it is; sending that one goes.
    fresh = re.search(r'name="preview" value="([0-9a-f]{64})"', refused.text).group(1)
    assert fresh != looked_at and "Now needs an interpreter" in refused.text
    sent = client.post(send, {"version": referral.version, "preview": fresh})
    assert sent.status_code == 302
    assert "Now needs an interpreter" in Referral.objects.get(pk=referral.pk).package
