"""The sensitive-terms check against the second review's findings: the site's own name (H-a),
a listed code written with commas or words between its digits (M-b), allowed numbers after a
code word (M-c), a lower-case street address in a refuge's evidence (M-d), and what an
ordinary safety page says that the check refused (L-b)."""

from __future__ import annotations

import pytest

from premises.sensitive import (
    KIND_LABELS,
    LOCATION_KINDS,
    PRIORITY,
    Kind,
    find_sensitive,
    location_matches,
    name_parts,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def refuge(north):
    return factories.make_site(
        north, kind="refuge", name="Lantern House", address="12 Lantern Row\nHarbourside"
    )


@pytest.fixture
def office(north):
    return factories.make_site(
        north, kind="office", name="North office", address="7 Market Street\nTownsend"
    )


@pytest.fixture
def coded(refuge, north):
    factories.make_sensitive_term(refuge, factories.supervisor(north, "Sue"), term="4711")
    return refuge


def kinds(text, site):
    return [m.kind for m in find_sensitive(text, site=site)]


# --- H-a: the site's own name ------------------------------------------------------------


def test_the_name_is_a_kind_of_its_own_after_the_address():
    assert Kind.NAME in LOCATION_KINDS and Kind.NAME in KIND_LABELS
    assert PRIORITY.index(Kind.NAME) == PRIORITY.index(Kind.ADDRESS) + 1


@pytest.mark.parametrize(
    "text", ["Welcome to Lantern House", "Bienvenue à LANTERN house.", "The Lantern is safe."]
)
def test_a_page_naming_the_site_is_refused(refuge, text):
    assert Kind.NAME in kinds(text, refuge), text


def test_the_match_says_it_is_the_name(refuge):
    [match] = find_sensitive("Welcome to Lantern House.", site=refuge)
    assert match.kind == Kind.NAME and match.text == "Lantern House"
    assert str(match.label) == "the site's name"


def test_a_caption_naming_the_refuge_is_refused(refuge):
    assert [m.kind for m in location_matches("Front door of Lantern House", site=refuge)] == [
        Kind.NAME
    ]


def test_ordinary_words_of_a_name_are_not_looked_for_alone(north):
    site = factories.make_site(north, kind="refuge", name="The North Women's House")
    assert name_parts(site.name) == ["the north women s house"]
    assert not find_sensitive("Our house is open to women in the north.", site=site)
    assert Kind.NAME in kinds("The North Women's House", site)


def test_french_stop_words_are_not_looked_for_alone(north):
    site = factories.make_site(north, kind="refuge", name="Maison des Tilleuls Équipe Sud")
    assert name_parts(site.name) == ["maison des tilleuls equipe sud", "tilleuls"]
    assert not find_sensitive("La maison de l'équipe du sud.", site=site)
    assert Kind.NAME in kinds("Aux Tilleuls, vous êtes en sécurité.", site)


# --- M-b: a listed code with commas or words between the digits ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "press 4, 7, 1, 1",
        "press 4, 7, 1 and 1",
        "tapez 4, 7, 1 puis 1",
        "4; 7; 1; 1",
        "4_7_1_1",
        "4·7·1·1",
        "four, seven, one then one",
        "quatre, sept, un et un",
        "press 4, 7, 1, 1 and 5 seconds later the door opens",
    ],
)
def test_a_listed_code_with_commas_or_words_between_the_digits_is_refused(coded, text):
    assert Kind.TERM in kinds(text, coded), text


def test_other_numbers_in_a_list_are_not_the_listed_code(coded):
    assert Kind.TERM not in kinds("Rooms 4, 7, 2 and 1 are being painted.", coded)


def test_a_helpline_next_to_another_is_still_allowed(office):
    assert not find_sensitive("Call 3919, 116 006 or 0808 2000 247.", site=office)


# --- M-c: the allowed numbers never hide a door code ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Keypad: 116 123",
        "The key safe combination is in 2019.",
        "Door code 3919",
        "Le code est depuis 2021.",
    ],
)
def test_an_allowed_number_after_a_code_word_is_a_door_code(office, text):
    assert Kind.DOOR_CODE in kinds(text, office), text


def test_an_allowed_term_after_a_code_word_is_a_door_code(office, north):
    factories.make_sensitive_term(
        office, factories.supervisor(north, "Sam"), term="1234", kind="allowed"
    )
    assert Kind.DOOR_CODE in kinds("PIN 1234", office)
    assert not find_sensitive("Reference 1234.", site=office)


@pytest.mark.parametrize(
    "text", ["Call 116 123 at any time.", "Open since 2019.", "We installed an alarm in 2021."]
)
def test_the_allowed_numbers_are_still_allowed_without_a_code_word(office, text):
    assert not find_sensitive(text, site=office), text


# --- M-d: a lower-case street address in a refuge's evidence -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the bus stop at 3 harbour road",
        "meet at 14 old mill lane.",
        "taxi rank at 2, station street",
        "le point de rendez-vous est au 8 rue des lilas",
        "au 5 bis avenue de la gare",
    ],
)
def test_a_lower_case_street_address_in_evidence_is_refused(refuge, text):
    assert Kind.STREET in [m.kind for m in location_matches(text, site=refuge)], text


@pytest.mark.parametrize(
    "text",
    [
        "3 people in the park",
        "2 staff walk the corridor",
        "4 cars in a row",
        "the 2 fire doors close by themselves",
        "the 3 residents left by the back road",
    ],
)
def test_ordinary_evidence_is_not_a_street_address(refuge, text):
    assert not location_matches(text, site=refuge), text


def test_a_public_page_keeps_its_capitalised_street_rule(office):
    assert Kind.STREET not in kinds("Take 3 buses along the coast road.", office)
    assert Kind.STREET not in kinds("3 rue des lilas", office)
    assert Kind.STREET in kinds("3 Harbour Road", office)


# --- L-b: what an ordinary safety page says --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We are on the first floor with a lift.",
        "Au premier étage, avec un ascenseur.",
        "The ground floor has a step-free entrance.",
        "Tout est au rez-de-chaussée.",
        "More than 1200 women since we opened.",
        "Plus de 3000 appels et 1500 familles depuis 2015.",
        "Call our office on 020 7946 0958.",
        "Appelez le 01 23 45 67 89.",
        "Call +44 20 7946 0958.",
    ],
)
def test_ordinary_safety_page_text_is_allowed(office, text):
    assert not find_sensitive(text, site=office), text


@pytest.mark.parametrize(
    "text",
    [
        "The 2nd floor.",
        "Au 3e étage.",
        "On the third floor.",
        "Au deuxième étage.",
        "12th floor",
        "On the 1st floor.",
        "Au 1er étage.",
    ],
)
def test_higher_floors_are_still_refused(office, text):
    assert Kind.ROOM in kinds(text, office), text


@pytest.mark.parametrize(
    "text", ["The code is 1200.", "1200 on the keypad.", "Entry: 4711 then the lift."]
)
def test_a_number_that_is_not_a_count_is_still_refused(office, text):
    assert kinds(text, office), text


def test_a_phone_number_holding_a_listed_code_is_refused(coded):
    assert Kind.TERM in kinds("Call 020 4711 0958.", coded)


def test_a_refuge_page_giving_a_phone_number_is_refused(refuge):
    assert Kind.DIGITS in kinds("Call us on 020 7946 0958.", refuge)


def test_a_phone_shape_hides_only_the_digits_shape(office):
    assert Kind.DOOR_CODE in kinds("Keypad 020 7946 0958", office)
    assert Kind.DIGITS in kinds("Press 7946 at the door", office)
