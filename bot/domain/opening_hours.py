"""Opening hours for the hand-over decision: are the experts there now, and when are they back?

All datetimes are naive local times in Europe/Amsterdam, passed in by the caller (no clock is read
here). Dutch public holidays come from the `holidays` package and count as closed, whatever the
weekly hours say. We follow the package's list as it is: in holidays 0.86 that includes Goede Vrijdag
and Bevrijdingsdag only in lustrum years (2025, 2030, ...), and Koningsdag moves to the 26th when the
27th is a Sunday.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime, timedelta
from functools import cache

import holidays

from bot.domain.texts import text
from bot.domain.timewindows import WEEKDAYS, WeeklyHours, Window

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
# How far ahead next_opening looks; a longer closure is something to tell, not to compute.
LOOKAHEAD_DAYS = 14


@cache
def dutch_holidays() -> Container[date]:
    """One shared calendar; `holidays` adds the years it is asked about on the fly."""
    return holidays.country_holidays("NL", language="nl")


def is_holiday(day: date, holiday_calendar: Container[date] | None = None) -> bool:
    return day in (dutch_holidays() if holiday_calendar is None else holiday_calendar)


def day_label(day: date) -> str:
    """'maandag 30 november': weekday, day without a leading zero, month."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def clock(moment) -> str:
    """'9:00', '13:30': the way the Dutch write a time in a sentence."""
    return f"{moment.hour}:{moment.minute:02d}"


def windows_on(
    day: date, hours: WeeklyHours, holiday_calendar: Container[date] | None = None
) -> list[Window]:
    """The windows of one calendar day: none on a public holiday."""
    if is_holiday(day, holiday_calendar):
        return []
    return sorted(hours.get(day.weekday(), []))


def is_open(now: datetime, hours: WeeklyHours) -> bool:
    """True when `now` falls inside a window of its weekday and the day is no public holiday."""
    return any(window.contains(now.time()) for window in windows_on(now.date(), hours))


def next_opening(now: datetime, hours: WeeklyHours) -> datetime | None:
    """The first moment at or after `now` when we are open (so `now` itself while open).

    None when that is more than LOOKAHEAD_DAYS days away, or when there are no hours at all.
    """
    if is_open(now, hours):
        return now
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = now.date() + timedelta(days=offset)
        for window in windows_on(day, hours):
            start = datetime.combine(day, window.start)
            if start > now:
                return start if start - now <= timedelta(days=LOOKAHEAD_DAYS) else None
    return None


# The words come from data/action_texts.yml (hours); only the glue of a list (", " and " en ") stays here.
def _window_text(windows: list[Window]) -> str:
    return " en ".join(text("hours.window", start=clock(w.start), end=clock(w.end)) for w in sorted(windows))


def _days_text(days: list[int]) -> str:
    """[0, 1, 2, 4] -> 'maandag tot en met woensdag en vrijdag': runs of 3+ days as a range."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(text("hours.days_through", first=WEEKDAYS[run[0]], last=WEEKDAYS[run[-1]]))
        else:
            parts.extend(WEEKDAYS[day] for day in run)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


def describe_hours(hours: WeeklyHours) -> str:
    """Compact Dutch: 'maandag tot en met vrijdag van 9:00 tot 17:00, op feestdagen gesloten'.

    Days with the same windows are told together; groups follow the week from Monday.
    """
    groups: dict[tuple[Window, ...], list[int]] = {}
    for day in range(7):
        windows = tuple(sorted(hours.get(day, [])))
        if windows:
            groups.setdefault(windows, []).append(day)
    if not groups:
        return text("hours.none")
    parts = [f"{_days_text(days)} {_window_text(list(windows))}" for windows, days in groups.items()]
    return ", ".join([*parts, text("hours.holidays_closed")])


def describe_next_opening(now: datetime, hours: WeeklyHours) -> str:
    """'nu', 'vandaag om 13:00', 'morgen om 9:00', 'maandag 30 november om 9:00'.

    When nothing opens within LOOKAHEAD_DAYS days: 'niet in de komende 14 dagen'.
    """
    moment = next_opening(now, hours)
    if moment is None:
        return text("hours.next_none", days=LOOKAHEAD_DAYS)
    if moment == now:
        return text("hours.next_now")
    days_ahead = (moment.date() - now.date()).days
    if days_ahead in (0, 1):
        day = text("hours.next_today") if days_ahead == 0 else text("hours.next_tomorrow")
    else:
        day = day_label(moment.date())
    return text("hours.next_at", day=day, time=clock(moment))
