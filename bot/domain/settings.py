"""Settings read from the environment, checked when they are read: a wrong value stops the start with a
message that names the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping


def days(variable: str, default: int, minimum: int, environ: Mapping[str, str] | None = None) -> int:
    """A number of days from `variable` (empty or unset: `default`); at least `minimum`."""
    raw = (os.environ if environ is None else environ).get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number of days, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{variable} must be at least {minimum} days, not {value}")
    return value
