"""Services validate with ``victimsupport.validation.full_clean``: every check of
``Model.full_clean``, less the query for a related row the service already holds."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import ContactPreference, Note
from tests import factories
from victimsupport import limits
from victimsupport.validation import full_clean

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team = factories.make_team()
    cara = factories.caseworker(team)
    return {"cara": cara, "case": factories.make_case(team=team, assigned_to=cara)}


def test_a_note_on_a_case_in_hand_reads_neither_the_case_nor_the_author(world):
    with CaptureQueriesContext(connection) as queries:
        services.note_add(case=world["case"], actor=world["cara"], body="Called back.")
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in selects if "cases_case" in sql or "accounts_user" in sql]


def test_a_key_without_its_object_is_still_checked(world):
    note = Note(case_id=uuid.uuid4(), author=world["cara"], body="Called back.")
    with pytest.raises(ValidationError) as raised:
        full_clean(note)
    assert set(raised.value.message_dict) == {"case"}


def test_an_unsaved_object_is_still_checked(world):
    unsaved = factories.make_user("Una")
    unsaved._state.adding = True
    note = Note(case=world["case"], author=unsaved, body="Called back.")
    with CaptureQueriesContext(connection) as queries:
        full_clean(note)
    assert any("accounts_user" in q["sql"] for q in queries.captured_queries)


def test_the_other_fields_are_still_checked(world):
    note = Note(case=world["case"], author=world["cara"], body="x" * (limits.NOTE + 1))
    with pytest.raises(ValidationError) as raised:
        full_clean(note)
    assert set(raised.value.message_dict) == {"body"}


def test_a_unique_constraint_over_a_held_key_is_still_checked(world):
    ContactPreference.objects.create(case=world["case"], method="phone")
    second = ContactPreference(case=world["case"], method="phone")
    with pytest.raises(ValidationError) as raised:
        full_clean(second)
    assert "__all__" in raised.value.message_dict
