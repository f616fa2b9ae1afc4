"""The case page: a summary, an in-page index and one section per part of the file, every one
rendered from the projection; the audiences each part may be shown to; withdrawing a consent
is asked first."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.template.loader import get_template, render_to_string

from cases import services
from cases.models import Consent, ThirdParty
from risk import services as risk_services
from risk.models import InstrumentVersion
from tests import factories
from tests.factories import add_risk, full_answers, train
from victimsupport import casefile
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CANARY = "CANARY-staff-only-7f3a"


@pytest.fixture
def case(cara):
    train(cara)
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


def page_sections(html: str) -> list[str]:
    return re.findall(r'data-section="([^"]+)"', html)


def view_entries(obj):
    return AuditEntry.objects.get_for_object(obj).filter(
        action=AuditEntry.Action.ACCESS, additional_data__access="view"
    )


# --- Every section from the projection ---------------------------------------------------


def test_every_section_has_a_page_rendering_and_a_pdf_one(case, cara):
    add_risk(case, cara)
    for section in casefile.build(case).sections:
        assert section.page_template, f"{section.key} has no page_template"
        get_template(section.page_template)
        get_template(section.template)


def test_the_page_shows_every_section_of_the_projection_in_its_order(client_cara, case, cara):
    add_risk(case, cara)
    page = client_cara.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    keys = [s.key for s in casefile.build(case).sections]
    assert page_sections(page.text) == keys
    # The in-page index links to each of them, and to the timeline.
    for key in ["timeline", *keys]:
        assert f'href="#section-{key}"' in page.text
        assert f'id="section-{key}"' in page.text
    assert view_entries(case).count() == 1


def test_a_section_an_app_adds_appears_on_the_page(client_cara, case, monkeypatch):
    def contribute(case):
        section = casefile.Section(
            "canary_section",
            "A section added by another app",
            casefile.Category.NOTES,
            casefile.STAFF_ONLY,
            "casefile/sections/needs.html",
            {},
            order=85,
            page_template="casefile/page/needs.html",
        )
        return [section], []

    monkeypatch.setitem(
        casefile._contributors,
        "canary",
        casefile.Contributor(name="canary", contribute=contribute, models={}),
    )
    page = client_cara.get(f"/cases/{case.pk}/")
    keys = page_sections(page.text)
    assert keys.index("canary_section") == keys.index("consents") + 1
    assert "A section added by another app" in page.text
    assert 'href="#section-canary_section"' in page.text


def test_a_panel_left_out_of_the_projection_is_not_on_the_page(client_cara, case, monkeypatch):
    """The page owns no section markup of its own: take a section out of the projection and
    its content goes from the page."""
    page = client_cara.get(f"/cases/{case.pk}/")
    consent = case.consents.get()
    assert consent.purpose in page.text and case.victim.phone in page.text
    cases_part = casefile._contributors["cases"]

    def without_person_and_consents(case):
        sections, timeline = cases_part.contribute(case)
        kept = [s for s in sections if s.key not in {"person", "consents"}]
        # The summary still names the person: it reads the person's record from the file.
        victim = next(s for s in sections if s.key == "person").data
        kept.append(replace(kept[0], key="names", data=victim))
        return kept, [t for t in timeline if t.category != casefile.Category.CONSENTS]

    monkeypatch.setitem(
        casefile._contributors,
        "cases",
        replace(cases_part, contribute=without_person_and_consents),
    )
    page = client_cara.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert consent.purpose not in page.text
    assert case.victim.phone not in page.text
    assert "section-consents" not in page.text and "section-person" not in page.text


def test_the_summary_comes_first_with_the_do_not_contact_flag(client_cara, case):
    type(case).objects.filter(pk=case.pk).update(do_not_contact=True)
    page = client_cara.get(f"/cases/{case.pk}/").text
    summary = page[page.index('id="case-summary"') : page.index('class="case-nav"')]
    assert case.reference in summary and "Mira" in summary
    assert "Risk level" in summary and "Assigned to" in summary and "Safe contact" in summary
    assert "None: do not contact" in summary
    assert page.index("DO NOT CONTACT") < page.index('id="case-summary"')


def test_forms_open_where_they_are_used(client_cara, case):
    page = client_cara.get(f"/cases/{case.pk}/").text
    timeline = page[page.index('id="section-timeline"') : page.index('data-section="person"')]
    assert "<summary>Add a note</summary>" in timeline
    assert "<summary>Record a contact</summary>" in timeline
    consents = page[page.index('data-section="consents"') : page.index('data-section="documents"')]
    assert "<summary>Record a consent</summary>" in consents
    assert "forms-grid" not in page


def test_a_refused_note_comes_back_open_in_its_section(client_cara, case):
    page = client_cara.post(f"/cases/{case.pk}/notes/", {"body": ""})
    assert page.status_code == 400
    assert re.search(r'<details class="form-drawer" open>\s*<summary>Add a note', page.text)
    assert view_entries(case).count() == 1


# --- Audiences: what the person and a partner may be shown ---------------------------------


@pytest.fixture
def case_with_staff_only_text(case, cara):
    """A case with the canary in every staff-only place: a note, a contact, another person,
    a staff note on a safety action, the assessment's reason and rationale, a screening's
    words, a closure reason, a document's description and a withdrawal note."""
    services.note_add(case=case, actor=cara, body=f"Note {CANARY}")
    services.contact_record(
        case=case, actor=cara, method="phone", direction="in", summary=f"Call {CANARY}"
    )
    ThirdParty.objects.create(case=case, name=f"Feared {CANARY}", details=CANARY)
    risk_services.safety_action_add(
        case=case,
        actor=cara,
        kind="accommodation",
        description="Refuge place in another town",
        owner_other="Themselves",
        internal_note=f"Police say {CANARY}",
    )
    version = InstrumentVersion.objects.get(instrument__key="default")
    assessment = risk_services.assessment_start(case=case, actor=cara, version=version)
    risk_services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers=full_answers(),
        rationale=CANARY,
        override_level="high",
        override_reason=f"Told by the police {CANARY}",
    )
    screen = case.screens.get()
    screen.victim_words = CANARY
    screen.save(update_fields=["victim_words"])
    services.document_add(
        case=case,
        actor=cara,
        name="letter.txt",
        content_type="text/plain",
        data=b"hello",
        description=CANARY,
    )
    consent = case.consents.get()
    services.consent_withdraw(consent=consent, actor=cara, version=consent.version, note=CANARY)
    services.case_close(case=case, actor=cara, reason=f"Closed {CANARY}")
    case.refresh_from_db()
    return case


