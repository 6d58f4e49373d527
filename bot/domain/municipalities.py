"""Per-municipality data (the sociale kaart): one YAML file per municipality in data/municipalities/.

The files are validated when the action server starts (`load_all()`); a mistake stops it with a
message that names the file and the field, so a wrong opening hour never reaches a parent. Adding a
municipality is adding a file. Exactly one file is the `default`: its team helps people whose own
municipality has no file yet.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import phonenumbers
from pydantic import BaseModel, Field, conint, constr, root_validator, validator

from bot.domain import datafile
from bot.domain.timewindows import WEEKDAYS, WeeklyHours, Window, parse_window
from language.gemeenten import canonical, fold

__all__ = [
    "DATA_DIR", "DebtHelp", "Expert", "Municipality", "MunicipalityDataError", "Region", "Scheme", "Team",
    "Theme", "Window", "contrast_ratio", "default_municipality", "find", "is_verified", "load_all", "mix",
]

REPO = Path(__file__).resolve().parents[2]
# A deployment (or a test) can keep its own sociale kaart outside the repository.
DATA_DIR = Path(os.environ.get("SCHEIDINGSPUNT_MUNICIPALITIES_DIR") or REPO / "data" / "municipalities")

Text = constr(strip_whitespace=True, min_length=1)
Key = constr(regex=r"^[a-z][a-z0-9_]*$")
# A key as it may arrive in a URL or a chat message (the store's columns hold 64 characters).
KEY_IN_REQUEST = r"[a-z][a-z0-9_]{0,63}"
Url = constr(strip_whitespace=True, regex=r"^https?://\S+$")
Percentage = conint(ge=50, le=300)
Age = conint(ge=0, le=120)
# "14 + netnummer" is the shared short number of Dutch municipalities; libphonenumber does not know it.
_FOURTEEN = re.compile(r"^14 ?0\d{2,3}$")
_YEAR = re.compile(r"\b20\d\d\b")
# Theme values end up in CSS (bot/gateway/theme.py): only shapes that cannot break out of a declaration.
_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FONT_NAME = r"""(?:-?[A-Za-z][A-Za-z0-9 -]*|"[A-Za-z0-9 -]+"|'[A-Za-z0-9 -]+')"""
_FONT_FAMILY = re.compile(rf"^{_FONT_NAME}(?: *, *{_FONT_NAME})*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
WHITE = "#ffffff"
_MISSING = object()


class MunicipalityDataError(ValueError):
    """A municipality file is unreadable or invalid; the message names the file and the field."""


def _check_phone(value: str | None) -> str | None:
    if value is None or _FOURTEEN.match(value):
        return value
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(value, "NL"))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValueError(f"{value!r} is not a Dutch phone number")
    return value


def _hhmm(window: Window) -> str:
    return f"{window.start:%H:%M}-{window.end:%H:%M}"


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    srgb = (value / 255 for value in _rgb(colour))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two "#rrggbb" colours; text needs 4.5, focus rings 3."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(colour: str, other: str, weight: float) -> str:
    """`colour` moved `weight` (0..1) of the way to `other`, in sRGB like CSS color-mix(in srgb)."""
    channels = (round(a + (b - a) * weight) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)


class _DayWindows(list):
    """A day's windows as written in the file (["09:00-12:00", ...]), parsed, sorted, not overlapping."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> list[Window]:
        if not isinstance(value, list):
            raise ValueError('expected a list of "HH:MM-HH:MM" windows')
        windows = sorted(parse_window(str(text)) for text in value)
        for earlier, later in zip(windows, windows[1:], strict=False):
            if later.start < earlier.end:
                raise ValueError(f"windows {_hhmm(earlier)} and {_hhmm(later)} overlap")
        return windows


class _Model(BaseModel):
    class Config:
        extra = "forbid"  # a misspelt key is an error, not a silently missing value
        allow_mutation = False
        allow_population_by_field_name = True


class Expert(_Model):
    role: Literal["scheidingsdeskundige", "financieel_preventiemedewerker"]
    title: Text


class Team(_Model):
    """The people behind the chat. Hours and capacity are operating settings, not facts from the web."""

    name: Text
    experts: list[Expert] = Field(..., min_items=1)
    # Kept as written (Dutch weekday -> windows); the properties give them by weekday number.
    chat_by_day: dict[str, _DayWindows] = Field(..., alias="live_chat_hours")
    callbacks_by_day: dict[str, _DayWindows] = Field(..., alias="callback_hours")
    callback_capacity: conint(ge=1, le=100)
    phone: Text
    unverified: bool = True

    _phone = validator("phone", allow_reuse=True)(_check_phone)

    @validator("chat_by_day", "callbacks_by_day", pre=True)
    def _weekday_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("expected a mapping of Dutch weekday names (maandag .. zondag) to windows")
        for day in value:
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a Dutch weekday name (maandag .. zondag)")
        return value

    @property
    def live_chat_hours(self) -> WeeklyHours:
        return {WEEKDAYS.index(day): list(windows) for day, windows in self.chat_by_day.items()}

    @property
    def callback_hours(self) -> WeeklyHours:
        return {WEEKDAYS.index(day): list(windows) for day, windows in self.callbacks_by_day.items()}


