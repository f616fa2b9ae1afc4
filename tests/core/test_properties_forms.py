"""Every form of the project, found by walking the apps' forms and admin modules, fed
arbitrary text, numbers, dates, files and choices: validating never raises, and a refusal
always says why. A new form is covered without being named here; a form that needs context
to be built gets it from the keyword its ``__init__`` asks for (``CONTEXT``)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests.properties import form_classes, form_data

# What a form's keyword-only argument is given, by its name: querysets of every row (the
# forms' own narrowing is the views' business, not what is tested here), and small values.
CONTEXT: dict[str, Any] = {
    "staff": lambda: _users(),
    "users": lambda: _users(),
    "workers": lambda: _users(),
    "teams": lambda: _model("accounts", "Team"),
    "partners": lambda: _model("referrals", "PartnerOrganisation"),
    "checklists": lambda: _model("premises", "ChecklistVersion"),
    "incidents": lambda: _model("premises", "PremisesIncident"),
    "findings": lambda: _model("premises", "Finding"),
    "sites": lambda: _model("premises", "Site"),
    "questions": lambda: [("door", "Does the door lock?"), ("alarm", "Is there an alarm?")],
    "consent_id": lambda: 1,
    "status": lambda: "sent",
    "language": lambda: "en",
    "item_keys": lambda: ["note:1", "section:people:x"],
}

# Forms whose definition is their first argument, or a keyword only they use.
DEFINITIONS = {
    "risk.forms.AssessmentForm": lambda: ((factories.default_version().localised("en"),), {}),
    "premises.forms.assessments.AnswersForm": lambda: (
        (),
        {"definition": factories.checklist_version().definition},
    ),
}

# Forms built only as a base for others, never bound on a page.
EXCLUDED: dict[str, str] = {}


def _users():
    from victimsupport.accounts.models import User

    return User.objects.all()


def _model(app: str, name: str):
    from django.apps import apps

    return apps.get_model(app, name)._default_manager.all()


FORMS = [cls for cls in form_classes() if f"{cls.__module__}.{cls.__qualname__}" not in EXCLUDED]


def build(cls: type[forms.BaseForm], **bound: Any) -> forms.BaseForm:
    name = f"{cls.__module__}.{cls.__qualname__}"
    args: tuple = ()
    kwargs: dict[str, Any] = {}
    if name in DEFINITIONS:
        args, kwargs = DEFINITIONS[name]()
    for param in inspect.signature(cls.__init__).parameters.values():
        if param.kind is param.KEYWORD_ONLY and param.name not in kwargs:
            if param.name in CONTEXT:
                kwargs[param.name] = CONTEXT[param.name]()
            elif param.default is param.empty:
                raise LookupError(f"{name} needs {param.name!r}: add it to CONTEXT")
    return cls(*args, **bound, **kwargs)


def _multi(data: dict[str, Any]) -> MultiValueDict:
    # As a request gives them: every value a list (a multiple choice's several values).
    return MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})


@pytest.fixture
def world(db):
    """A little of everything the forms' choices come from."""
    team = factories.make_team("North")
    worker = factories.caseworker(team)
    factories.make_partner("Harbour Refuge")
    site = factories.make_site(team, created_by=worker)
    factories.make_incident(site, worker)
    factories.make_finding(factories.make_security_assessment(site, worker), worker)
    return worker


def test_every_form_is_found():
    names = {cls.__name__ for cls in FORMS}
    # One from each app and the core: the walk reaches packages and admin modules too.
    assert {
        "NoteForm",
        "AssessmentForm",
        "ReferralForm",
        "RequestLogForm",
        "PhotoForm",
        "AuditFilterForm",
        "PreferencesForm",
        "InstrumentVersionForm",
        "ChecklistVersionForm",
    } <= names
    assert len(FORMS) >= 80


@pytest.mark.parametrize("cls", FORMS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
@given(data=st.data())
def test_any_input_is_validated_or_refused_with_reasons(world, cls, data):
    empty = build(cls)
    posted, files = data.draw(form_data(empty), label="posted")
    form = build(cls, data=_multi(posted), files=MultiValueDict({k: [v] for k, v in files.items()}))
    if form.is_valid():
        # What a valid form gives its service is what the fields promise: a step's answers
        # go into a JSON draft, so they must be JSON.
        if hasattr(form, "answers"):
            json.dumps(form.answers())
        assert not form.errors
    else:
        assert form.errors
        assert all(form.errors.values()), form.errors
