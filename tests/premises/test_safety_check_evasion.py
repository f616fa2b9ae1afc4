"""The sensitive-terms check against what slipped through it (review findings H2, H4, M5): a
listed code written with separators or in words, invisible characters and lookalike letters
inside a word, and what a safety page needs to say (helplines, years, ordinary numbers)."""

from __future__ import annotations

import pytest

from premises.models import TermKind
from premises.sensitive import Kind, find_sensitive, strip_invisible
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(north):
    return factories.make_site(north, kind="refuge", address="12 Lantern Row\nHarbourside")


@pytest.fixture
def coded(site, north):
    factories.make_sensitive_term(site, factories.supervisor(north, "Sue"), term="2580")
    return site


def kinds(text, site):
    return [m.kind for m in find_sensitive(text, site=site)]


@pytest.mark.parametrize(
    "text",
    [
        "Enter 2-5-8-0 at the door.",
        "The door code is 2 5 8 0",
        "Keypad: 2.5.8.0",
        "Press 2/5/8/0 then enter.",
        "Press two five eight zero.",
        "Tapez deux cinq huit zéro.",
        "Press Two-Five-Eight-Zero.",
    ],
)
def test_a_listed_code_written_with_separators_or_in_words_is_refused(coded, text):
    assert find_sensitive(text, site=coded), text


def test_the_match_says_it_is_the_listed_term(coded):
    [match] = find_sensitive("Press two five eight zero.", site=coded)
    assert match.kind == Kind.TERM and match.text == "two five eight zero"
    assert "separators or in words" in str(match.why)


@pytest.mark.parametrize(
    "text", ["Keypad: 1.9.7.3", "code d'accès 1-9-7-3", "digicode 1 9 7 3", "PIN 4/4/7/1"]
)
def test_a_code_with_separators_after_the_word_code_is_refused(site, text):
    assert Kind.DOOR_CODE in kinds(text, site), text


def test_an_address_number_written_with_separators_is_refused(north):
    site = factories.make_site(north, kind="refuge", address="1042 Long Road\nHarbourside")
    assert kinds("We are at number 1 0 4 2.", site) == [Kind.ADDRESS]


@pytest.mark.parametrize(
    "text",
    [
        "12 Lan\u200btern Row",
        "12 Lan\u00adtern Row",
        "Harbour\u200dside",
        "12 L\u0430ntern R\u043ew",  # Cyrillic a and o
        "Harb\u03bfurside",  # Greek omicron
        "\uff11\uff12 Lantern Row",  # full-width digits
    ],
)
def test_invisible_characters_and_lookalikes_do_not_hide_the_address(site, text):
    assert kinds(text, site) and kinds(text, site)[0] == Kind.ADDRESS, text


def test_invisible_characters_do_not_hide_a_shape(site):
    assert Kind.DOOR_CODE in kinds("code 4\u200b7\u200b1\u200b1", site)
    assert Kind.ROOM in kinds("r\u043e\u043em 12", site)


def test_the_match_is_given_back_as_written(site):
    [match] = find_sensitive("At 12 Lan\u200btern Row.", site=site)
    assert match.text == "12 Lan\u200btern Row"


def test_strip_invisible():
    assert strip_invisible("Lan\u200btern\u00ad Row\u2060") == "Lantern Row"


@pytest.mark.parametrize(
    "text",
    [
        "Call the National Domestic Abuse Helpline on 0808 2000 247, free, day and night.",
        "En France, appelez le 3919 ou le 116 006.",
        "We have been here since 2019.",
        "Nous sommes ouverts depuis 2021.",
        "Our staff give level 2 support.",
        "There is 1 place to wait inside.",
        "Nous proposons 3 cours de français.",
    ],
)
def test_what_a_safety_page_needs_to_say_passes(site, text):
    assert find_sensitive(text, site=site) == [], text


def test_an_allowed_term_lets_a_number_through(site, north):
    sue = factories.supervisor(north, "Sue")
    text = "Call our partner line on 0800 555 0123."
    assert find_sensitive(text, site=site)
    factories.make_sensitive_term(None, sue, kind=TermKind.ALLOWED, term="0800 555 0123")
    assert find_sensitive(text, site=site) == []
    # Written without spaces, it is the same number.
    assert find_sensitive("Call 08005550123.", site=site) == []


def test_an_allowed_term_never_overrides_the_address_or_the_list(coded, north):
    sue = factories.supervisor(north, "Sue2")
    factories.make_sensitive_term(None, sue, kind=TermKind.ALLOWED, term="2580")
    factories.make_sensitive_term(None, sue, kind=TermKind.ALLOWED, term="Lantern Row")
    assert Kind.TERM in kinds("The code is 2580.", coded)
    assert Kind.ADDRESS in kinds("We are on Lantern Row.", coded)


def test_a_year_is_allowed_only_after_since_or_in(site):
    assert find_sensitive("in 1998 we opened", site=site) == []
    assert kinds("the code 1998", site) == [Kind.DOOR_CODE]
    assert kinds("Press 1998.", site) == [Kind.DIGITS]


def test_a_french_street_still_needs_its_capitalised_name(site):
    assert Kind.STREET in kinds("Au 3 rue des Lilas.", site)
    assert Kind.STREET in kinds("Au 3, allée Verte.", site)
    assert Kind.STREET in kinds("Au 5 place d'Armes.", site)
    assert Kind.ROOM in kinds("Go to floor 2.", site)
