"""Model and field names are translated where people read them: the case history and the
auditor's log show "Dossier", "Personne accompagnée", "Statut" in French, and a consent's data
categories read as their labels, never their stored codes."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor

from cases import services
from cases.models import Victim
from risk import services as risk_services
from tests import factories
from tests.factories import add_risk, train
from victimsupport.access import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def mina(north):
    return factories.make_user("Mina", role=Role.CASEWORKER, teams=(north,), last_name="Mensah")


@pytest.fixture
def case(mina):
    case = factories.make_full_case(mina)
    victim = Victim.objects.get(case=case)
    with set_actor(mina):
        services.victim_update(
            victim=victim, actor=mina, version=victim.version, interpreter_needed=True
        )
    train(mina)
    action = add_risk(case, mina)
    risk_services.safety_action_update(
        action=action, actor=mina, version=action.version, status="cancelled"
    )
    return case


def page(client, user, url, language):
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.text


def test_the_history_in_french_names_records_and_fields_in_french(client, case, north):
    text = page(client, factories.supervisor(north), f"/cases/{case.pk}/history/", "fr")
    assert "<td>Dossier</td>" in text and "<td>Personne accompagnée</td>" in text
    assert "Action du plan de sécurité" in text
    assert "Statut :" in text or "Statut&nbsp;:" in text or "Statut:" in text
    assert "Safety action" not in text and "<td>Case</td>" not in text
    assert "<td>Victim</td>" not in text


def test_a_consent_s_data_categories_read_as_their_labels(client, case, north):
    text = page(client, factories.supervisor(north), f"/cases/{case.pk}/history/", "en")
    assert "Data categories: " in text
    assert "Name and date of birth" in text and "identity, contact" not in text
    french = page(client, factories.supervisor(north), f"/cases/{case.pk}/history/", "fr")
    assert "Parties du dossier" in french


def test_the_audit_log_in_french_names_records_and_fields_in_french(client, case):
    auditor = factories.make_user("Aud", role=Role.AUDITOR)
    text = page(client, auditor, "/audit/", "fr")
    assert "Dossier" in text and "Personne accompagnée" in text
    assert "Action du plan de sécurité" in text and "Statut" in text
    assert ">Case<" not in text and "Safety action" not in text
