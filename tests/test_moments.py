"""Preferred callback moments in free Dutch text -> concrete callback slots."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.domain.moments import (
    Slot,
    candidate_slots,
    choose_slot,
    next_free_slots,
    parse_preference,
    working_days,
)
from bot.domain.opening_hours import dutch_holidays
from bot.domain.timewindows import Window, parse_window

AM, PM = parse_window("09:00-12:00"), parse_window("13:00-16:00")
HOURS = {day: [AM, PM] for day in range(5)}  # Monday to Friday

MONDAY = datetime(2026, 11, 23, 10, 15)  # the morning window started over 30 minutes ago
CHRISTMAS_EVE = datetime(2026, 12, 24, 16, 0)  # a Thursday, after the last window; 25 Dec is a Friday
FRIDAY = datetime(2026, 11, 27, 11, 0)
BEFORE_KINGS_DAY = datetime(2027, 4, 26, 15, 0)  # Monday; Koningsdag is Tuesday 27 April 2027


def free(slot: Slot) -> bool:
    return True


def slot(month: int, day: int, window: Window, year: int = 2026) -> Slot:
    return Slot(date(year, month, day), window)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dinsdag", slot(11, 24, AM)),
        ("Dinsdag", slot(11, 24, AM)),
        ("di", slot(11, 24, AM)),
        ("wo", slot(11, 25, AM)),
        ("do", slot(11, 26, AM)),
        ("dinsdga", slot(11, 24, AM)),  # typo
        ("woensdg middag", slot(11, 25, PM)),  # typo
        ("dinsdagochtend", slot(11, 24, AM)),
        ("DINSDAG OCHTEND", slot(11, 24, AM)),
        ("dinsdagmorgen", slot(11, 24, AM)),
        ("dinsdag morgen", slot(11, 24, AM)),  # after a weekday "morgen" is the morning
        ("dinsdagmiddag", slot(11, 24, PM)),
        ("dinsdag 's middags", slot(11, 24, PM)),
        ("woensdagnamiddag", slot(11, 25, PM)),
        ("dinsdagavond", None),  # no window after 17:00
        ("'s avonds", None),
        ("donderdag tussen 10 en 12", slot(11, 26, AM)),
        ("donderdag tussen 12 en 14", slot(11, 26, PM)),  # overlaps 13:00-14:00
        ("donderdag van 12 tot 13 uur", None),  # touches the afternoon window but does not overlap it
        ("woensdagmiddag na 14 uur", slot(11, 25, PM)),
        ("woensdag na 16 uur", None),  # the last window ends at 16:00
        ("na 2 uur 's middags", slot(11, 23, PM)),
        ("na twee uur", slot(11, 23, PM)),
        ("tussen 10 en 2", slot(11, 23, PM)),  # 10:00-14:00; today's morning has begun
        ("voor 11 uur", slot(11, 24, AM)),
        ("voor 9 uur", None),  # the first window starts at 9:00
        ("niet na 9:30", slot(11, 24, AM)),
        ("om 10 uur", slot(11, 24, AM)),
        ("om 12 uur", None),  # the morning window ends at 12:00, the next starts at 13:00
        ("dinsdag om half 2", slot(11, 24, PM)),
        ("vrijdag na de lunch", slot(11, 27, PM)),
        ("morgen", slot(11, 24, AM)),
        ("morgenochtend", slot(11, 24, AM)),
        ("morgen middag", slot(11, 24, PM)),
        ("morgen om 14 uur", slot(11, 24, PM)),
        ("overmorgen", slot(11, 25, AM)),
        ("vandaag", slot(11, 23, PM)),
        ("vanochtend", None),  # this morning's window started too long ago
        ("maandag of dinsdag", slot(11, 23, PM)),
        ("dinsdag, woensdag", slot(11, 24, AM)),
        ("woensdag donderdag", slot(11, 25, AM)),
        ("morgen of donderdag", slot(11, 24, AM)),
        ("niet op maandag", slot(11, 24, AM)),
        ("liever niet op maandag of dinsdag", slot(11, 25, AM)),
        ("24 november", slot(11, 24, AM)),
        ("26 nov", slot(11, 26, AM)),
        ("24-11", slot(11, 24, AM)),
        ("25/11/2026", slot(11, 25, AM)),
        ("de 26e", slot(11, 26, AM)),
        ("wo 25-11 's middags", slot(11, 25, PM)),
        ("maandag 30 november", None),  # beyond the next 5 working days; not today, a Monday too
        ("zo snel mogelijk", slot(11, 23, PM)),
        ("zsm", slot(11, 23, PM)),
        ("maakt niet uit", slot(11, 23, PM)),
        ("het liefst snel", slot(11, 23, PM)),
        ("volgende week", slot(11, 30, AM)),
        ("volgende week dinsdag", slot(12, 1, AM)),
        ("graag volgende week in de middag", slot(11, 30, PM)),
    ],
)
def test_choose_slot_on_a_monday_morning(text, expected):
    assert choose_slot(text, MONDAY, HOURS, free) == expected


@pytest.mark.parametrize(
    "now, text, expected",
    [
        (CHRISTMAS_EVE, "morgen", None),  # Eerste Kerstdag
        (CHRISTMAS_EVE, "vandaag", None),  # the last window has ended
        (CHRISTMAS_EVE, "vrijdag", None),
        (CHRISTMAS_EVE, "zsm", slot(12, 28, AM)),
        (CHRISTMAS_EVE, "volgende week", slot(12, 28, AM)),
        (CHRISTMAS_EVE, "donderdag", slot(12, 31, AM)),
        (CHRISTMAS_EVE, "4 januari", slot(1, 4, AM, year=2027)),  # 1 January is skipped: 5th working day
        (FRIDAY, "morgen", None),  # Saturday: closed, and we do not move it to Monday
        (FRIDAY, "vandaag", slot(11, 27, PM)),
        (FRIDAY, "maandag", slot(11, 30, AM)),
        (FRIDAY, "volgende week", slot(11, 30, AM)),
        (BEFORE_KINGS_DAY, "morgen", None),
        (BEFORE_KINGS_DAY, "27 april", None),
        (BEFORE_KINGS_DAY, "zsm", slot(4, 28, AM, year=2027)),
        (BEFORE_KINGS_DAY, "dinsdag", slot(5, 4, AM, year=2027)),  # the next Tuesday that is no holiday
        (datetime(2027, 4, 26, 9, 20), "vandaag", slot(4, 26, AM, year=2027)),  # started 20 minutes ago
    ],
)
def test_choose_slot_around_weekends_and_holidays(now, text, expected):
    assert choose_slot(text, now, HOURS, free) == expected


def test_a_day_we_understand_but_cannot_offer_is_not_moved():
    preference = parse_preference("morgen", FRIDAY)
    assert preference.understood and preference.dates == {date(2026, 11, 28)}
    assert choose_slot("morgen", FRIDAY, HOURS, free) is None


def test_more_days_reach_further():
    assert choose_slot("maandag 30 november", MONDAY, HOURS, free, days=6) == slot(11, 30, AM)


def test_full_slots_are_skipped():
    full = {slot(11, 23, PM), slot(11, 24, AM)}

    def is_free(candidate: Slot) -> bool:
        return candidate not in full

    assert choose_slot("zsm", MONDAY, HOURS, is_free) == slot(11, 24, PM)
    assert choose_slot("vandaag", MONDAY, HOURS, is_free) is None
    assert choose_slot("dinsdagochtend", MONDAY, HOURS, is_free) is None
    assert next_free_slots(MONDAY, HOURS, is_free) == [slot(11, 24, PM), slot(11, 25, AM), slot(11, 25, PM)]


@pytest.mark.parametrize("text", ["banaan", "ik weet het niet", "", "   ", "bel me maar"])
def test_unparseable_text_gives_no_slot_but_three_buttons(text):
    assert parse_preference(text, MONDAY).understood is False
    assert choose_slot(text, MONDAY, HOURS, free) is None
    assert next_free_slots(MONDAY, HOURS, free) == [slot(11, 23, PM), slot(11, 24, AM), slot(11, 24, PM)]


def test_no_buttons_when_everything_is_full():
    assert next_free_slots(MONDAY, HOURS, lambda candidate: False) == []


@pytest.mark.parametrize(
    "text, weekdays, dates, after, before, asap",
    [
        ("dinsdagmorgen", {1}, None, None, time(12), False),
        ("morgenochtend", None, {date(2026, 11, 24)}, None, time(12), False),
        ("maandag of dinsdag", {0, 1}, None, None, None, False),
        ("dinsdag woensdag donderdagmiddag", {1, 2, 3}, None, time(12), time(17), False),
        ("woensdagmiddag na 14 uur", {2}, None, time(14), time(17), False),
        ("tussen 10 en 12", None, None, time(10), time(12), False),
        ("na 2 uur 's middags", None, None, time(14), None, False),
        ("om 8 uur 's ochtends", None, None, time(8), time(8, 1), False),
        ("ochtend of middag", None, None, None, time(17), False),
        ("zsm", None, None, None, None, True),
        ("zo snel mogelijk na 14 uur", None, None, time(14), None, True),
        ("24 november", None, {date(2026, 11, 24)}, None, None, False),
        ("1 januari", None, {date(2027, 1, 1)}, None, None, False),  # a date passed this year: next year
    ],
)
def test_parse_preference(text, weekdays, dates, after, before, asap):
    preference = parse_preference(text, MONDAY)
    assert preference.understood
    assert (preference.weekdays, preference.dates) == (weekdays, dates)
    assert (preference.after, preference.before, preference.asap) == (after, before, asap)


def test_volgende_week_starts_next_monday():
    assert parse_preference("volgende week", datetime(2026, 11, 29, 12, 0)).not_before == date(2026, 11, 30)
    assert parse_preference("volgende week", MONDAY).not_before == date(2026, 11, 30)


@pytest.mark.parametrize(
    "now, first",
    [
        (datetime(2026, 11, 23, 8, 59), slot(11, 23, AM)),
        (datetime(2026, 11, 23, 9, 30), slot(11, 23, AM)),  # started exactly 30 minutes ago: still offered
        (datetime(2026, 11, 23, 9, 31), slot(11, 23, PM)),
        (datetime(2026, 11, 23, 13, 31), slot(11, 24, AM)),
        (datetime(2026, 11, 28, 10, 0), slot(11, 30, AM)),  # Saturday
    ],
)
def test_candidate_slots_skip_windows_that_have_run_too_long(now, first):
    assert candidate_slots(now, HOURS)[0] == first


def test_candidate_slots_cover_five_working_days_with_a_window_left():
    days = sorted({candidate.day for candidate in candidate_slots(CHRISTMAS_EVE, HOURS)})
    assert days == [date(2026, 12, d) for d in (28, 29, 30, 31)] + [date(2027, 1, 4)]
    assert len(candidate_slots(MONDAY, HOURS, days=2)) == 3  # Monday afternoon, Tuesday twice


def test_working_days_skip_weekends_and_holidays():
    assert working_days(date(2026, 12, 24), 3, HOURS, dutch_holidays()) == [
        date(2026, 12, 24), date(2026, 12, 28), date(2026, 12, 29),
    ]
    assert working_days(date(2027, 4, 26), 2, HOURS, dutch_holidays()) == [date(2027, 4, 26), date(2027, 4, 28)]
    own_calendar = {date(2026, 11, 24)}
    assert working_days(date(2026, 11, 23), 2, HOURS, own_calendar) == [date(2026, 11, 23), date(2026, 11, 25)]
    assert working_days(date(2026, 11, 23), 3, {}, dutch_holidays()) == []


def test_slot_label_is_dutch():
    assert slot(11, 24, AM).label() == "dinsdag 24 november tussen 9:00 en 12:00"
    assert slot(1, 4, PM, year=2027).label() == "maandag 4 januari tussen 13:00 en 16:00"


@pytest.mark.parametrize(
    "windows",
    [
        [AM, PM],
        [parse_window("07:30-09:00"), parse_window("12:00-13:00"), parse_window("17:00-19:30")],
        [parse_window("08:00-10:00"), parse_window("10:00-11:30")],
    ],
)
def test_a_slot_label_as_button_payload_reads_back_as_that_slot(windows):
    hours = {day: windows for day in range(5)}
    for now in (MONDAY, CHRISTMAS_EVE):
        for candidate in candidate_slots(now, hours):
            assert choose_slot(candidate.label(), now, hours, free) == candidate
