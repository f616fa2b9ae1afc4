"""The clock of an access request (GDPR art. 12(3)), on the country profile's calendar.

- Due one month after receipt, on the same day of the month; when that month is shorter, on
  its last day (31 January gives 28 or 29 February).
- A due date on a weekend or a public holiday of the profile moves to the next working day.
- An extension adds up to two further months, counted from the day of receipt the same way;
  it must be told to the person before the first month ends (``may_extend``).
"""

from __future__ import annotations

import calendar
import datetime

from victimsupport import country


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` later; the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def next_working_day(day: datetime.date, profile: country.Profile) -> datetime.date:
    """``day`` itself if it is a working day, or the first working day after it."""
    for _ in range(366):
        if profile.is_working_day(day):
            return day
        day += datetime.timedelta(days=1)
    raise ValueError("The profile's calendar has no working day within a year.")


def due_date(
    received: datetime.date, *, months: int | None = None, profile: country.Profile | None = None
) -> datetime.date:
    """When the answer to a request received on ``received`` is due (one month by default)."""
    profile = profile or country.current()
    months = profile.access_request_months if months is None else months
    return next_working_day(add_months(received, months), profile)


def latest_extended_date(
    received: datetime.date, *, profile: country.Profile | None = None
) -> datetime.date:
    """The furthest an extension may move the due date: the first month and the profile's
    further months (two under the GDPR)."""
    profile = profile or country.current()
    return due_date(
        received, months=profile.access_request_months + profile.extension_months, profile=profile
    )


def may_extend(
    received: datetime.date, today: datetime.date, *, profile: country.Profile | None = None
) -> bool:
    """An extension is told to the person within the first month: up to and including its
    due date, never after."""
    return today <= due_date(received, profile=profile)


def days_left(due: datetime.date, today: datetime.date) -> int:
    """Calendar days until ``due`` (0 on the day, negative once overdue)."""
    return (due - today).days