def rendered(file: casefile.CaseFile) -> str:
    """Every section (its PDF template and its page template) and every timeline entry."""
    context = {
        **file.context(),
        "case": file.case,
        "include_third_parties": True,
        "can_edit": False,
    }
    parts = []
    for section in file.sections:
        parts.append(render_to_string(section.template, {**context, "section": section}))
        parts.append(render_to_string(section.page_template, {**context, "section": section}))
    parts.append(render_to_string("casefile/_timeline.html", context))
    return "\n".join(parts)


def test_staff_see_every_staff_only_text(case_with_staff_only_text):
    # The control: the canary is there to be found, so its absence below means something.
    text = rendered(casefile.build(case_with_staff_only_text))
    assert text.count(CANARY) >= 9


@pytest.mark.parametrize("audience", [casefile.Audience.PERSON, casefile.Audience.PARTNER])
def test_the_person_and_a_partner_see_no_staff_only_text(case_with_staff_only_text, audience):
    file = casefile.build(case_with_staff_only_text).for_audience(audience)
    assert file.sections, "something is theirs to see"
    assert CANARY not in rendered(file)


def test_the_persons_safety_plan_keeps_its_actions_and_drops_the_staff_notes(
    case_with_staff_only_text,
):
    file = casefile.build(case_with_staff_only_text)
    keys = {s.key for s in file.for_audience(casefile.Audience.PERSON).sections}
    assert "safety_plan" in keys and "safety_plan_notes" not in keys
    text = rendered(file.for_audience(casefile.Audience.PERSON))
    assert "Refuge place in another town" in text


def test_staff_only_kinds_never_carry_another_audience(case_with_staff_only_text):
    file = casefile.build(case_with_staff_only_text)
    staff_only = {
        casefile.Category.INTERNAL,
        casefile.Category.THIRD_PARTIES,
        casefile.Category.NOTES,
        casefile.Category.RISK,
        casefile.Category.DOCUMENTS,
    }
    for entry in [*file.sections, *file.timeline]:
        if entry.category in staff_only:
            assert entry.audiences == casefile.STAFF_ONLY, entry


# --- Withdrawing a consent is asked first ------------------------------------------------


@pytest.fixture
def consent(case, cara):
    return services.consent_give(
        case=case,
        actor=cara,
        purpose="Keeping notes of our calls",
        data_categories=["identity"],
        method=Consent.Method.WRITTEN,
    )


def test_the_case_page_asks_before_withdrawing(client_cara, case, consent):
    page = client_cara.get(f"/cases/{case.pk}/").text
    confirm = f"/cases/{case.pk}/consents/{consent.pk}/withdraw/"
    assert f'href="{confirm}"' in page
    assert f'action="{confirm}"' not in page  # no one-click withdrawal on the case page


def test_the_confirmation_says_what_stops(client_cara, case, consent):
    page = client_cara.get(f"/cases/{case.pk}/consents/{consent.pk}/withdraw/")
    assert page.status_code == 200
    assert "Withdraw this consent?" in page.text
    assert "no longer used for this purpose" in page.text
    assert "Keeping notes of our calls" in page.text
    assert f'id="id_withdraw_{consent.pk}_note"' in page.text
    consent.refresh_from_db()
    assert consent.withdrawn_at is None  # asking withdraws nothing
    assert view_entries(consent).count() == 1


def test_confirming_withdraws_and_returns_to_the_case(client_cara, case, consent):
    url = f"/cases/{case.pk}/consents/{consent.pk}/withdraw/"
    response = client_cara.post(url, {"version": consent.version, "note": "Asked by phone"})
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_note == "Asked by phone"
    updates = AuditEntry.objects.get_for_object(consent).filter(action=AuditEntry.Action.UPDATE)
    assert updates.count() == 1


def test_a_withdrawn_consent_offers_no_second_withdrawal(client_cara, case, consent, cara):
    services.consent_withdraw(consent=consent, actor=cara, version=consent.version)
    page = client_cara.get(f"/cases/{case.pk}/consents/{consent.pk}/withdraw/")
    assert page.status_code == 200
    assert "This consent was withdrawn on" in page.text
    assert "Withdraw the consent" not in page.text


def test_only_a_writer_may_open_the_confirmation(client, case, consent, north):
    viewer = factories.supervisor(factories.make_team("Elsewhere"))
    client.force_login(viewer)
    assert client.get(f"/cases/{case.pk}/consents/{consent.pk}/withdraw/").status_code == 404
