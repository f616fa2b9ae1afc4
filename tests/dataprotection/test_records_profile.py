"""The country profile page, in English and French, and its warning when next year's
holidays are missing."""

from __future__ import annotations

import datetime

import pytest

from tests import factories
from victimsupport import country

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(factories.dpo("Dana"))
    return client


def test_the_irish_profile_in_english(signed_in, settings):
    settings.COUNTRY_PROFILE = "ie"
    body = signed_in.get("/data-protection/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ireland" in body and "the Data Protection Commission" in body
    assert "Within 72 hours of its discovery" in body
    assert "Children First Act 2015" in body
    year = datetime.date.today().year
    assert f"17 March {year}" in body and f"17 March {year + 1}" in body
    assert "Monday" in body and "Saturday" not in body.split("Working days:")[1].split(".")[0]
    assert "2190" in body and "16" in body
    assert "lists no public holidays for" not in body


def test_the_irish_profile_in_french(signed_in, settings):
    settings.COUNTRY_PROFILE = "ie"
    body = signed_in.get("/data-protection/profile/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Irlande" in body and "Tusla" in body and "la loi Children First" in body
    assert "mars" in body


def test_the_generic_profile_counts_weekends_only(signed_in, settings):
    settings.COUNTRY_PROFILE = "gdpr"
    body = signed_in.get("/data-protection/profile/").content.decode()
    assert "General (EU GDPR" in body and "weekends only" in body


def test_a_warning_when_next_years_holidays_are_missing(signed_in, settings, monkeypatch):
    settings.COUNTRY_PROFILE = "ie"
    irish = country.get("ie")
    last = datetime.date(irish.holiday_years[1], 6, 1)

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: last)
    body = signed_in.get("/data-protection/profile/").content.decode()
    assert f"lists no public holidays for {last.year + 1}" in body
