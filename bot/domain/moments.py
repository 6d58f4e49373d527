"""A preferred callback moment in free Dutch text -> a concrete callback slot.

Pure functions: `now` is always passed in, as a naive local time in Europe/Amsterdam. A slot is one
callback window on one day (the windows come from the municipality's callback hours). Only slots in
the next few working days are offered: days with callback hours that are no Dutch public holiday.

How a preference is matched (see `Preference.fits`):
- days: a slot's day fits when it is one of the named weekdays OR one of the named dates
  ("morgen of donderdag"); no day named means every day fits.
- times: a preference is one range of the day [after, before). A window fits when it overlaps that
  range: "tussen 10 en 12" fits 9:00-12:00; "na 14 uur" fits a window that ends after 14:00; "voor 11
  uur" fits a window that starts before 11:00; "om 10 uur" fits a window that contains 10:00. Parts of
  the day: ochtend/morgen = before 12:00, middag = 12:00-17:00, avond = after 17:00. Several parts of
  the day are joined ("ochtend of middag" = before 17:00); a clock time narrows them down
  ("woensdagmiddag na 14 uur" = 14:00-17:00). The slot keeps the whole window; the expert calls
  somewhere inside it.
- hours 1-7 without "'s ochtends" are read as afternoon ("na 2 uur" = 14:00): nobody asks for a
  callback at 2 at night.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from difflib import get_close_matches
from itertools import islice

from bot.domain.opening_hours import MONTHS, day_label, windows_on
from bot.domain.timewindows import WEEKDAYS, WeeklyHours, Window

# A window of today that started at most this long ago is still offered: most of it is still ahead.
GRACE = timedelta(minutes=30)
MORNING, AFTERNOON, EVENING = (None, time(12)), (time(12), time(17)), (time(17), None)


@dataclass(frozen=True)
class Slot:
    day: date
    window: Window

    def label(self) -> str:
        """'dinsdag 24 november tussen 9:00 en 12:00'."""
        return f"{day_label(self.day)} {self.window.label()}"


@dataclass(frozen=True)
class Preference:
    """What a person asked for. `not_before` is set by "volgende week" / "na het weekend"."""

    weekdays: frozenset[int] | None = None
    dates: frozenset[date] | None = None
    after: time | None = None
    before: time | None = None
    asap: bool = False
    understood: bool = False
    not_before: date | None = None

    def fits(self, slot: Slot) -> bool:
        if self.not_before and slot.day < self.not_before:
            return False
        if self.weekdays is not None or self.dates is not None:
            if slot.day.weekday() not in (self.weekdays or ()) and slot.day not in (self.dates or ()):
                return False
        if self.after is not None and slot.window.end <= self.after:
            return False
        return self.before is None or slot.window.start < self.before


def working_days(
    start: date, count: int, hours: WeeklyHours, holiday_calendar: Container[date] | None = None
) -> list[date]:
    """The first `count` days from `start` (inclusive) with callback hours that are no public holiday.

    `holiday_calendar` is anything with `in` (a `holidays` calendar); None = Dutch public holidays.
    """
    days = []
    for offset in range(366):  # a year is enough for any `count` we use, and stops at empty hours
        day = start + timedelta(days=offset)
        if len(days) == count:
            break
        if windows_on(day, hours, holiday_calendar):
            days.append(day)
    return days


def _slots(now: datetime, hours: WeeklyHours, days: int, start: date | None = None) -> list[Slot]:
    """Slots of the first `days` working days from `start` (default today) that still have a slot."""
    first = max(start or now.date(), now.date())
    # One day extra: today may have no window left, and then it does not count.
    slots: list[Slot] = []
    for day in working_days(first, days + 1, hours):
        todays = [
            Slot(day, window)
            for window in windows_on(day, hours)
            if datetime.combine(day, window.start) >= now - GRACE
        ]
        if todays and len({slot.day for slot in slots}) < days:
            slots.extend(todays)
    return slots


def candidate_slots(now: datetime, hours: WeeklyHours, *, days: int = 5) -> list[Slot]:
    """Every window in the next `days` working days that still have a window left, in time order.

    A window of today is offered while it started no more than GRACE (30 min) ago; a day without any
    window left (today, late in the afternoon) does not count as one of the `days`.
    """
    return _slots(now, hours, days)


# --- reading the text -----------------------------------------------------------------------------

_NUMBER_WORDS = {
    "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}
_WORDS = "|".join(_NUMBER_WORDS)
# A clock time: "14", "14:30", "half 3", "half drie", "twee" (a number word only before "uur").
_T = rf"(\d{{1,2}}(?:[:.]\d{{2}})?|half\s+(?:\d{{1,2}}|{_WORDS})\b|(?:{_WORDS})(?=\s*(?:uur|en\s|tot\s|-)))"
_UUR = r"(?:\s*(?:uur|u|h)\b)?"
# "'s middags" / "in de ochtend" right after a clock time says am or pm, and is no part of the day.
_QUALIFIER = r"(?:\s*(?:'?s|in\s+de)\s*(ochtend|morgen|middag|avond)s?)?"
_AT = _T + _UUR + _QUALIFIER
_TIME_RULES = [
    (re.compile(rf"\b(?:tussen|van)\s+{_AT}\s*(?:en|tot|-|t/m)\s*{_AT}"), "range"),
    (re.compile(rf"(?<![\d:.-]){_T}\s*-\s*{_T}\s*(?:uur|u|h)\b{_QUALIFIER}"), "range_bare"),
    # "niet na" / "niet voor" first: their second word alone means the opposite.
    (re.compile(rf"\bniet\s+na\s+{_AT}"), "before"),
    (re.compile(rf"\bniet\s+voor\s+{_AT}"), "after"),
    (re.compile(rf"\b(?:na|vanaf|later\s+dan)\s+{_AT}"), "after"),
    (re.compile(rf"\b(?:voor|tot|uiterlijk|eerder\s+dan)\s+{_AT}"), "before"),
    (re.compile(rf"\b(?:om|rond|rond\s+de|rondom|tegen)\s+{_AT}"), "at"),
    (re.compile(rf"(?<![\d:.-])(\d{{1,2}}(?:[:.]\d{{2}})?)\s*(?:uur|u|h)\b{_QUALIFIER}"), "at"),
    (re.compile(rf"\b(half\s+(?:\d{{1,2}}|{_WORDS}))\b{_QUALIFIER}"), "at"),
]
# A weekday right before a date only names that date ("maandag 30 november"): it is read with it.
_NAMED = rf"(?:\b(?:{'|'.join(WEEKDAYS)}|ma|di|wo|do|vr|za|zo)\s+)?"
_DATE_WORDS = re.compile(rf"{_NAMED}\b(\d{{1,2}})\s*([a-z]{{3,9}})\.?(?:\s+(\d{{4}}))?\b")
_DATE_DIGITS = re.compile(
    rf"{_NAMED}(?<![\d:.])(\d{{1,2}})[-/](\d{{1,2}})(?:[-/](\d{{4}}|\d{{2}}))?(?![\d:.])"
)
_SHORT_MONTHS = {"mrt": 3, "oct": 10}
_DAY_OF_MONTH = re.compile(r"\bde\s+(\d{1,2})(?:e|ste|de)\b")
_ASAP = re.compile(
    r"\b(?:zo\s+(?:snel|vroeg|spoedig|gauw)\s+(?:als\s+)?mogelijk|z\.?s\.?m\.?|asap|maakt\s+(?:me\s+|mij\s+)?"
    r"(?:niet|niks|niets)\s+uit|(?:het\s+)?liefst\s+snel|geen\s+voorkeur|eerst\s+mogelijke|snel|meteen)"
)
_NEXT_WEEK = re.compile(r"\b(?:volgende\s+week|na\s+het\s+weekend|na\s+het\s+weekeinde)\b")
_PARTS = {
    "ochtend": MORNING, "morgens": MORNING, "voormiddag": MORNING, "vroeg": MORNING,
    "middag": AFTERNOON, "namiddag": AFTERNOON, "avond": EVENING,
}
_PHRASES = [  # (pattern, tomorrow/today offset or None, part of the day or None)
    (re.compile(r"\bovermorgen\b"), 2, None),
    (re.compile(r"\b(?:vanmorgen|vanochtend)\b"), 0, MORNING),
    (re.compile(r"\bvanmiddag\b"), 0, AFTERNOON),
    (re.compile(r"\bvanavond\b"), 0, EVENING),
    (re.compile(r"\bvandaag\b"), 0, None),
    (re.compile(r"\bmorgen\s*(ochtend|vroeg)s?\b"), 1, MORNING),
    (re.compile(r"\bmorgen\s*(na)?middags?\b"), 1, AFTERNOON),
    (re.compile(r"\bmorgen\s*avonds?\b"), 1, EVENING),
    (re.compile(r"\bna\s+(?:de\s+)?lunch(?:pauze)?\b"), None, (time(13), None)),
    (re.compile(r"\bvoor\s+(?:de\s+)?lunch(?:pauze)?\b"), None, MORNING),
    (re.compile(r"(?<![a-z])(?:'?s|in\s+de)\s*(?:ochtend|morgen)s?\b"), None, MORNING),
    (re.compile(r"(?<![a-z])(?:'?s|in\s+de)\s*(?:na)?middags?\b"), None, AFTERNOON),
    (re.compile(r"(?<![a-z])(?:'?s|in\s+de)\s*avonds?\b"), None, EVENING),
]
# Left out as words with another meaning: "zo" (so), "vrij" (free: "woensdag ben ik vrij"), "zat".
_ABBREVIATIONS = {
    "ma": 0, "maa": 0, "maan": 0, "di": 1, "din": 1, "dins": 1, "wo": 2, "woe": 2, "woens": 2,
    "do": 3, "don": 3, "donder": 3, "vr": 4, "za": 5, "zon": 6,
}
_WEEKDAY = rf"(?:{'|'.join(WEEKDAYS)}|ma|di|wo|do|vr|za)s?\b"
# "niet op maandag of dinsdag": every weekday named after the negation is left out.
_NEGATION = re.compile(
    rf"\b(?:niet|geen|behalve)\s+(?:op\s+)?(?:de\s+)?{_WEEKDAY}(?:\s*(?:,|en|of)\s*(?:op\s+)?{_WEEKDAY})*"
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("`", "'"))
    return re.sub(r"\s+", " ", "".join(char for char in text if not unicodedata.combining(char))).strip()


def _clock_time(token: str, qualifier: str | None) -> time | None:
    """'14', '14:30', 'half 3', 'twee' (+ "'s middags") -> a time of day; None when impossible."""
    half = token.startswith("half")  # "half 3" is 2:30
    hour_text, _, minute_text = token.split()[-1].replace(".", ":").partition(":")
    hour = _NUMBER_WORDS.get(hour_text) or int(hour_text)
    minute = int(minute_text or 0)
    if (qualifier in ("middag", "avond") and hour < 12) or (qualifier is None and 1 <= hour <= 7):
        hour += 12
    if half:
        hour, minute = hour - 1, 30
    return time(hour, minute) if 0 <= hour <= 23 and 0 <= minute <= 59 else None


def _next_date(day: int, month: int, year: int | None, today: date) -> date | None:
    """The date with that day and month: in `year`, or else the first one from today on."""
    try:
        if year is not None:
            return date(year + 2000 if year < 100 else year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _day_of_month(day: int, today: date) -> date | None:
    """'de 24e': that day in this month, or in the next month that has it when it has passed."""
    for ahead in range(3):
        month_index = today.month - 1 + ahead
        try:
            found = date(today.year + month_index // 12, month_index % 12 + 1, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def _month(word: str) -> int | None:
    """'nov', 'november', 'mrt' -> 11, 11, 3; cheap typo tolerance for whole names ('novmber')."""
    if word in _SHORT_MONTHS:
        return _SHORT_MONTHS[word]
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(word):  # the pattern asks for 3+ letters, so no two months share a prefix
            return number
    close = get_close_matches(word, MONTHS, n=1, cutoff=0.8) if len(word) >= 5 else []
    return MONTHS.index(close[0]) + 1 if close else None


def _weekday(word: str) -> int | None:
    if word in _ABBREVIATIONS:
        return _ABBREVIATIONS[word]
    for candidate in (word, word[:-1] if word.endswith("s") else word):  # "dinsdags"
        if candidate in WEEKDAYS:
            return WEEKDAYS.index(candidate)
    # Cheap typo tolerance ("dinsdga", "woensdg") for words long enough not to be something else.
    close = get_close_matches(word, WEEKDAYS, n=1, cutoff=0.8) if len(word) >= 5 else []
    return WEEKDAYS.index(close[0]) if close else None


def _part(word: str) -> tuple | None:
    return _PARTS.get(word) or (_PARTS.get(word[:-1]) if word.endswith("s") else None)


# Longest first, so that "woensdagnamiddag" loses "namiddag" and not just "middag".
_SUFFIXES = sorted([*_PARTS, "morgen"], key=len, reverse=True)


def _weekday_and_part(word: str) -> tuple[int | None, tuple | None]:
    """'dinsdagochtend' / 'dinsdagmorgen' -> (1, MORNING); 'dinsdag' -> (1, None)."""
    for suffix in _SUFFIXES:
        for ending in (suffix + "s", suffix):
            if word.endswith(ending) and len(word) > len(ending):
                day = _weekday(word[: -len(ending)])
                if day is not None:
                    return day, _part(suffix) or MORNING
    return _weekday(word), None


def _read_times(take: Callable[[re.Pattern], list[re.Match]], today: date) -> list[tuple]:
    """Every clock-time constraint in the text as an (after, before) range; None = open."""
    times = []
    for pattern, kind in _TIME_RULES:
        for match in take(pattern):
            groups = match.groups()
            if kind == "range":
                first = _clock_time(groups[0], groups[1])
                second = _clock_time(groups[2], groups[3] or groups[1])
                if first and second and second < first and first.hour >= 13:  # "tussen 7:00 en 9:00"
                    first = first.replace(hour=first.hour - 12)
                times.append((first, second))
            elif kind == "range_bare":
                times.append((_clock_time(groups[0], groups[2]), _clock_time(groups[1], groups[2])))
            else:
                moment = _clock_time(groups[0], groups[1])
                if moment is None:
                    continue
                if kind == "after":
                    times.append((moment, None))
                elif kind == "before":
                    times.append((None, moment))
                else:  # "om 10 uur": the window must contain 10:00
                    times.append((moment, (datetime.combine(today, moment) + timedelta(minutes=1)).time()))
    return [(low, high) for low, high in times if low is not None or high is not None]


def _read_dates(take: Callable[[re.Pattern], list[re.Match]], today: date) -> set[date]:
    dates = set()
    for match in take(_DATE_WORDS):
        month = _month(match.group(2))
        year = int(match.group(3)) if match.group(3) else None
        dates.add(_next_date(int(match.group(1)), month, year, today) if month else None)
    for match in take(_DATE_DIGITS):
        year = int(match.group(3)) if match.group(3) else None
        dates.add(_next_date(int(match.group(1)), int(match.group(2)), year, today))
    for match in take(_DAY_OF_MONTH):
        dates.add(_day_of_month(int(match.group(1)), today))
    return dates - {None}


def parse_preference(text: str, now: datetime) -> Preference:
    """Read a preferred callback moment from Dutch free text; see the module docstring for the rules.

    `understood` is False when nothing in the text says something about a day, a time or speed.
    Words that mean nothing here are skipped ("liefst", "graag", "bel me maar").
    """
    today = now.date()
    rest = _normalise(text or "")

    def take(pattern: re.Pattern) -> list[re.Match]:
        """The matches of `pattern`, removed from the text so that later rules do not see them."""
        nonlocal rest
        matches = list(pattern.finditer(rest))
        rest = pattern.sub(" ", rest)
        return matches

    asap = bool(take(_ASAP))
    times = _read_times(take, today)
    dates = _read_dates(take, today)
    weekdays: set[int] = set()
    parts: list[tuple] = []
    not_before = None
    found = bool(times or dates)
    if take(_NEXT_WEEK):
        not_before = today + timedelta(days=7 - today.weekday())
        found = True
    for pattern, offset, part in _PHRASES:
        for _ in take(pattern):
            if offset is not None:
                dates.add(today + timedelta(days=offset))
            if part:
                parts.append(part)
            found = True
    excluded = {
        _weekday(word) for match in take(_NEGATION) for word in re.findall(r"[a-z]+", match.group(0))
    } - {None}
    found = found or bool(excluded)

    previous_weekday = False
    for word in re.findall(r"[a-z]+", rest):
        if word == "morgen" and not previous_weekday:
            dates.add(today + timedelta(days=1))
            found = True
            continue
        # Right after a weekday "morgen" is the morning: "dinsdag morgen".
        part = MORNING if word == "morgen" else _part(word)
        day, part = (None, part) if part else _weekday_and_part(word)
        if part:
            parts.append(part)
        if day is not None:
            weekdays.add(day)
        found = found or part is not None or day is not None
        previous_weekday = day is not None and part is None

    if not found and not asap:
        return Preference(understood=False)
    after, before = _time_range(parts, times)
    if excluded:
        weekdays = (weekdays or set(range(7))) - excluded
    return Preference(
        weekdays=frozenset(weekdays) if weekdays or excluded else None,
        dates=frozenset(dates) if dates else None,
        after=after, before=before, asap=asap, understood=True, not_before=not_before,
    )


def _time_range(parts: list[tuple], times: list[tuple]) -> tuple[time | None, time | None]:
    """Join the parts of the day (their outer bounds), then narrow with every clock-time range."""
    after = before = None
    if parts:
        after = None if any(low is None for low, _ in parts) else min(low for low, _ in parts)
        before = None if any(high is None for _, high in parts) else max(high for _, high in parts)
    for low, high in times:
        if low is not None:
            after = low if after is None else max(after, low)
        if high is not None:
            before = high if before is None else min(before, high)
    return after, before


def choose_slot(
    text: str, now: datetime, hours: WeeklyHours, is_free: Callable[[Slot], bool], *, days: int = 5
) -> Slot | None:
    """The first free candidate slot that fits the preference in `text`.

    None when the text is not understood or nothing fits (a closed day, a full slot, a day beyond
    the next `days` working days). "volgende week" counts the `days` working days from next Monday.
    """
    preference = parse_preference(text, now)
    if not preference.understood:
        return None
    for slot in _slots(now, hours, days, preference.not_before):
        if preference.fits(slot) and is_free(slot):
            return slot
    return None


def next_free_slots(
    now: datetime, hours: WeeklyHours, is_free: Callable[[Slot], bool], n: int = 3, *, days: int = 5
) -> list[Slot]:
    """The first `n` free candidate slots, for buttons when a preference cannot be used."""
    # Lazily, so that is_free (maybe a database query) is asked no more than needed.
    return list(islice((slot for slot in candidate_slots(now, hours, days=days) if is_free(slot)), n))
