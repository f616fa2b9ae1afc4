"""Date pickers keep the date they show: saving a form nobody changed changes nothing."""

from __future__ import annotations

import datetime
import re

import pytest

from cases.forms import VictimForm
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


def _posted_back(html: str) -> dict[str, str]:
    """What a browser would post for the page's inputs, as they are shown."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="checkbox"' in tag or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_date_of_birth_is_shown_in_the_form_a_date_picker_reads(case):
    case.victim.date_of_birth = datetime.date(1992, 11, 2)
    form = VictimForm(instance=case.victim, initial={"version": case.victim.version})
    assert 'type="date"' in str(form["date_of_birth"])
    assert 'value="1992-11-02"' in str(form["date_of_birth"])


@pytest.mark.parametrize("language", ["en-gb", "en-us", "fr"])
def test_saving_the_details_unchanged_keeps_the_date_of_birth(client_cara, case, language):
    victim = case.victim
    victim.date_of_birth = datetime.date(1992, 11, 2)
    victim.save()
    page = client_cara.get(f"/cases/{case.pk}/details/", HTTP_ACCEPT_LANGUAGE=language)
    data = _posted_back(page.text)
    data["dependants"] = ""
    response = client_cara.post(f"/cases/{case.pk}/details/", data)
    assert response.status_code == 302, response.content[:2000]
    victim.refresh_from_db()
    assert victim.date_of_birth == datetime.date(1992, 11, 2)
