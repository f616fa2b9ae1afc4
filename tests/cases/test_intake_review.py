"""The intake's check page reads as words: every answer under its question's label (phone,
e-mail, needs, the person they fear included), dates written out in the active language, the
person's own view of their risk as a sentence, and no key or code anywhere."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from cases.intake_review import review_sections
from tests.factories import intake_start as start
from tests.factories import intake_step_url as step_url
from tests.factories import intake_walk as walk

pytestmark = pytest.mark.django_db


def main_text(html: str) -> str:
    body = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def review(client, cara, notice):
    client.force_login(cara)
    draft_id = start(client)
    walk(client, draft_id)
    page = client.get(step_url(draft_id, "review"))
    assert page.status_code == 200
    return main_text(page.text)


@pytest.mark.parametrize(
    "answer",
    [
        "Given name Mira",
        "Family name Okafor",
        "Phone +44 20 7946 0011",
        "Email mira@example.org",
        "Address 12 Quiet Lane",
        "Name of the person they fear R. Okafor",
        "Their relationship to that person ex-partner",
        "What do they need help with? Housing or a safe place to stay, Legal information or advice",
        "Details Needs a refuge",
        "Has the crime been reported? No",
        "Is there still a threat? Yes",
        "In their own words He said he would find me",
        "Code word Recorded. It is not shown here: do not read it aloud.",
        "Do not contact them at all (blocks every outbound contact) No",
        "Do they agree that we keep and use their information to support them? Yes",
        "How was consent given? Verbal",
    ],
)
def test_every_answer_is_shown_under_its_label(review, answer):
    assert answer in review


def test_no_consent_to_share_is_asked_or_shown(review):
    # Consent to share is asked from the case file, naming the partner and the purpose.
    assert "share information with another organisation" not in review
    assert "Legal advice centre" not in review


def test_the_code_word_is_never_shown_back(review):
    assert "blue umbrella" not in review


def test_dates_are_written_out(review):
    assert "Date of birth 12 April 1988" in review
    assert "1988-04-12" not in review


def test_their_own_view_of_the_risk_is_a_sentence(review):
    assert "Their own view of the risk: high." in review


def test_no_key_or_code_reaches_the_page(review):
    for code in ("victim_view", "crime_reported", "housing", "verbal", "identity", "True"):
        assert not re.search(rf"\b{code}\b", review), code
    assert "Threat: yes" not in review  # the old one-line summary of codes


def test_dates_follow_the_language():
    data = {"person": {"given_name": "Mira", "date_of_birth": "1990-03-03"}}
    with translation.override("fr"):
        answers = review_sections(data)[0].answers
    assert [a.text for a in answers if a.text.startswith("3 ")] == ["3 mars 1990"]
    with translation.override("en"):
        answers = review_sections(data)[0].answers
    assert "3 March 1990" in [a.text for a in answers]


def test_steps_not_yet_answered_are_left_out():
    assert [s.step for s in review_sections({"safety": {"safe_to_talk": "yes"}})] == ["safety"]
