"""Opening hours for the hand-over: open now, when open again, and how we say it in Dutch."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain.opening_hours import (
    day_label,
    describe_hours,
    describe_next_opening,
    dutch_holidays,
    is_open,
    next_opening,
)
from bot.domain.timewindows import parse_window

AM, PM = parse_window("09:00-12:00"), parse_window("13:00-16:00")
HOURS = {day: [AM, PM] for day in range(5)}


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 11, 23, 10, 15), True),
        (datetime(2026, 11, 23, 9, 0), True),  # the start is inside
        (datetime(2026, 11, 23, 8, 59), False),
        (datetime(2026, 11, 23, 12, 0), False),  # the end is not
        (datetime(2026, 11, 23, 12, 30), False),  # lunch
        (datetime(2026, 11, 23, 15, 59), True),
        (datetime(2026, 11, 23, 16, 0), False),
        (datetime(2026, 11, 28, 10, 0), False),  # Saturday
        (datetime(2026, 11, 29, 10, 0), False),  # Sunday
        (datetime(2026, 12, 25, 10, 0), False),  # Eerste Kerstdag, a Friday
        (datetime(2027, 4, 27, 10, 0), False),  # Koningsdag, a Tuesday
        (datetime(2027, 4, 26, 10, 0), True),
        (datetime(2026, 4, 3, 10, 0), False),  # Goede Vrijdag: the holidays package counts it
        (datetime(2026, 1, 1, 10, 0), False),
    ],
)
def test_is_open(now, expected):
    assert is_open(now, HOURS) is expected


def test_holidays_follow_the_package():
    calendar = dutch_holidays()
    assert date(2027, 4, 27) in calendar and date(2026, 12, 26) in calendar
    # holidays 0.86 has Bevrijdingsdag only in lustrum years.
    assert date(2025, 5, 5) in calendar and date(2026, 5, 5) not in calendar


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 11, 23, 10, 15), datetime(2026, 11, 23, 10, 15)),  # open: now
        (datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 9, 0)),
        (datetime(2026, 11, 23, 12, 0), datetime(2026, 11, 23, 13, 0)),
        (datetime(2026, 11, 23, 16, 0), datetime(2026, 11, 24, 9, 0)),
        (datetime(2026, 11, 27, 16, 30), datetime(2026, 11, 30, 9, 0)),  # Friday evening
        (datetime(2026, 12, 24, 16, 0), datetime(2026, 12, 28, 9, 0)),  # over Christmas
        (datetime(2027, 4, 26, 17, 0), datetime(2027, 4, 28, 9, 0)),  # over Koningsdag
    ],
)
def test_next_opening(now, expected):
    assert next_opening(now, HOURS) == expected


def test_next_opening_looks_14_days_ahead_at_most():
    saturday_only = {5: [AM]}
    now = datetime(2026, 11, 23, 10, 0)
    assert next_opening(now, saturday_only) == datetime(2026, 11, 28, 9, 0)
    assert next_opening(now, {}) is None
    # Tuesday 27 April 2027 is Koningsdag: a Tuesday-only service opens again on 4 May.
    assert next_opening(datetime(2027, 4, 20, 12, 0), {1: [AM]}) == datetime(2027, 5, 4, 9, 0)
    # Friday-only over Christmas and New Year: 8 January, exactly 14 days after 25 Dec 9:00, and no further.
    friday_only = {4: [AM]}
    assert next_opening(datetime(2026, 12, 25, 9, 0), friday_only) == datetime(2027, 1, 8, 9, 0)
    assert next_opening(datetime(2026, 12, 25, 8, 59), friday_only) is None


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 11, 23, 10, 15), "nu"),
        (datetime(2026, 11, 23, 12, 30), "vandaag om 13:00"),
        (datetime(2026, 11, 23, 7, 0), "vandaag om 9:00"),
        (datetime(2026, 11, 23, 16, 0), "morgen om 9:00"),
        (datetime(2026, 11, 27, 16, 30), "maandag 30 november om 9:00"),
        (datetime(2026, 11, 29, 20, 0), "morgen om 9:00"),  # Sunday evening
        (datetime(2026, 12, 24, 16, 0), "maandag 28 december om 9:00"),
    ],
)
def test_describe_next_opening(now, expected):
    assert describe_next_opening(now, HOURS) == expected


def test_describe_next_opening_without_hours():
    assert describe_next_opening(datetime(2026, 11, 23, 10, 0), {}) == "niet in de komende 14 dagen"


@pytest.mark.parametrize(
    "hours, expected",
    [
        (HOURS, "maandag tot en met vrijdag van 9:00 tot 12:00 en van 13:00 tot 16:00, op feestdagen gesloten"),
        (
            {day: [parse_window("09:00-17:00")] for day in range(5)},
            "maandag tot en met vrijdag van 9:00 tot 17:00, op feestdagen gesloten",
        ),
        (
            {0: [parse_window("09:00-17:00")], 1: [parse_window("09:00-17:00")], 2: [parse_window("09:00-17:00")],
             3: [parse_window("09:00-17:00")], 4: [parse_window("09:00-12:00")]},
            "maandag tot en met donderdag van 9:00 tot 17:00, vrijdag van 9:00 tot 12:00, op feestdagen gesloten",
        ),
        (
            {0: [AM], 2: [AM], 4: [AM]},
            "maandag, woensdag en vrijdag van 9:00 tot 12:00, op feestdagen gesloten",
        ),
        (
            {0: [AM], 1: [AM], 3: [PM]},
            "maandag en dinsdag van 9:00 tot 12:00, donderdag van 13:00 tot 16:00, op feestdagen gesloten",
        ),
        ({2: [PM, AM]}, "woensdag van 9:00 tot 12:00 en van 13:00 tot 16:00, op feestdagen gesloten"),
        ({}, "op dit moment zijn er geen vaste openingstijden"),
    ],
)
def test_describe_hours(hours, expected):
    assert describe_hours(hours) == expected


def test_day_label():
    assert day_label(date(2026, 11, 30)) == "maandag 30 november"
    assert day_label(date(2027, 3, 1)) == "maandag 1 maart"
