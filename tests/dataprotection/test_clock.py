"""The access-request clock: one month to the same day (the month's last day when shorter),
moved to the next working day of the country profile; extensions up to two more months, told
within the first."""

from __future__ import annotations

import datetime

import pytest

from dataprotection import clock
from victimsupport import country

D = datetime.date
IE = country.get("ie")
GDPR = country.get("gdpr")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 1, 31), D(2026, 2, 28)),  # a shorter month: its last day
        (D(2028, 1, 31), D(2028, 2, 29)),  # a leap year: the 29th (a Tuesday)
        (D(2026, 3, 31), D(2026, 4, 30)),  # April has 30 days (a Thursday)
        (D(2026, 6, 10), D(2026, 7, 10)),  # the same day (a Friday)
        (D(2026, 11, 14), D(2026, 12, 14)),  # a Monday
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(received, due):
    assert clock.add_months(received, 1) == due


@pytest.mark.parametrize(
    ("day", "months", "back"),
    [
        (D(2026, 3, 1), -72, D(2020, 3, 1)),  # six years back, across two leap days
        (D(2025, 2, 28), -12, D(2024, 2, 28)),
        (D(2024, 2, 29), -12, D(2023, 2, 28)),  # no 29 February that year: the 28th
        (D(2026, 1, 15), -1, D(2025, 12, 15)),  # back over the turn of the year
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 31), -13, D(2024, 12, 31)),
    ],
)
def test_add_months_counts_back_with_negative_months(day, months, back):
    assert clock.add_months(day, months) == back
    assert clock.add_months(back, -months) <= day


def test_a_due_date_on_a_weekend_moves_to_monday():
    # 2026-01-31 + 1 month = Saturday 28 February 2026: Monday 2 March.
    assert clock.due_date(D(2026, 1, 31), profile=GDPR) == D(2026, 3, 2)
    # Received Sunday 8 November 2026: due Tuesday 8 December (already a working day).
    assert clock.due_date(D(2026, 11, 8), profile=GDPR) == D(2026, 12, 8)


def test_a_due_date_on_a_public_holiday_moves_to_the_next_working_day():
    # Received 17 February 2026: due 17 March, St Patrick's Day in Ireland, a Tuesday.
    assert clock.due_date(D(2026, 2, 17), profile=IE) == D(2026, 3, 18)
    assert clock.due_date(D(2026, 2, 17), profile=GDPR) == D(2026, 3, 17)
    # Received 25 November 2026: 25 December (Friday, Christmas), 26th Saturday (St Stephen's
    # Day), 27th Sunday: Monday 28 December.
    assert clock.due_date(D(2026, 11, 25), profile=IE) == D(2026, 12, 28)
    # Easter Monday 2027 is 29 March: received 28 February... the 28th + 1 month = 28 March,
    # a Sunday, then the holiday: Tuesday 30 March.
    assert clock.due_date(D(2027, 2, 28), profile=IE) == D(2027, 3, 30)


def test_the_extension_runs_three_months_from_receipt():
    assert clock.latest_extended_date(D(2026, 1, 31), profile=GDPR) == D(2026, 4, 30)
    # 2026-11-25 + 3 months = 25 February 2027, a Thursday.
    assert clock.latest_extended_date(D(2026, 11, 25), profile=IE) == D(2027, 2, 25)


def test_an_extension_is_told_within_the_first_month_not_after():
    received = D(2026, 2, 17)
    due = clock.due_date(received, profile=IE)
    assert clock.may_extend(received, due, profile=IE)
    assert not clock.may_extend(received, due + datetime.timedelta(days=1), profile=IE)


def test_days_left_counts_down_to_negative_when_overdue():
    assert clock.days_left(D(2026, 12, 10), D(2026, 12, 1)) == 9
    assert clock.days_left(D(2026, 12, 1), D(2026, 12, 1)) == 0
    assert clock.days_left(D(2026, 11, 28), D(2026, 12, 1)) == -3


def test_the_irish_profile_knows_its_holidays_and_the_years_it_covers():
    assert D(2026, 2, 2) in IE.holidays  # St Brigid's Day: first Monday of February
    assert D(2027, 2, 1) in IE.holidays
    assert D(2030, 2, 1) in IE.holidays  # 1 February is a Friday: that day itself
    assert IE.knows_holidays_of(2032) and not IE.knows_holidays_of(2033)
    assert GDPR.knows_holidays_of(2099)
