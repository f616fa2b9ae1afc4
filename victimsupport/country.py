"""Country profiles: the rules of data protection and safeguarding that differ by country.

A profile is data, shipped in ``victimsupport/country_profiles/<code>.json``: how long an access
request may take and by how much it may be extended, the hours to tell the regulator of a
breach, the working week and public holidays (as dates, for the years it covers), the default
retention periods, the age of digital consent, and the circumstances in which the service must
pass information on (which the confidentiality notice shows). ``COUNTRY_PROFILE`` (an
environment variable, ``gdpr`` by default) names the one in force.

Texts carry one version per language (``{"en": ..., "fr": ...}``); ``text()`` picks the active
language's, falling back to English. The core reads no app: the data-protection app builds its
clock and schedules on top of this.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils import translation

PROFILES_DIR = Path(__file__).resolve().parent / "country_profiles"


class UnknownProfile(LookupError):
    pass


def text(value: dict[str, str] | str) -> str:
    """The active language's version of a profile's text (English if it has none)."""
    if isinstance(value, str):
        return value
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return value.get(language) or value.get("en") or next(iter(value.values()), "")


@dataclass(frozen=True)
class Profile:
    code: str
    names: dict[str, str]
    regulators: dict[str, str]
    access_request_months: int
    extension_months: int
    breach_hours: int
    weekend: frozenset[int]  # weekday numbers, Monday 0
    holidays: frozenset[datetime.date]
    # The first and last year whose holidays the profile lists (none for a weekends-only one).
    holiday_years: tuple[int, int] | None
    digital_consent_age: int
    retention_days: dict[str, int]
    must_pass_on: tuple[dict[str, str], ...]
    sources: str

    @property
    def name(self) -> str:
        return text(self.names)

    @property
    def regulator(self) -> str:
        return text(self.regulators)

    def circumstances(self) -> list[str]:
        """When information must be passed on, in the active language."""
        return [text(item) for item in self.must_pass_on]

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def knows_holidays_of(self, year: int) -> bool:
        """Whether the profile lists this year's holidays (a weekends-only profile has none to
        list, so it always does)."""
        if not self.holidays:
            return True
        return self.holiday_years is not None and (
            self.holiday_years[0] <= year <= self.holiday_years[1]
        )


def _load(path: Path) -> Profile:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    years = data.get("holiday_years") or None
    return Profile(
        code=data["code"],
        names=data["name"],
        regulators=data["regulator"],
        access_request_months=int(data["access_request_months"]),
        extension_months=int(data["extension_months"]),
        breach_hours=int(data["breach_hours"]),
        weekend=frozenset(int(d) for d in data["weekend"]),
        holidays=frozenset(datetime.date.fromisoformat(d) for d in data["holidays"]),
        holiday_years=(int(years[0]), int(years[1])) if years else None,
        digital_consent_age=int(data["digital_consent_age"]),
        retention_days={k: int(v) for k, v in data["retention_days"].items()},
        must_pass_on=tuple(data["must_pass_on"]),
        sources=data.get("sources", ""),
    )


@cache
def profiles() -> dict[str, Profile]:
    """Every shipped profile by code."""
    found = {}
    for path in sorted(PROFILES_DIR.glob("*.json")):
        profile = _load(path)
        found[profile.code] = profile
    return found


def get(code: str) -> Profile:
    try:
        return profiles()[code]
    except KeyError:
        raise UnknownProfile(code) from None


def current() -> Profile:
    """The profile in force (``settings.COUNTRY_PROFILE``)."""
    return get(settings.COUNTRY_PROFILE)


@checks.register()
def check_country_profile(**kwargs: Any) -> list[checks.CheckMessage]:
    code = getattr(settings, "COUNTRY_PROFILE", "")
    if code not in profiles():
        return [
            checks.Error(
                f"COUNTRY_PROFILE={code!r} names no shipped profile.",
                hint=f"Use one of: {', '.join(sorted(profiles()))}.",
                id="victimsupport.E201",
            )
        ]
    profile = profiles()[code]
    next_year = datetime.date.today().year + 1
    if not profile.knows_holidays_of(next_year):
        return [
            checks.Warning(
                f"The country profile {code!r} lists no public holidays for {next_year}: "
                "deadlines would count weekends only.",
                hint=f"Add that year's holidays to {PROFILES_DIR / (code + '.json')}.",
                id="victimsupport.W201",
            )
        ]
    return []