class Scheme(_Model):
    """A local scheme. `income_limit_pct` is a % of the bijstandsnorm; null when we do not know it."""

    key: Key
    name: Text
    gives: Text
    income_limit_pct: Percentage | None = Field(...)  # required, may be null
    # Most municipal tables are a % of the norm without the vakantietoeslag (Zwolle: "netto en zonder
    # vakantiegeld"); a scheme whose page says otherwise sets met_vakantietoeslag.
    income_limit_basis: Literal["zonder_vakantietoeslag", "met_vakantietoeslag"] = "zonder_vakantietoeslag"
    asset_limit: bool
    for_: Literal["adults", "children", "household"] = Field(..., alias="for")
    min_age: Age | None = None
    max_age: Age | None = None
    apply: Text
    url: Url
    year: conint(ge=2000, le=2100)
    verified: bool
    source: Url

    @validator("gives")
    def _amount_has_year(cls, value: str) -> str:
        if "€" in value and not _YEAR.search(value):
            raise ValueError("an amount needs its year, e.g. '(bedrag 2024)'")
        return value

    @validator("max_age")
    def _ages_in_order(cls, value: int | None, values: dict[str, Any]) -> int | None:
        low = values.get("min_age")
        if value is not None and low is not None and value < low:
            raise ValueError(f"max_age {value} is below min_age {low}")
        return value


class DebtHelp(_Model):
    name: Text
    url: Url
    phone: Text | None = None

    _phone = validator("phone", allow_reuse=True)(_check_phone)


class Region(_Model):
    name: Text
    url: Url


class Theme(_Model):
    """The look of the chat widget on this municipality's site (served as CSS by bot/gateway/theme.py).

    Colours are "#rrggbb". The primary colour fills the header and the main buttons, and is the colour of
    links and secondary buttons on the white panel: so it needs 4.5:1 against white as well as against
    its text colour. The focus ring needs 3:1 against white.
    """

    primary_color: str
    primary_text_color: str = WHITE
    focus_color: str = "#000000"
    font_family: constr(strip_whitespace=True, max_length=200) = (
        'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
    )
    logo_text: constr(strip_whitespace=True, min_length=1, max_length=60) | None = None

    @validator("primary_color", "primary_text_color", "focus_color")
    def _hex_colour(cls, value: str) -> str:
        if not _HEX_COLOUR.fullmatch(value):
            raise ValueError(f"{value!r} is not a colour like '#1d5d3b' (quote it in YAML)")
        return "#" + "".join(f"{c:02x}" for c in _rgb(value))  # one spelling: "#1d5d3b"

    @validator("font_family")
    def _font_names(cls, value: str) -> str:
        if not _FONT_FAMILY.fullmatch(value):
            raise ValueError(f"{value!r} is not a list of font names like 'Arial, sans-serif'")
        return value

    @validator("logo_text")
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("logo_text must be one line of plain text")
        return value

    @root_validator(skip_on_failure=True)
    def _readable(cls, values: dict[str, Any]) -> dict[str, Any]:
        primary, text, focus = values["primary_color"], values["primary_text_color"], values["focus_color"]
        checks = [
            ("primary_text_color", text, primary, 4.5, "text on the primary colour"),
            ("primary_color", primary, WHITE, 4.5, "links and secondary buttons on the white panel"),
            ("focus_color", focus, WHITE, 3.0, "the focus ring on the white panel"),
        ]
        for name, colour, background, needed, use in checks:
            ratio = contrast_ratio(colour, background)
            if ratio < needed:
                shown = int(ratio * 100) / 100  # rounded down: 4.499 must not read as 4.50
                raise ValueError(
                    f"{name}: {colour} on {background} has contrast {shown:.2f}:1; {use} needs at least "
                    f"{needed}:1 (WCAG AA)"
                )
        return values


