"""Instruments in every language: each text per language, English the fallback, the scoring
the same whatever the language, red flags named by their label, and an instrument published
only when it speaks every language the service offers."""

from __future__ import annotations

import copy
import html
import importlib
import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from risk import engine, services
from risk.forms import AssessmentForm
from risk.models import InstrumentVersion
from tests import factories
from tests.factories import default_version, full_answers, train
from victimsupport import limits
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

EN_FR = [("en-gb", "English"), ("fr", "Français")]
bilingual = override_settings(LANGUAGES=EN_FR)


@pytest.fixture
def cara(north):
    user = factories.caseworker(north)
    train(user)
    return user


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def get_in(client, language: str, url: str):
    # Both ways a language reaches a request: the browser's (with LocaleMiddleware) and the
    # active one (without it).
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def post_in(client, language: str, url: str, data: dict):
    with translation.override(language):
        return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assessment_url(case, assessment) -> str:
    return f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"


def english_only() -> dict:
    """The default instrument as it was shipped before it had French: every text English."""
    migration = importlib.import_module("risk.migrations.0008_instruments_in_each_language")
    return migration._english(default_version().definition)


# --- The page in French ---------------------------------------------------------------------


@bilingual
def test_the_french_assessment_page_asks_the_questions_in_french(client, case, cara):
    version = default_version()
    assessment = services.assessment_start(case=case, actor=cara, version=version)
    client.force_login(cara)
    response = get_in(client, "fr", assessment_url(case, assessment))
    assert response.status_code == 200
    text = page_text(response)
    for q in engine.questions(version.definition):
        assert q["text"]["fr"] in text
        assert q["text"]["en"] not in text
    for section in version.definition["sections"]:
        assert section["title"]["fr"] in text
    assert "Contrôle, humiliation ou isolement" in text  # an answer option
    assert version.definition["sections"][0]["questions"][0]["help"]["fr"] in text  # guidance
    # The same page in English for a colleague who works in English.
    english = page_text(get_in(client, "en", assessment_url(case, assessment)))
    assert "Is someone still threatening them?" in english
    assert "Est-ce que quelqu'un vous menace encore" not in english
    assert (
        AuditEntry.objects.get_for_object(case)
        .filter(additional_data__assessment=assessment.pk)
        .count()
        == 2
    )


@bilingual
def test_the_instrument_choice_names_the_instruments_in_french(client, case, cara):
    client.force_login(cara)
    text = page_text(get_in(client, "fr", f"/risk/cases/{case.pk}/assessments/new/"))
    assert "Évaluation des risques (modèle de l'organisation)" in text
    assert "Risk assessment (organisation default)" not in text


def test_a_language_missing_a_text_falls_back_to_english(client, case, cara):
    definition = copy.deepcopy(default_version().definition)
    definition["key"] = "partly"
    question = definition["sections"][0]["questions"][1]
    del question["text"]["fr"]
    version, _ = services.instrument_load(definition, publish=False)
    # Published while French was not offered (no French required then); read once it is.
    with override_settings(LANGUAGES=[("en-gb", "English")]):
        services.instrument_publish(version)
    shown = version.localised("fr-be")
    assert engine.questions(shown)[0]["text"] == question_fr(definition, 0)
    assert engine.questions(shown)[1]["text"] == "Is the harm still happening?"
    assessment = services.assessment_start(case=case, actor=cara, version=version)
    client.force_login(cara)
    text = page_text(get_in(client, "fr", assessment_url(case, assessment)))
    assert "Is the harm still happening?" in text and question_fr(definition, 0) in text


def question_fr(definition: dict, index: int) -> str:
    return engine.questions(definition)[index]["text"]["fr"]


def test_a_version_stored_before_translations_still_reads_in_english():
    old = english_only()
    shown = engine.localise(old, "fr")
    assert engine.questions(shown)[0]["text"] == "Is someone still threatening them?"
    # Its red flags had no labels: named by their question, never by their key.
    assert engine.red_flag_labels(shown, ["threats_to_kill"]) == [
        "Have they been threatened with death?"
    ]


# --- Scoring does not depend on the language ---------------------------------------------


def form_data(answers: dict) -> dict:
    return {k: (v if isinstance(v, list) else str(v)) for k, v in answers.items()}


