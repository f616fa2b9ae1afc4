"""Two languages: the browser's by default, a switcher on every page (before sign-in too), each
staff member's preferred language from sign-in, and the victim's own language for what they
are given, whatever language the caseworker works in."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.test import Client
from pypdf import PdfReader

from risk.models import SafetyAction, SafetyPlan
from tests import factories
from tests.factories import PASSWORD
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def test_the_browsers_language_is_the_default(client):
    assert html_lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9")) == "fr"
    english = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(english) == "en-gb" and "Sign in" in english.text


def test_switching_on_the_sign_in_page_gives_french(client):
    page = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")
    # The switcher is a plain form: CSRF token, the page's path as next, one button a language.
    assert 'action="/i18n/setlang/"' in page.text and 'name="csrfmiddlewaretoken"' in page.text
    assert 'name="next" value="/accounts/login/"' in page.text
    assert '<button type="submit" name="language" value="fr" lang="fr"' in page.text
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": LOGIN})
    assert switched.status_code == 302 and switched["Location"] == LOGIN
    french = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(french) == "fr"
    assert "<h1>Se connecter</h1>" in french.text
    assert "Confidentiel. Tout ce que vous ouvrez" in french.text


def test_the_switcher_refuses_a_next_on_another_site(client):
    switched = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "https://elsewhere.example/"}
    )
    assert switched.status_code == 302 and "elsewhere" not in switched["Location"]


def test_the_switcher_never_carries_the_query_string(client, cara):
    client.force_login(cara)
    page = client.get("/cases/?scope=team&q=someone")
    assert 'name="next" value="/cases/"' in page.text and "someone" not in re.search(
        r'<form class="language-switch".*?</form>', page.text, re.S
    ).group(0)


def test_after_a_refused_form_the_switcher_goes_back_to_the_page_it_came_from(client, cara):
    """A page shown in answer to a POST (a note refused, with what to correct) has an
    address that answers POST only: switching language there must not end on a 405."""
    case = factories.make_case(team=cara.teams.get(), assigned_to=cara)
    client.force_login(cara)
    page_url = f"/cases/{case.pk}/"
    refused = client.post(
        f"/cases/{case.pk}/notes/", {}, HTTP_REFERER=f"http://testserver{page_url}"
    )
    assert refused.status_code == 400
    assert f'name="next" value="{page_url}"' in refused.text
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": page_url})
    assert switched.status_code == 302 and client.get(switched["Location"]).status_code == 200
    # With no Referer (or another site's), back home rather than to the POST-only address.
    for referer in ({}, {"HTTP_REFERER": "https://elsewhere.example/cases/"}):
        refused = client.post(f"/cases/{case.pk}/notes/", {}, **referer)
        assert 'name="next" value="/"' in refused.text


def test_the_switcher_needs_a_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/i18n/setlang/", {"language": "fr", "next": "/"}).status_code == 403


def test_the_preferred_language_is_applied_at_sign_in(client, cara):
    cara.preferred_language = "fr"
    cara.save(update_fields=["preferred_language"])
    response = client.post(
        LOGIN, {"login": cara.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "fr"
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(home) == "fr" and "Se déconnecter" in home.text


def test_no_preference_keeps_the_browsers_language_at_sign_in(client, cara):
    response = client.post(
        LOGIN, {"login": cara.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert COOKIE not in response.cookies
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "fr"


def test_changing_the_preference_applies_it_at_once_and_is_audited(client_cara, cara):
    page = client_cara.get("/accounts/preferences/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Preferences" in page.text
    response = client_cara.post("/accounts/preferences/", {"preferred_language": "fr"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "fr"
    cara.refresh_from_db()
    assert cara.preferred_language == "fr"
    after = client_cara.get("/accounts/preferences/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(after) == "fr" and "Vos préférences sont enregistrées." in after.text
    change = AuditEntry.objects.get_for_object(cara).order_by("-seq").first()
    assert "preferred_language" in change.changes_dict
    # Back to the browser's language: the cookie goes, the browser decides again.
    reset = client_cara.post("/accounts/preferences/", {"preferred_language": ""})
    assert reset.cookies[COOKIE].value == ""
    assert html_lang(client_cara.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "en-gb"


def test_an_unknown_language_is_refused(client_cara, cara):
    response = client_cara.post("/accounts/preferences/", {"preferred_language": "xx"})
    assert response.status_code == 200
    cara.refresh_from_db()
    assert cara.preferred_language == ""


def _plan_with_an_action(client, case, cara):
    plan_url = f"/risk/cases/{case.pk}/safety-plan/"
    client.post(plan_url, {"summary": "Rester en sécurité à la maison", "version": 0})
    client.post(
        plan_url + "actions/",
        {
            "kind": "technology",
            "description": "Vérifier le téléphone",
            "owner": cara.pk,
            "due_on": "2027-03-05",
        },
    )
    plan = SafetyPlan.objects.get(case=case)
    assert plan.actions.get().kind == SafetyAction.Kind.TECHNOLOGY
    return plan


def _pdf_text(response) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_the_safety_plan_copy_is_in_the_victims_language(client_cara, cara):
    case = factories.make_full_case(cara, document_language="fr")
    _plan_with_an_action(client_cara, case, cara)
    # The caseworker works in English...
    page = client_cara.get(f"/risk/cases/{case.pk}/safety-plan/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(page) == "en-gb"
    response = client_cara.get(
        f"/risk/cases/{case.pk}/safety-plan/copy/", HTTP_ACCEPT_LANGUAGE="en"
    )
    # ...and the person's copy is in French: headings, choices, dates and the page footer.
    text = _pdf_text(response)
    assert "Mon plan" in text and "My plan" not in text
    assert "Sécurité du téléphone et d\u2019internet" in text
    assert "Pour le 5 mars 2027." in text and "À faire." in text
    assert "Gardez-le dans un endroit sûr." in text and "page 1 sur 1" in text
    assert PdfReader(io.BytesIO(response.content)).metadata.title == "Mon plan"
    assert (
        AuditEntry.objects.get_for_object(case)
        .filter(additional_data__document="safety_plan")
        .count()
        == 1
    )


def test_the_copy_reads_the_language_written_at_intake_when_none_was_chosen(client_cara, cara):
    case = factories.make_full_case(cara, language="French")
    _plan_with_an_action(client_cara, case, cara)
    text = _pdf_text(client_cara.get(f"/risk/cases/{case.pk}/safety-plan/copy/"))
    assert "Mon plan" in text


def test_the_copy_is_in_english_for_an_english_speaker_whatever_the_caseworkers_language(
    client_cara, cara
):
    case = factories.make_full_case(cara, document_language="en-gb")
    _plan_with_an_action(client_cara, case, cara)
    response = client_cara.get(
        f"/risk/cases/{case.pk}/safety-plan/copy/", HTTP_ACCEPT_LANGUAGE="fr"
    )
    text = _pdf_text(response)
    assert "My plan" in text and "Technology safety" in text and "By 5 Mar 2027." in text


def test_the_victims_language_choice_is_kept_encrypted(cara):
    from django.db import connection

    case = factories.make_full_case(cara, document_language="fr")
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_language FROM cases_victim WHERE id = %s", [case.victim.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("v1.") and "fr" not in raw.split(".", 2)[1]
    case.victim.refresh_from_db()
    assert case.victim.document_language == "fr" and case.victim.language_code == "fr"


def test_the_victims_language_is_chosen_at_intake_and_on_the_details_form(client_cara, cara):
    case = factories.make_full_case(cara)
    page = client_cara.get(f"/cases/{case.pk}/details/", HTTP_ACCEPT_LANGUAGE="fr")
    assert 'name="document_language"' in page.text
    assert "Langue des documents que nous lui remettons" in page.text
    assert '<option value="fr">Français</option>' in page.text
