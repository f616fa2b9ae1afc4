"""Assessments: started from the case, answers encrypted, finalised once with a level, an
override only with a reason, a review date, and only by trained staff."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from risk import services
from risk.models import Assessment, Instrument, InstrumentVersion
from tests import factories
from tests.factories import default_version, full_answers, train
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_only_service(settings):
    """A service working in English only: an instrument in English alone may be published
    (with French among the languages it would be refused, tests/risk/test_instrument_languages)."""
    settings.LANGUAGES = [("en-gb", "English")]


@pytest.fixture
def cara(north):
    user = factories.caseworker(north)
    train(user)
    return user


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def test_shipped_instruments_are_installed_by_migration():
    keys = set(Instrument.objects.values_list("key", flat=True))
    assert {"default", "checklist_24"} <= keys
    assert default_version().status == "published"


def test_finalising_sets_level_review_date_and_clears_the_flag(case, cara, settings):
    case.assessment_needed = True
    case.save()
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    done = services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers=full_answers(strangulation="yes"),
        rationale="Strangulation in the last month.",
    )
    assert done.is_final and done.level == "high" and done.red_flags == ["strangulation"]
    assert done.review_due == timezone.localdate() + datetime.timedelta(days=7)
    case.refresh_from_db()
    assert case.risk_level == "high" and not case.assessment_needed
    assert case.review_due == done.review_due


def test_answers_are_encrypted_at_rest(case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_save(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers={"own_words": "Zebulon"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM risk_assessment WHERE id = %s", [assessment.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1.") and "Zebulon" not in stored


def test_missing_answers_refuse_finalising_and_lose_nothing(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    client.force_login(cara)
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    response = client.post(url, {"ongoing_threat": "yes", "action": "finalise", "version": 1})
    assert response.status_code == 400
    assert "Answer every question before finalising" in response.text
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.answers == {"ongoing_threat": "yes"}


def test_rationale_and_reason_are_kept_with_the_draft(client, case, north, settings):
    settings.RISK_TRAINING_GATE = "block"
    newcomer = factories.caseworker(north, "Nia")
    assessment = services.assessment_start(case=case, actor=newcomer, version=default_version())
    client.force_login(newcomer)
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    client.post(
        url,
        {
            **full_answers(),
            "rationale": "Seen at home",
            "override_reason": "",
            "action": "finalise",
            "version": 1,
        },
    )
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.rationale == "Seen at home"
    assert "Seen at home" in client.get(url).text


def test_a_finalised_assessment_cannot_be_saved_by_any_path(case, cara):
    from risk.models import FinalisedAssessmentLocked

    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=cara, answers=full_answers()
    )
    stale = Assessment.objects.get(pk=assessment.pk)
    stale.level = "standard" if stale.level == "high" else "high"
    with pytest.raises(FinalisedAssessmentLocked):
        stale.save()


def test_a_published_version_cannot_be_saved_by_any_path():
    from risk.models import PublishedVersionLocked

    version = default_version()
    version.definition = {}
    with pytest.raises(PublishedVersionLocked):
        version.save()


def test_a_colleague_finalising_meanwhile_gives_a_message_not_an_error(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    client.force_login(cara)
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=cara, answers=full_answers()
    )
    from unittest import mock

    # The page was read before the colleague finalised: simulate that stale read.
    with mock.patch("risk.views._get_assessment", return_value=assessment):
        assessment.status = "draft"
        response = client.post(url, {**full_answers(), "action": "save", "version": 1}, follow=True)
    assert "Someone finalised this assessment meanwhile" in response.text


def test_red_flags_are_encrypted(case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers=full_answers(strangulation="yes"),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT red_flags FROM risk_assessment WHERE id = %s", [assessment.pk])
        stored = cursor.fetchone()[0]
    assert "strangulation" not in stored


def test_override_needs_a_written_reason(case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    with pytest.raises(ValidationError) as info:
        services.assessment_finalise(
            assessment=assessment,
            version=assessment.version,
            actor=cara,
            answers=full_answers(),
            override_level="high",
            override_reason="gut feeling",
        )
    assert "override_reason" in info.value.error_dict
    done = services.assessment_finalise(
        assessment=assessment,
        version=assessment.version,
        actor=cara,
        answers=full_answers(),
        override_level="high",
        override_reason="Threats to kill reported by the police yesterday, not yet disclosed.",
    )
    assert done.computed_level == "standard" and done.level == "high" and done.overridden


def test_a_finalised_assessment_never_changes(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=cara, answers=full_answers()
    )
    with pytest.raises(services.AssessmentLocked):
        services.assessment_save(
            assessment=assessment, version=assessment.version, actor=cara, answers={}
        )
    with pytest.raises(services.AssessmentLocked):
        services.assessment_finalise(
            assessment=assessment, version=assessment.version, actor=cara, answers=full_answers()
        )
    client.force_login(cara)
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    response = client.post(url, {"ongoing_threat": "yes", "action": "save"}, follow=True)
    assert "cannot be changed" in response.text
    assessment.refresh_from_db()
    assert assessment.answers == full_answers()


def test_reassessment_creates_a_new_one_and_the_case_shows_the_trend(client, case, cara):
    first = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=first, version=first.version, actor=cara, answers=full_answers()
    )
    second = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=second,
        version=second.version,
        actor=cara,
        answers=full_answers(strangulation="yes"),
    )
    client.force_login(cara)
    page = client.get(f"/cases/{case.pk}/").text
    assert "Assessments over time" in page
    trend = page[page.index("Assessments over time") : page.index('data-section="safety_plan"')]
    assert trend.index("Standard</span>") < trend.index("High</span>")


def test_untrained_staff_cannot_finalise_when_blocked(north, settings):
    settings.RISK_TRAINING_GATE = "block"
    newcomer = factories.caseworker(north, "Nia")
    case = factories.make_full_case(newcomer)
    assessment = services.assessment_start(case=case, actor=newcomer, version=default_version())
    with pytest.raises(PermissionDenied, match="trained colleague"):
        services.assessment_finalise(
            assessment=assessment,
            version=assessment.version,
            actor=newcomer,
            answers=full_answers(),
        )
    # A trained colleague finalises the same draft.
    colleague = factories.caseworker(north, "Cleo")
    train(colleague)
    done = services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=colleague, answers=full_answers()
    )
    assert done.finalised_by == colleague and not done.finalised_without_training


def test_expired_training_does_not_count(north):
    user = factories.caseworker(north, "Old")
    train(user, completed_on=datetime.date(2020, 1, 1), expires_on=datetime.date(2022, 1, 1))
    assert not services.has_current_training(user)


def test_warn_mode_records_finalising_without_training(north, settings):
    settings.RISK_TRAINING_GATE = "warn"
    newcomer = factories.caseworker(north, "Nia")
    case = factories.make_full_case(newcomer)
    assessment = services.assessment_start(case=case, actor=newcomer, version=default_version())
    done = services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=newcomer, answers=full_answers()
    )
    assert done.finalised_without_training


def test_triggers_bring_the_review_forward(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    services.assessment_finalise(
        assessment=assessment, version=assessment.version, actor=cara, answers=full_answers()
    )
    case.refresh_from_db()
    assert case.review_due > timezone.localdate()
    client.force_login(cara)
    response = client.post(
        f"/risk/cases/{case.pk}/triggers/",
        {"kind": "release", "occurred_on": timezone.localdate().isoformat(), "note": "Released"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.review_due == timezone.localdate()
    assert "due now" in client.get(f"/cases/{case.pk}/").text


def test_assessment_pages_follow_case_access(client, case, cara):
    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    assert client.get(url).status_code == 404
    assert client.post(f"/risk/cases/{case.pk}/assessments/new/").status_code == 404
    other = factories.make_full_case(cara)
    client.force_login(cara)
    assert client.get(f"/risk/cases/{other.pk}/assessments/{assessment.pk}/").status_code == 404


def test_the_page_flow(client, case, cara):
    client.force_login(cara)
    start = client.get(f"/risk/cases/{case.pk}/assessments/new/")
    assert "Risk assessment (organisation default)" in start.text
    response = client.post(
        f"/risk/cases/{case.pk}/assessments/new/", {"version": default_version().pk}
    )
    assessment = Assessment.objects.get()
    assert response["Location"] == f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    page = client.get(response["Location"])
    assert "Is someone still threatening them?" in page.text and "Save draft" in page.text
    factories.assert_accessed(case, AccessKind.VIEW, cara, assessment=assessment.pk)
    response = client.post(
        response["Location"], {**full_answers(threat="yes"), "action": "finalise", "version": 1}
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.is_final
    since = factories.audit_mark()
    final = client.get(f"/risk/cases/{case.pk}/assessments/{assessment.pk}/")
    assert "A finalised assessment is never changed" in final.text
    factories.assert_accessed(case, AccessKind.VIEW, cara, since=since, assessment=assessment.pk)


def test_load_instrument_command(tmp_path, english_only_service):
    path = tmp_path / "matrix.yaml"
    path.write_text(
        "key: matrix\n"
        "name: Likelihood and impact\n"
        "scoring: {method: matrix, likelihood: l, impact: i}\n"
        "levels: [{level: standard, min: 0}, {level: high, min: 15}]\n"
        "sections:\n"
        "  - title: Extent\n"
        "    questions:\n"
        "      - {key: l, type: scale, text: Likelihood}\n"
        "      - {key: i, type: scale, text: Impact}\n"
    )
    out = StringIO()
    call_command("load_instrument", str(path), stdout=out)
    assert "Likelihood and impact, version 1 (published)" in out.getvalue()
    call_command("load_instrument", str(path), stdout=out)
    assert "nothing changed" in out.getvalue()
    assert InstrumentVersion.objects.filter(instrument__key="matrix").count() == 1
    path.write_text(path.read_text().replace("min: 15", "min: 12"))
    call_command("load_instrument", str(path), "--draft", stdout=out)
    newest = InstrumentVersion.objects.filter(instrument__key="matrix").order_by("-version").first()
    assert newest.version == 2 and newest.status == "draft"


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("{not json", ".json", "not valid JSON"),
        ("key: [unclosed", ".yaml", "not valid YAML"),
        ('{"key": "x", "name": "X", "sections": []}', ".json", "'sections' must be a non-empty"),
    ],
)
def test_load_instrument_refuses_bad_files_clearly(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("load_instrument", str(path), stdout=StringIO())


MATRIX = (
    "key: {key}\n"
    "name: Likelihood and impact\n"
    "scoring: {{method: matrix, likelihood: l, impact: i}}\n"
    "levels: [{{level: standard, min: 0}}, {{level: high, min: 15}}]\n"
    "sections:\n"
    "  - title: Extent\n"
    "    questions:\n"
    "      - {{key: l, type: scale, text: Likelihood}}\n"
    "      - {{key: i, type: scale, text: Impact}}\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MATRIX.format(key="not a slug!"), "'key' must be letters"),
        (MATRIX.format(key="m") + "reviewed: 2024-01-01\n", "every value must be text"),
    ],
)
def test_load_instrument_refuses_what_it_cannot_store(
    tmp_path, text, message, english_only_service
):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("load_instrument", str(path), stdout=StringIO())
    assert not InstrumentVersion.objects.filter(instrument__name="Likelihood and impact").exists()


def test_loading_a_draft_again_to_publish_publishes_it(tmp_path, english_only_service):
    path = tmp_path / "matrix.yaml"
    path.write_text(MATRIX.format(key="matrix2"))
    call_command("load_instrument", str(path), "--draft", stdout=StringIO())
    out = StringIO()
    call_command("load_instrument", str(path), stdout=out)
    assert "(published)" in out.getvalue()
    [version] = InstrumentVersion.objects.filter(instrument__key="matrix2")
    assert version.status == "published" and version.published_at is not None


def test_export_instrument_prints_json():
    out = StringIO()
    call_command("export_instrument", "checklist_24", stdout=out)
    assert '"key": "checklist_24"' in out.getvalue()
    with pytest.raises(CommandError):
        call_command("export_instrument", "nope", stdout=StringIO())


def test_admin_edits_drafts_and_never_published_versions(client, settings):
    from victimsupport.access import Role

    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True))
    published = default_version()
    assert (
        client.post(
            f"/admin/risk/instrumentversion/{published.pk}/change/", {"definition": "{}"}
        ).status_code
        == 403
    )
    client.post(
        "/admin/risk/instrumentversion/",
        {"action": "copy_to_new_draft", "_selected_action": [published.pk]},
    )
    draft = InstrumentVersion.objects.get(instrument__key="default", version=2)
    assert draft.status == "draft"
    bad = client.post(
        f"/admin/risk/instrumentversion/{draft.pk}/change/",
        {"instrument": draft.instrument_id, "definition": '{"sections": []}'},
    )
    assert bad.status_code == 200 and "&#x27;sections&#x27; must be a non-empty list" in bad.text
    client.post(
        "/admin/risk/instrumentversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_at
    published.refresh_from_db()
    assert published.definition["key"] == "default"  # untouched


def test_case_page_queries_do_not_grow_with_assessments(client, case, cara):
    from django.test.utils import CaptureQueriesContext

    def finalise_one():
        a = services.assessment_start(case=case, actor=cara, version=default_version())
        services.assessment_finalise(
            assessment=a, version=a.version, actor=cara, answers=full_answers()
        )
        services.trigger_record(
            case=case, actor=cara, kind="court", occurred_on=timezone.localdate()
        )

    finalise_one()
    client.force_login(cara)
    client.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/cases/{case.pk}/")
    for _ in range(3):
        finalise_one()
    with CaptureQueriesContext(connection) as many:
        client.get(f"/cases/{case.pk}/")
    assert len(many) == len(few)


def test_two_pages_loaded_together_never_lose_the_first_draft_save(case, cara, north):
    import re

    from django.test import Client

    assessment = services.assessment_start(case=case, actor=cara, version=default_version())
    url = f"/risk/cases/{case.pk}/assessments/{assessment.pk}/"
    first, second = Client(), Client()
    first.force_login(cara)
    second.force_login(factories.caseworker(north, "Cleo"))

    def posted_version(page) -> dict:
        found = re.search(r'name="version" value="(\d+)"', page.text)
        return {"version": found.group(1)} if found else {}

    one, two = posted_version(first.get(url)), posted_version(second.get(url))
    saved = first.post(url, {"ongoing_threat": "yes", "rationale": "Seen at home", **one})
    assert saved.status_code == 302
    refused = second.post(url, {"ongoing_threat": "no", "rationale": "By phone", **two})
    assessment.refresh_from_db()
    assert assessment.answers == {"ongoing_threat": "yes"}
    assert assessment.rationale == "Seen at home"
    assert refused.status_code == 409
    assert "By phone" in refused.text  # the second person's typing is kept