@pytest.mark.parametrize("flags", [{}, {"strangulation": "yes", "threats_to_kill": "yes"}])
def test_the_same_answers_score_the_same_in_both_languages(flags):
    version = default_version()
    answers = {**full_answers(), **flags}
    results = []
    for language in ("en", "fr"):
        form = AssessmentForm(version.localised(language), form_data(answers))
        assert form.is_valid(), form.errors
        assert form.answers() == answers  # keys and values, whatever the language
        results.append(engine.score(version.definition, form.answers()))
    assert results[0] == results[1]
    assert engine.score(engine.localise(version.definition, "fr"), answers) == results[0]


@bilingual
def test_an_assessment_finalised_in_french_matches_one_finalised_in_english(client, cara):
    done = []
    for language in ("en", "fr"):
        case = factories.make_full_case(cara)
        assessment = services.assessment_start(case=case, actor=cara, version=default_version())
        client.force_login(cara)
        data = {**form_data(full_answers(strangulation="yes")), "action": "finalise"}
        response = post_in(
            client, language, assessment_url(case, assessment), {**data, "version": 1}
        )
        assert response.status_code == 302
        assessment.refresh_from_db()
        done.append(assessment)
    en, fr = done
    assert (en.score, en.level, en.red_flags, en.answers) == (
        fr.score,
        fr.level,
        fr.red_flags,
        fr.answers,
    )
    assert fr.red_flags == ["strangulation"]


# --- Red flags by their label ---------------------------------------------------------------


def finalised_with_flags(case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    return services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers={**full_answers(strangulation="yes"), "threats_to_kill": "yes"},
    )


@bilingual
def test_results_name_red_flags_by_label_never_by_key(client, case, cara):
    assessment = finalised_with_flags(case, cara)
    client.force_login(cara)
    final = page_text(get_in(client, "en", assessment_url(case, assessment)))
    assert "threats to kill" in final and "strangulation or choking" in final
    assert "threats_to_kill" not in final
    french = page_text(get_in(client, "fr", assessment_url(case, assessment)))
    assert "menaces de mort" in french and "strangulation ou étouffement" in french
    assert "threats_to_kill" not in french
    # The case page's risk panel names them too.
    case_page = page_text(get_in(client, "en", f"/cases/{case.pk}/"))
    assert "threats to kill" in case_page and "threats_to_kill" not in case_page


def test_the_draft_result_names_red_flags_by_label(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_save(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers={"threats_to_kill": "yes", "weapons": "yes"},
    )
    client.force_login(cara)
    text = page_text(client.get(assessment_url(case, assessment)))
    result = text[text.index('id="result-title"') :]
    assert "red flags: access to a weapon, threats to kill" in result.lower()
    assert "threats_to_kill" not in result
    assert "High" in result  # the level by its label, not its key
    assert "Serious harm could happen soon" in result  # and what it means


# --- Publishing requires every language --------------------------------------------------


def without_french_in(definition: dict, *path) -> dict:
    changed = copy.deepcopy(definition)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    del holder[path[-1]]["fr"]
    return changed


@bilingual
def test_the_shipped_instruments_are_complete_in_every_language():
    for name in services.SHIPPED_INSTRUMENTS:
        definition = services.shipped_definition(name)
        assert engine.translation_gaps(definition, services.instrument_languages()) == []
        engine.validate(definition, languages=["en", "fr"])


def test_the_required_languages_follow_settings_languages(settings):
    settings.LANGUAGES = [("en-gb", "English"), ("fr-be", "Français"), ("fr-ch", "Français")]
    assert services.instrument_languages() == ["en", "fr"]


@bilingual
@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("sections", 2, "questions", 2, "text"), "section 3, question 3: 'text'"),
        (("sections", 1, "questions", 0, "options", 3, "label"), "option 4: 'label'"),
        (("sections", 0, "questions", 0, "help"), "section 1, question 1: 'help'"),
        (("sections", 2, "questions", 2, "red_flag_label"), "'red_flag_label'"),
        (("levels", 2, "explanation"), "level 3: 'explanation'"),
        (("sections", 4, "title"), "section 5: 'title'"),
    ],
)
def test_an_incomplete_translation_is_refused_for_publishing(path, where):
    definition = without_french_in(services.shipped_definition("default.json"), *path)
    definition["key"] = "incomplete"
    with pytest.raises(engine.InstrumentError) as info:
        services.instrument_load(definition)
    assert any(where in e and "no text in fr" in e for e in info.value.errors), info.value.errors
    # Kept as a draft while it is translated, and refused again when published.
    draft, _ = services.instrument_load(definition, publish=False)
    with pytest.raises(engine.InstrumentError):
        services.instrument_publish(draft)
    draft.refresh_from_db()
    assert draft.status == "draft"


