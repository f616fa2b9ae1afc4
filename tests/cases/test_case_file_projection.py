"""One projection of a case file: every app adds its part in its casefile.py; the case page,
the staff PDF, the export size and the supervisor's history all read it."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from cases import exports
from cases.models import Case, NeedsRecord
from cases.selectors import case_file
from risk import services as risk_services
from risk.models import SafetyAction
from tests import factories
from tests.factories import OVERRIDE_REASON, add_risk, train
from victimsupport import casefile
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cara):
    train(cara)
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    NeedsRecord.objects.create(
        case=case,
        categories=["housing"],
        details="Help reading the court letters",
        crime_reported="yes",
        recorded_by=cara,
    )
    return case


def pdf_text(client, case) -> str:
    response = client.get(f"/cases/{case.pk}/export/")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    # Words wrap across lines in the PDF: compared with whitespace folded.
    return " ".join("".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_holds_the_assessments_triggers_needs_and_safety_plan(client, case, cara):
    add_risk(case, cara)
    client.force_login(cara)
    text = pdf_text(client, case)
    assert "Score" in text and "High (changed from standard" in text
    assert OVERRIDE_REASON in text
    assert "Court date" in text and "Hearing set" in text
    assert "Help reading the court letters" in text
    assert "Refuge place in another town" in text
    accesses = AuditEntry.objects.get_for_object(case).filter(
        action=AuditEntry.Action.ACCESS, additional_data__access="export"
    )
    assert accesses.count() == 1


def test_no_timeline_entry_is_a_bare_date(case, cara):
    add_risk(case, cara)
    file = casefile.build(case)
    kinds = {item.kind for item in file.timeline}
    assert {"assessment", "trigger", "notice", "consent"} <= kinds
    from django.template.loader import render_to_string

    for item in file.timeline:
        assert render_to_string(item.template, {"x": item.item}).strip()


def test_the_page_and_the_pdf_render_the_same_projection(client, case, cara):
    add_risk(case, cara)
    context = exports.export_context(case)
    assert [s.key for s in context["sections"]] == [
        "person",
        "safe_contact",
        "third_parties",
        "needs",
        "risk",
        "safety_plan",
        "safety_plan_notes",
        "consents",
        "sharing_consents",
        "documents",
        "referrals",
    ]
    assert exports.timeline_size(case) == len(context["timeline"])
    assert context["timeline"] == case_file(case)["timeline"]


def test_every_item_has_a_category_and_audiences(case, cara):
    add_risk(case, cara)
    file = casefile.build(case)
    for entry in [*file.sections, *file.timeline]:
        assert entry.category in casefile.Category.values
        assert casefile.Audience.STAFF & entry.audiences
    # Third parties and documents are never in the person's own copy.
    keys = {s.key for s in file.for_audience(casefile.Audience.PERSON).sections}
    assert "third_parties" not in keys and "documents" not in keys and "person" in keys


def test_the_history_shows_a_change_to_a_safety_action(client, case, cara, north):
    action = add_risk(case, cara)
    risk_services.safety_action_update(
        action=action, actor=cara, version=action.version, status="done", outcome="Moved in"
    )
    client.force_login(factories.supervisor(north))
    page = client.get(f"/cases/{case.pk}/history/")
    assert page.status_code == 200
    actions = AuditEntry.objects.get_for_object(action)
    assert actions.count() == 2  # created, then done
    assert "Safety action" in page.text and "Status: To do → Done" in page.text
    assert page.text.count("<tr>") - 1 == _history_rows(case)
    assert "Moved in" not in page.text  # no plaintext in the history


def _history_rows(case) -> int:
    # Every audit entry about the case and the rows the registry says are its own.
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    query = Q(content_type=ContentType.objects.get_for_model(Case), object_pk=str(case.pk))
    for model, pks in casefile.rows_of(case, casefile.case_models()).items():
        query |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_pk__in=[str(p) for p in pks],
        )
    return AuditEntry.objects.filter(query).count()


def _paths_to_case(model, depth=3) -> bool:
    """Whether ``model`` reaches Case through foreign keys (a child, or a child's child)."""
    if depth == 0:
        return False
    for field in model._meta.get_fields():
        if field.many_to_one or field.one_to_one:
            if not field.concrete or field.related_model is None:
                continue
            if field.related_model is Case:
                return True
            if field.related_model is not model and _paths_to_case(field.related_model, depth - 1):
                return True
    return False


def test_every_model_that_belongs_to_a_case_is_in_the_projection():
    covered = {model for model, _ in casefile.case_models()}
    belonging = {
        model
        for model in apps.get_models()
        # The throwaway models of tests/testapp stand for cases of their own.
        if model is not Case and model._meta.app_label != "testapp" and _paths_to_case(model)
    }
    assert belonging, "the walk finds the case's children"
    missing = sorted(m._meta.label for m in belonging - covered)
    assert not missing, f"in no app's casefile.py (part of the file, or technical): {missing}"


def test_each_covered_path_reaches_the_case(case, cara):
    add_risk(case, cara)
    found = casefile.rows_of(case, casefile.case_models())
    assert found[SafetyAction]  # through the plan
    for model, path in casefile.case_models():
        assert model._default_manager.filter(**{path: case}).count() == len(found[model])


def test_building_the_file_takes_the_same_queries_whatever_its_size(case, cara):
    add_risk(case, cara)
    casefile.build(case)
    with CaptureQueriesContext(connection) as small:
        casefile.build(case)
    for _ in range(3):
        add_risk(case, cara)
    with CaptureQueriesContext(connection) as large:
        casefile.build(case)
    assert len(large) == len(small)


def test_the_page_and_the_pdf_take_the_same_queries_whatever_the_file_size(client, case, cara):
    add_risk(case, cara)
    client.force_login(cara)
    pages = (f"/cases/{case.pk}/", f"/cases/{case.pk}/export/")
    for page in pages:
        client.get(page)  # warm up (content types, session)
    small = {}
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        small[page] = len(queries)
    for _ in range(3):
        add_risk(case, cara)
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        assert len(queries) == small[page], page
