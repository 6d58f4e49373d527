"""Time windows in a week: the shape of opening hours and callback windows in the municipality data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.domain.texts import text

# Dutch weekday names as they appear in the data files; index = datetime.weekday().
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")

_WINDOW = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True, order=True)
class Window:
    """A part of a day, start inclusive and end exclusive."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def label(self) -> str:
        """Dutch wording for a sentence: 'tussen 9:00 en 12:00' (also the callback slot's stored value)."""
        return text("hours.callback_window", start=_clock(self.start), end=_clock(self.end))


# Weekday (0 = Monday) -> the windows of that day, in order. Days without windows are closed.
WeeklyHours = dict[int, list[Window]]


def _clock(moment: time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def parse_window(text: str) -> Window:
    """'09:00-12:00' -> Window; ValueError (with the text) when the shape or order is wrong."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    window = Window(time(h1, m1), time(h2, m2))
    if window.end <= window.start:
        raise ValueError(f"{text!r} ends before it starts")
    return window
