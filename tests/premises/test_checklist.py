"""Checklist templates are versioned data: validated with clear errors, shown in one language,
published once and never changed after."""

from __future__ import annotations

import copy

import pytest
from django.contrib import admin
from django.test import RequestFactory

from premises import checklist
from premises.admin import ChecklistVersionAdmin
from premises.models import ChecklistVersion, PublishedChecklistLocked
from premises.services import assessments as services
from tests import factories
from victimsupport.access import Role


def good() -> dict:
    return {
        "key": "test",
        "name": "Test",
        "sections": [
            {
                "key": "door",
                "title": {"en": "The door", "fr": "La porte"},
                "questions": [
                    {
                        "key": "locked",
                        "text": {"en": "Is it locked?", "fr": "Est-elle fermée ?"},
                        "guidance": "Look.",
                        "seed": "locked_door",
                    }
                ],
            }
        ],
    }


def errors_of(definition) -> list[str]:
    with pytest.raises(checklist.ChecklistError) as exc:
        checklist.validate(definition)
    return exc.value.errors


def test_a_good_definition_validates():
    checklist.validate(good())


def test_section_keys_and_titles_are_unique():
    d = good()
    d["sections"].append(copy.deepcopy(d["sections"][0]))
    d["sections"][1]["questions"][0]["key"] = "other"
    errors = errors_of(d)
    assert any("section 2: key 'door' is used twice" in e for e in errors)
    assert any("the title 'The door' is used by another section" in e for e in errors)


def test_question_keys_are_unique_across_sections():
    d = good()
    d["sections"].append(copy.deepcopy(d["sections"][0]))
    d["sections"][1]["key"] = "second"
    d["sections"][1]["title"] = "Second"
    assert any("question 1: key 'locked' is used twice" in e for e in errors_of(d))


def test_a_question_needs_its_text():
    d = good()
    del d["sections"][0]["questions"][0]["text"]
    assert "section 1, question 1: 'text' is required" in errors_of(d)


def test_a_text_is_a_string_or_a_mapping_with_english():
    d = good()
    d["sections"][0]["questions"][0]["text"] = {"fr": "Fermée ?"}
    assert any("needs its English text" in e for e in errors_of(d))
    d["sections"][0]["questions"][0]["text"] = 3
    assert any("must be text, or a mapping" in e for e in errors_of(d))


def test_seed_must_be_one_of_the_standards_questions():
    d = good()
    d["sections"][0]["questions"][0]["seed"] = "moat"
    assert any("'seed' must be one of locked_door" in e for e in errors_of(d))


def test_no_sections_is_refused():
    assert "'sections' must be a non-empty list" in errors_of({"key": "x", "name": "X"})
    assert errors_of([]) == ["the checklist must be a mapping (a JSON object)"]


def test_missing_french_is_a_gap_only_when_french_is_asked_for():
    d = good()
    d["sections"][0]["questions"][0]["guidance"] = "Look."
    checklist.validate(d)
    with pytest.raises(checklist.ChecklistError) as exc:
        checklist.validate(d, languages=["en", "fr"])
    assert any("'guidance' has no text in fr" in e for e in exc.value.errors)


def test_localise_and_text_in():
    shown = checklist.localise(good(), "fr-be")
    assert shown["sections"][0]["title"] == "La porte"
    assert shown["sections"][0]["questions"][0]["guidance"] == "Look."
    assert checklist.text_in({"en": "Door"}, "fr") == "Door"


def test_the_shipped_checklist_validates_in_both_languages_and_covers_every_seed():
    definition = services.shipped_definition()
    checklist.validate(definition, languages=["en", "fr"])
    covered = checklist.seeds_covered(definition)
    assert set(covered) == set(checklist.SEED_QUESTIONS)
    assert all(covered[seed] for seed in checklist.SEED_QUESTIONS), covered
    assert 6 <= len(definition["sections"]) <= 8
    assert 25 <= len(checklist.questions(definition)) <= 35
    assert all(q.get("guidance") for q in checklist.questions(definition))


@pytest.mark.django_db
def test_the_shipped_checklist_is_installed_published():
    version = factories.checklist_version()
    assert version.status == ChecklistVersion.Status.PUBLISHED
    assert version.version >= 1
    assert version.definition == services.shipped_definition()


@pytest.mark.django_db
def test_a_published_version_is_locked():
    version = factories.checklist_version()
    version.definition = good()
    with pytest.raises(PublishedChecklistLocked):
        version.save()


@pytest.mark.django_db
def test_copy_publish_and_the_admin_refuses_to_change_a_published_version():
    admin_user = factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)
    published = factories.checklist_version()
    draft = services.checklist_copy(actor=admin_user, version=published)
    assert draft.status == ChecklistVersion.Status.DRAFT
    assert draft.version == published.version + 1
    model_admin = ChecklistVersionAdmin(ChecklistVersion, admin.site)
    request = RequestFactory().get("/")
    request.user = admin_user
    assert not model_admin.has_change_permission(request, published)
    assert not model_admin.has_delete_permission(request, draft)
    assert "definition" in model_admin.get_readonly_fields(request, published)
    services.checklist_publish(actor=admin_user, version=draft)
    draft.refresh_from_db()
    assert draft.status == ChecklistVersion.Status.PUBLISHED and draft.published_at


@pytest.mark.django_db
def test_publishing_a_draft_missing_french_is_refused():
    template = factories.checklist_version().template
    d = good()
    d["sections"][0]["questions"][0]["guidance"] = "Look."
    draft = ChecklistVersion.objects.create(template=template, version=99, definition=d)
    with pytest.raises(checklist.ChecklistError):
        services.checklist_publish(actor=None, version=draft)
    draft.refresh_from_db()
    assert draft.status == ChecklistVersion.Status.DRAFT


@pytest.mark.django_db
def test_the_administrator_edits_drafts_and_never_published_versions(client, settings):
    settings.MFA_ENFORCE = False
    admin_user = factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True)
    client.force_login(admin_user)
    published = factories.checklist_version()
    assert client.get("/admin/premises/checklistversion/").status_code == 200
    url = f"/admin/premises/checklistversion/{published.pk}/change/"
    assert client.post(url, {"definition": "{}"}).status_code == 403
    client.post(
        "/admin/premises/checklistversion/",
        {"action": "copy_to_new_draft", "_selected_action": [published.pk]},
    )
    draft = ChecklistVersion.objects.get(template=published.template, status="draft")
    response = client.post(
        f"/admin/premises/checklistversion/{draft.pk}/change/", {"definition": '{"key": "x"}'}
    )
    assert response.status_code == 200 and "&#x27;sections&#x27; must be a non-empty" in (
        response.content.decode()
    )
    client.post(
        "/admin/premises/checklistversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == "published"