@bilingual
def test_publishing_in_the_admin_refuses_an_incomplete_translation(client, settings):
    from victimsupport.access import Role

    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True))
    definition = without_french_in(default_version().definition, "sections", 0, "title")
    draft = InstrumentVersion.objects.create(
        instrument=default_version().instrument, version=2, definition=definition
    )
    response = client.post(
        "/admin/risk/instrumentversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "no text in fr" in page_text(response)
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"fr": "Seulement en français"}, "needs its English text"),
        ({"en": "Fine", "French": "Non"}, "not a language code"),
        ({"en": "Fine", "fr": ""}, "has no text in 'fr'"),
        (["en", "fr"], "must be text, or a mapping"),
    ],
)
def test_a_text_must_be_english_or_a_mapping_with_english(value, message):
    definition = copy.deepcopy(services.shipped_definition("default.json"))
    definition["sections"][0]["questions"][0]["text"] = value
    with pytest.raises(engine.InstrumentError) as info:
        engine.validate(definition)
    assert any(message in e for e in info.value.errors), info.value.errors


def test_a_red_flag_needs_its_label():
    definition = copy.deepcopy(services.shipped_definition("default.json"))
    del definition["sections"][2]["questions"][2]["red_flag_label"]
    with pytest.raises(engine.InstrumentError, match="needs a 'red_flag_label'"):
        engine.validate(definition)


# --- The definition's size ------------------------------------------------------------------


def test_a_definition_past_the_limit_is_refused():
    definition = copy.deepcopy(services.shipped_definition("default.json"))
    definition["description"] = {"en": "x" * limits.INSTRUMENT}
    with pytest.raises(engine.InstrumentError, match="keep it under"):
        engine.validate(definition)
    version = InstrumentVersion(instrument=default_version().instrument, version=9)
    version.definition = definition
    with pytest.raises(ValidationError) as info:
        version.full_clean()
    assert "definition" in info.value.error_dict
    assert len(json.dumps(services.shipped_definition("default.json"))) < limits.INSTRUMENT / 5


# --- Existing databases ---------------------------------------------------------------------


def translate_migration():
    return importlib.import_module("risk.migrations.0008_instruments_in_each_language").translate


def test_a_database_with_the_english_only_instrument_gets_the_translation_as_a_new_version(
    case, cara
):
    version = default_version()
    InstrumentVersion.objects.filter(pk=version.pk).update(definition=english_only())
    old = services.assessment_start(case=case, actor=cara, version=default_version())
    translate_migration()(apps, None)
    versions = list(version.instrument.versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].status == "published"
    assert versions[1].definition == services.shipped_definition("default.json")
    assert services.current_versions()[0] == versions[1]
    old.refresh_from_db()
    assert old.instrument_version_id == version.pk  # made under v1, kept under it
    translate_migration()(apps, None)  # and only once
    assert version.instrument.versions.count() == 2


def test_an_instrument_the_organisation_changed_is_left_to_them():
    version = default_version()
    theirs = english_only()
    theirs["levels"][2]["min"] = 17
    InstrumentVersion.objects.filter(pk=version.pk).update(definition=theirs)
    translate_migration()(apps, None)
    assert version.instrument.versions.count() == 1


# --- The safety-plan action form ------------------------------------------------------------


def test_no_form_label_says_both_required_and_optional(client, case, cara):
    client.force_login(cara)
    text = page_text(client.get(f"/risk/cases/{case.pk}/safety-plan/"))
    form = text[text.index('id="add-action"') :]
    labels = re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", form, re.S)
    assert len(labels) >= 6
    for label in labels:
        words = re.sub(r"<[^>]+>", "", label).lower()
        assert not ("required" in words and "optional" in words), words
    assert "Needed before any contact with the police" in form