class Municipality(_Model):
    key: Key
    name: Text
    aliases: list[Text] = []
    default: bool = False
    website: Url
    phone: Text | None = None
    sources: list[Url] = Field(..., min_items=1)
    checked: date
    team: Team
    schemes: list[Scheme] = []
    debt_help: DebtHelp
    veilig_thuis_region: Region
    theme: Theme | None = None  # None: the widget's default look
    # Dotted field paths the bot must not state as fact ("kijk op de website van je gemeente").
    unverified: set[str] = set()

    _phone = validator("phone", allow_reuse=True)(_check_phone)

    @validator("aliases", each_item=True)
    def _alias_is_not_another_municipality(cls, alias: str, values: dict[str, Any]) -> str:
        official = canonical(alias)
        if official is not None and fold(official) != fold(values.get("name", "")):
            raise ValueError(f"{alias!r} is the municipality {official}, not a place in this one")
        return alias

    @validator("schemes")
    def _unique_scheme_keys(cls, schemes: list[Scheme]) -> list[Scheme]:
        doubles = datafile.used_twice([scheme.key for scheme in schemes])
        if doubles:
            raise ValueError(f"scheme keys must be unique: {', '.join(doubles)}")
        return schemes

    @root_validator(skip_on_failure=True)
    def _unverified_paths_exist(cls, values: dict[str, Any]) -> dict[str, Any]:
        for path in sorted(values["unverified"]):
            if _resolve(values, path) is _MISSING:
                raise ValueError(f"unverified: {path!r} is not a field of this file")
        if values["team"].unverified:
            values["unverified"] = values["unverified"] | {"team"}
        return values

    def scheme(self, key: str) -> Scheme | None:
        return next((scheme for scheme in self.schemes if scheme.key == key), None)


def _resolve(node: Any, path: str) -> Any:
    """The value at a dotted path (scheme entries by key), or _MISSING."""
    for part in path.split("."):
        if isinstance(node, BaseModel):
            field = next((f for f in node.__fields__.values() if part in (f.name, f.alias)), None)
            node = getattr(node, field.name) if field else _MISSING
        elif isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list):
            node = next((item for item in node if getattr(item, "key", None) == part), _MISSING)
        else:
            node = _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _field_path(loc: tuple, raw: dict[str, Any]) -> str:
    """pydantic's error location as a dotted path; scheme entries by their key where it is readable."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if part == "__root__":
            continue
        if isinstance(part, int) and i > 0 and loc[i - 1] == "schemes":
            entry = (raw.get("schemes") or [None] * (part + 1))[part]
            part = entry["key"] if isinstance(entry, dict) and isinstance(entry.get("key"), str) else part
        parts.append(str(part))
    return ".".join(parts)


def _read(path: Path) -> Municipality:
    shown = datafile.shown(path)
    municipality = datafile.load_model(path, Municipality, MunicipalityDataError, _field_path)
    if municipality.key != path.stem:
        raise MunicipalityDataError(
            f"{shown}: key: {municipality.key!r} must equal the file name {path.stem!r}"
        )
    return municipality


def _check_together(directory: Path, found: dict[str, Municipality]) -> None:
    defaults = [m.key for m in found.values() if m.default]
    if len(defaults) != 1:
        listed = ", ".join(defaults) or "none"
        raise MunicipalityDataError(
            f"{datafile.shown(directory)}: default: exactly one file must say 'default: true' (now: {listed})"
        )
    owner: dict[str, str] = {}
    for municipality in found.values():
        for spelling in {fold(s) for s in (municipality.name, *municipality.aliases)}:
            other = owner.setdefault(spelling, municipality.key)
            if other != municipality.key:
                raise MunicipalityDataError(
                    f"{datafile.shown(directory / (municipality.key + '.yml'))}: aliases: {spelling!r} "
                    f"is also used by {other}.yml"
                )


@cache
def _load_directory(directory: Path) -> dict[str, Municipality]:
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise MunicipalityDataError(f"{datafile.shown(directory)}: no municipality files (*.yml)")
    found: dict[str, Municipality] = {}
    errors: list[str] = []
    for path in files:
        try:
            found[path.stem] = _read(path)
        except MunicipalityDataError as error:
            errors.append(str(error))
    if errors:  # all broken files at once: fixing them one start-up at a time is slow
        raise MunicipalityDataError("\n".join(errors))
    _check_together(directory, found)
    return found


def load_all(directory: Path = DATA_DIR) -> dict[str, Municipality]:
    """Every municipality by key, validated; read once per directory."""
    return _load_directory(Path(directory).resolve())


def default_municipality() -> Municipality:
    return next(m for m in load_all().values() if m.default)


@cache
def _spellings(directory: Path) -> dict[str, Municipality]:
    return {
        fold(spelling): municipality
        for municipality in load_all(directory).values()
        for spelling in (municipality.name, municipality.key, *municipality.aliases)
    }


def find(name: str | None) -> Municipality | None:
    """Our municipality for a name or place as typed or as the NLU's gemeente entity gives it."""
    if not name:
        return None
    folded = fold(name)
    if folded.startswith("gemeente "):
        folded = folded[len("gemeente "):]
    return _spellings(DATA_DIR.resolve()).get(folded)


def is_verified(m: Municipality, field: str) -> bool:
    """False when the field, a part it belongs to, or its scheme ('schemes.<key>') is not verified."""
    parts = field.split(".")
    if parts[0] == "schemes" and len(parts) > 1:
        scheme = m.scheme(parts[1])
        if scheme is not None and not scheme.verified:
            return False
    return not any(".".join(parts[:i]) in m.unverified for i in range(1, len(parts) + 1))
