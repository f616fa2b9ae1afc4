"""The sensitive-terms check (premises.sensitive): each kind of match, and ordinary wording
that must pass."""

from __future__ import annotations

import pytest

from premises.sensitive import Kind, address_parts, find_sensitive, normalise
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(north):
    return factories.make_site(north, kind="refuge", address="12 Lantern Row\nHarbourside")


def kinds(text, site):
    return [(m.kind, m.text) for m in find_sensitive(text, site=site)]


def test_plain_reassuring_words_pass(site):
    for text in (
        "Open Monday to Friday, 9 to 5.",
        "We see people by appointment. The door is always locked and we check who is there.",
        "Nous recevons sur rendez-vous, du lundi au vendredi, de 9 h à 17 h.",
        "Staff are trained every year and practise what to do in an emergency.",
        "If you feel unsafe, tell reception: we will close the door and call for help.",
        "Votre sécurité ici : la porte est toujours fermée à clé.",
        "Call 999 in an emergency.",
        "Make a safe place to close the day; the garden is private.",
    ):
        assert find_sensitive(text, site=site) == [], text


def test_the_sites_own_address_whole_each_line_and_the_street(site):
    assert kinds("We are at 12 Lantern Row, Harbourside.", site) == [
        (Kind.ADDRESS, "12 Lantern Row, Harbourside")
    ]
    # Case, accents and spacing do not hide it.
    assert kinds("near LANTERN   row", site) == [(Kind.ADDRESS, "LANTERN   row")]
    assert kinds("in Hârbourside", site) == [(Kind.ADDRESS, "Hârbourside")]
    # Whole words only: "Harbourside" is not in "Harbourdale".
    assert kinds("We moved from Harbourdale.", site) == []


def test_address_parts():
    parts = address_parts("Flat 2, 12 Lantern Row\nHarbourside HB1 2CD")
    assert "12 lantern row" in parts and "lantern row" in parts and "harbourside hb1 2cd" in parts


def test_staff_surnames_of_the_sites_team_whole_words(north, site):
    factories.caseworker(north, "Cara").__class__.objects.filter(first_name="Cara").update(
        last_name="Okonkwo"
    )
    factories.make_user("Ed", teams=(north,), last_name="Li")  # two letters: too short
    south = factories.make_team("South")
    factories.make_user("Sam", teams=(south,), last_name="Marchetti")  # another team
    assert kinds("Ask Mrs OKONKWO at the desk.", site) == [(Kind.SURNAME, "OKONKWO")]
    assert kinds("Ask Li.", site) == []
    assert kinds("Marchetti is not in this team.", site) == []
    assert kinds("Okonkwoville", site) == []


def test_the_editable_list_the_sites_and_the_organisations(north, site, cara):
    factories.make_sensitive_term(site, cara, kind="street", term="the blue gate")
    factories.make_sensitive_term(None, cara, kind="other", term="Café Rivière")
    other = factories.make_site(north)
    factories.make_sensitive_term(other, cara, kind="other", term="orchard")
    assert kinds("Come in by The Blue  Gate.", site) == [(Kind.TERM, "The Blue  Gate")]
    assert kinds("Opposite the cafe riviere.", site) == [(Kind.TERM, "cafe riviere")]
    assert kinds("Past the orchard.", site) == []  # another site's term


@pytest.mark.parametrize(
    "text, found",
    [
        ("The code 4711 opens the door.", "code 4711"),
        ("Door code: 12A4", "Door code: 12A4"),
        ("digicode 12A4", "digicode 12A4"),
        ("Press #4711 at the gate", "#4711"),
    ],
)
def test_door_and_alarm_codes(site, text, found):
    assert kinds(text, site) == [(Kind.DOOR_CODE, found)]


def test_any_run_of_four_digits(site):
    assert kinds("Then type 0815 twice.", site) == [(Kind.DIGITS, "0815")]


@pytest.mark.parametrize(
    "text",
    [
        "We meet in room 12.",
        "Salle 3, au fond.",
        "La chambre 2 est prête.",
        "Bureau 104.",
        "It is on floor 2.",
        "It is on the 2nd floor.",
        "Au 3e étage.",
        "Au 1er étage.",
        "L'étage 3.",
        "The alarm is in room B.",
        "On the third floor.",
    ],
)
def test_rooms_and_floors(site, text):
    assert [k for k, _text in kinds(text, site)] == [Kind.ROOM], text


@pytest.mark.parametrize(
    "text",
    [
        "Come to 4 Market Street.",
        "3 Old Mill Rd",
        "24 Church Lane",
        "au 12 rue des Lilas",
        "3, allée Verte",
        "5 bis boulevard Voltaire",
        "quai de la Gare 14",
    ],
)
def test_street_addresses(site, text):
    assert [k for k, _text in kinds(text, site)] == [Kind.STREET], text


@pytest.mark.parametrize("text", ["Paris 75011", "Dublin D02 X285", "London SW1A 1AA"])
def test_postcodes(site, text):
    assert [k for k, _text in kinds(text, site)] == [Kind.POSTCODE], text


def test_each_match_says_why(site):
    (match,) = find_sensitive("code 4711", site=site)
    assert str(match.why) and str(match.label) == "a door code"


def test_normalise_folds_case_accents_and_spacing():
    folded, where = normalise("Élise,\n  Rivière")
    assert folded == " elise riviere "
    assert len(where) == len(folded)
