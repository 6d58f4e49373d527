"""The municipality files load, validate with messages that name file and field, and are found by name."""

from __future__ import annotations

import copy
import re
from datetime import time
from pathlib import Path

import pytest
import yaml

from bot.domain import municipalities
from bot.domain.municipalities import (
    DATA_DIR,
    MunicipalityDataError,
    Window,
    contrast_ratio,
    default_municipality,
    find,
    is_verified,
    load_all,
    mix,
)


def raw(key: str) -> dict:
    return yaml.safe_load((DATA_DIR / f"{key}.yml").read_text(encoding="utf-8"))


def write(directory: Path, data: dict, stem: str | None = None) -> Path:
    path = directory / f"{stem or data['key']}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_error(directory: Path) -> str:
    with pytest.raises(MunicipalityDataError) as caught:
        load_all(directory)
    return str(caught.value)


@pytest.fixture
def good(tmp_path) -> Path:
    """A directory with two valid files (Twenterand the default); tests break one of them."""
    write(tmp_path, raw("twenterand"))
    write(tmp_path, raw("zwolle"))
    return tmp_path


# --- the real files ---------------------------------------------------------------------------------

def test_real_files_load_with_exactly_one_default():
    found = load_all()
    assert set(found) == {"twenterand", "zwolle", "dordrecht"}
    assert [m.key for m in found.values() if m.default] == ["twenterand"]
    assert default_municipality().key == "twenterand"


def test_every_scheme_has_url_year_and_source():
    for municipality in load_all().values():
        assert municipality.schemes, municipality.key
        for scheme in municipality.schemes:
            assert scheme.url.startswith("https://"), (municipality.key, scheme.key)
            assert scheme.source.startswith(("https://", "http://")), (municipality.key, scheme.key)
            assert 2020 <= scheme.year <= 2026, (municipality.key, scheme.key)
            if "€" in scheme.gives:
                assert str(scheme.year) in scheme.gives, (municipality.key, scheme.key)
            assert scheme.source in municipality.sources, (municipality.key, scheme.key)


def test_old_or_unknown_facts_are_not_marked_verified():
    # facts.md marks all local amounts CHECK 2026: nothing older than 2026 may claim to be verified,
    # and a scheme without a known income limit is a general one whose local rules we do not know.
    for municipality in load_all().values():
        for scheme in municipality.schemes:
            if scheme.year < 2026 or scheme.income_limit_pct is None:
                assert not scheme.verified, (municipality.key, scheme.key)


def test_income_limits_are_the_ones_in_facts_md():
    limits = {(m.key, s.key): s.income_limit_pct for m in load_all().values() for s in m.schemes}
    assert limits[("twenterand", "meedoenregeling")] == 110
    assert limits[("zwolle", "kindregeling")] == 130
    assert limits[("zwolle", "jeugdfonds_sport_zwolle")] == 130
    assert limits[("dordrecht", "bijzondere_bijstand")] == 110
    assert limits[("twenterand", "bijzondere_bijstand")] is None
    assert load_all()["zwolle"].scheme("kindregeling").asset_limit is True


def test_team_hours_by_weekday_number_and_callbacks_on_weekdays_in_short_windows():
    for municipality in load_all().values():
        team = municipality.team
        assert {e.role for e in team.experts} == {"scheidingsdeskundige", "financieel_preventiemedewerker"}
        assert team.callback_capacity >= 1
        assert team.unverified is True
        assert set(team.callback_hours) <= {0, 1, 2, 3, 4}, municipality.key
        for windows in team.callback_hours.values():
            for window in windows:
                hours = (window.end.hour * 60 + window.end.minute - window.start.hour * 60
                         - window.start.minute) / 60
                assert 1 <= hours <= 4, (municipality.key, window)
    monday = load_all()["twenterand"].team.callback_hours[0]
    assert monday == [Window(time(9), time(12)), Window(time(13), time(16))]
    assert 5 not in load_all()["twenterand"].team.live_chat_hours  # Saturday: closed


@pytest.mark.parametrize(
    "typed, key",
    [
        ("Twenterand", "twenterand"), ("twenterand", "twenterand"), ("VRIEZENVEEN", "twenterand"),
        ("Vroomshoop", "twenterand"), ("den ham", "twenterand"), ("Den  Ham", "twenterand"),
        ("Westerhaar-Vriezenveensewijk", "twenterand"), ("westerhaar vriezenveensewijk", "twenterand"),
        ("gemeente Zwolle", "zwolle"), ("zwolle", "zwolle"), ("Dordt", "dordrecht"), ("DORDRECHT", "dordrecht"),
    ],
)
def test_find_by_name_or_alias_ignores_case(typed, key):
    assert find(typed).key == key


@pytest.mark.parametrize("typed", ["'s-Gravenhage", "Den Haag", "Almelo", "Zwijndrecht", "Hardenberg", "", None])
def test_find_returns_none_for_municipalities_without_a_file(typed):
    assert find(typed) is None


def test_unknown_municipality_falls_back_to_the_default():
    assert (find("Almelo") or default_municipality()).key == "twenterand"


def test_is_verified_follows_the_unverified_list_the_team_flag_and_the_schemes():
    dordrecht = load_all()["dordrecht"]
    assert is_verified(dordrecht, "website")
    assert is_verified(dordrecht, "veilig_thuis_region.url")
    assert not is_verified(dordrecht, "veilig_thuis_region.name")
    assert not is_verified(dordrecht, "phone")
    assert not is_verified(dordrecht, "debt_help.url")  # its parent is listed
    assert not is_verified(dordrecht, "team.callback_hours")  # team.unverified: true
    assert not is_verified(dordrecht, "schemes.kindtegoed")  # verified: false in the scheme


# --- validation: messages name the file and the field -----------------------------------------------

def test_bad_window_names_file_and_field(good):
    data = raw("zwolle")
    data["team"]["callback_hours"]["dinsdag"] = ["9-12"]
    path = write(good, data)
    assert load_error(good) == f"{path}: team.callback_hours.dinsdag: '9-12' is not HH:MM-HH:MM"


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["team"]["live_chat_hours"].update(dinsdagg=["09:00-12:00"]),
         r"zwolle\.yml: team\.live_chat_hours: 'dinsdagg' is not a Dutch weekday name"),
        (lambda d: d["team"]["callback_hours"].update(Zaterdag=["09:00-12:00"]),
         r"zwolle\.yml: team\.callback_hours: 'Zaterdag' is not a Dutch weekday name"),
        (lambda d: d["team"]["callback_hours"].update(maandag=["09:00-12:00", "11:00-13:00"]),
         r"zwolle\.yml: team\.callback_hours\.maandag: windows 09:00-12:00 and 11:00-13:00 overlap"),
        (lambda d: d["team"]["callback_hours"].update(maandag=["12:00-09:00"]),
         r"zwolle\.yml: team\.callback_hours\.maandag: '12:00-09:00' ends before it starts"),
        (lambda d: d["team"].update(callback_capacity=0),
         r"zwolle\.yml: team\.callback_capacity: ensure this value is greater than or equal to 1"),
        (lambda d: d["team"]["experts"].append({"role": "jurist", "title": "Jurist"}),
         r"zwolle\.yml: team\.experts\.2\.role: unexpected value"),
        (lambda d: d.pop("website"), r"zwolle\.yml: website: field required"),
        (lambda d: d.update(webiste="https://www.zwolle.nl"), r"zwolle\.yml: webiste: extra fields not permitted"),
        (lambda d: d.update(phone="12345"), r"zwolle\.yml: phone: '12345' is not a Dutch phone number"),
        (lambda d: d.update(aliases=["Almelo"]),
         r"zwolle\.yml: aliases\.0: 'Almelo' is the municipality Almelo, not a place in this one"),
        (lambda d: d["schemes"][0].update(income_limit_pct="veel"),
         r"zwolle\.yml: schemes\.kindregeling\.income_limit_pct: value is not a valid integer"),
        (lambda d: d["schemes"][0].pop("income_limit_pct"),
         r"zwolle\.yml: schemes\.kindregeling\.income_limit_pct: field required"),
        (lambda d: d["schemes"][0].update({"for": "kinderen"}),
         r"zwolle\.yml: schemes\.kindregeling\.for: unexpected value; permitted: 'adults', 'children', 'household'"),
        (lambda d: d["schemes"][0].update(gives="€ 628 per jaar"),
         r"zwolle\.yml: schemes\.kindregeling\.gives: an amount needs its year"),
        (lambda d: d["schemes"][0].update(min_age=12, max_age=4),
         r"zwolle\.yml: schemes\.kindregeling\.max_age: max_age 4 is below min_age 12"),
        (lambda d: d["schemes"][0].pop("url"), r"zwolle\.yml: schemes\.kindregeling\.url: field required"),
        (lambda d: d["schemes"][0].pop("year"), r"zwolle\.yml: schemes\.kindregeling\.year: field required"),
        (lambda d: d["schemes"].append(copy.deepcopy(d["schemes"][0])),
         r"zwolle\.yml: schemes: scheme keys must be unique: kindregeling"),
        (lambda d: d["unverified"].append("team.kleur"),
         r"zwolle\.yml: unverified: 'team\.kleur' is not a field of this file"),
    ],
)
def test_invalid_fields_name_file_and_field(good, change, expected):
    data = raw("zwolle")
    change(data)
    write(good, data)
    assert re.search(expected, load_error(good))


def test_key_must_match_the_file_name(good):
    data = raw("zwolle")
    data["key"] = "zwol"
    write(good, data, stem="zwolle")
    assert "zwolle.yml: key: 'zwol' must equal the file name 'zwolle'" in load_error(good)


def test_broken_yaml_names_the_file(good):
    (good / "zwolle.yml").write_text("key: zwolle\nname: [Zwolle\n", encoding="utf-8")
    assert re.search(r"zwolle\.yml: cannot read the file", load_error(good))


def test_all_broken_files_are_reported_at_once(good):
    for key in ("twenterand", "zwolle"):
        data = raw(key)
        data.pop("website")
        write(good, data)
    message = load_error(good)
    assert "twenterand.yml: website: field required" in message
    assert "zwolle.yml: website: field required" in message


@pytest.mark.parametrize("defaults", [(), ("twenterand", "zwolle")])
def test_exactly_one_default_over_all_files(tmp_path, defaults):
    for key in ("twenterand", "zwolle"):
        data = raw(key)
        data["default"] = key in defaults
        write(tmp_path, data)
    message = load_error(tmp_path)
    assert "default: exactly one file must say 'default: true'" in message
    assert f"(now: {', '.join(defaults) or 'none'})" in message


def test_an_alias_belongs_to_one_file_only(good):
    # A place no municipality file names yet (the real ones are known spellings of their municipality).
    twenterand, zwolle = raw("twenterand"), raw("zwolle")
    twenterand["aliases"] = [*twenterand["aliases"], "Nergenshuizen"]
    zwolle["aliases"] = ["Nergenshuizen"]
    write(good, twenterand)
    write(good, zwolle)
    assert "zwolle.yml: aliases: 'nergenshuizen' is also used by twenterand.yml" in load_error(good)


def test_empty_directory_is_an_error(tmp_path):
    assert "no municipality files" in load_error(tmp_path)


def test_a_valid_copy_loads_and_is_cached_per_directory(good):
    first = load_all(good)
    assert set(first) == {"twenterand", "zwolle"}
    assert load_all(good) is first
    assert municipalities.load_all() is not first


# --- the widget theme: CSS-safe values and readable colours (WCAG AA) -----------------------------------

def test_every_real_municipality_has_its_own_readable_theme():
    themes = {key: m.theme for key, m in load_all().items()}
    assert all(themes.values())
    assert len({theme.primary_color for theme in themes.values()}) == 3
    for key, theme in themes.items():
        assert contrast_ratio(theme.primary_text_color, theme.primary_color) >= 4.5, key
        assert contrast_ratio(theme.primary_color, "#ffffff") >= 4.5, key
        assert theme.logo_text == f"Gemeente {load_all()[key].name}"


@pytest.mark.parametrize(
    "first, second, expected",
    [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#767676", "#ffffff", 4.54),
     ("#777777", "#ffffff", 4.48), ("#ffffff", "#767676", 4.54), ("#fff", "#000", 21.0)],
)
def test_contrast_ratio_is_the_wcag_one(first, second, expected):
    assert round(contrast_ratio(first, second), 2) == expected


def test_mix_moves_a_colour_towards_another():
    assert mix("#1d5d3b", "#ffffff", 0) == "#1d5d3b"
    assert mix("#1d5d3b", "#ffffff", 1) == "#ffffff"
    assert mix("#000000", "#ffffff", 0.5) == "#808080"


def theme_error(good, **theme) -> str:
    data = raw("zwolle")
    data["theme"] = theme
    write(good, data)
    return load_error(good)


@pytest.mark.parametrize(
    "theme, expected",
    [
        # #777777 is just under 4.5:1 with white; the message rounds down, never up to "4.50".
        ({"primary_color": "#777777"},
         r"zwolle\.yml: theme: primary_text_color: #ffffff on #777777 has contrast 4\.47:1; text on the "
         r"primary colour needs at least 4\.5:1 \(WCAG AA\)"),
        ({"primary_color": "#1d5d3b", "primary_text_color": "#2b6b49"},
         r"zwolle\.yml: theme: primary_text_color: #2b6b49 on #1d5d3b has contrast 1\.\d\d:1"),
        # Yellow with black text reads well, but as link colour on the white panel it does not.
        ({"primary_color": "#ffdd00", "primary_text_color": "#000000"},
         r"zwolle\.yml: theme: primary_color: #ffdd00 on #ffffff has contrast 1\.\d\d:1; links and secondary "
         r"buttons on the white panel needs at least 4\.5:1"),
        ({"primary_color": "#1d5d3b", "focus_color": "#ffdd00"},
         r"zwolle\.yml: theme: focus_color: #ffdd00 on #ffffff has contrast 1\.\d\d:1; the focus ring on the "
         r"white panel needs at least 3\.0:1"),
        ({"primary_color": "#1d5d3b", "focus_color": "#959595"},
         r"zwolle\.yml: theme: focus_color: #959595 on #ffffff has contrast 2\.99:1"),
        ({"primary_color": "green"}, r"zwolle\.yml: theme\.primary_color: 'green' is not a colour like '#1d5d3b'"),
        ({"primary_color": "#12345"}, r"zwolle\.yml: theme\.primary_color: '#12345' is not a colour"),
        ({"primary_color": "#1d5d3b0"}, r"zwolle\.yml: theme\.primary_color: '#1d5d3b0' is not a colour"),
        ({"primary_color": "#1d5d3b\n"}, r"zwolle\.yml: theme\.primary_color: '#1d5d3b\\n' is not a colour"),
        ({"primary_color": "#1d5d3b; } body { display: none"}, r"zwolle\.yml: theme\.primary_color: .* is not a colour"),
        ({}, r"zwolle\.yml: theme\.primary_color: field required"),
        ({"primary_color": "#1d5d3b", "colour": "#000000"}, r"zwolle\.yml: theme\.colour: extra fields not permitted"),
        ({"primary_color": "#1d5d3b", "font_family": "Arial; } body { display: none } x {"},
         r"zwolle\.yml: theme\.font_family: .* is not a list of font names"),
        ({"primary_color": "#1d5d3b", "font_family": "Arial</style><script>"},
         r"zwolle\.yml: theme\.font_family: .* is not a list of font names"),
        ({"primary_color": "#1d5d3b", "font_family": 'Arial, "Open Sans'},
         r"zwolle\.yml: theme\.font_family: .* is not a list of font names"),
        ({"primary_color": "#1d5d3b", "font_family": "url(https://evil.example/x)"},
         r"zwolle\.yml: theme\.font_family: .* is not a list of font names"),
        ({"primary_color": "#1d5d3b", "logo_text": "Gemeente\nZwolle"},
         r"zwolle\.yml: theme\.logo_text: logo_text must be one line of plain text"),
        ({"primary_color": "#1d5d3b", "logo_text": "x" * 61},
         r"zwolle\.yml: theme\.logo_text: ensure this value has at most 60 characters"),
    ],
)
def test_a_bad_theme_names_file_field_and_problem(good, theme, expected):
    assert re.search(expected, theme_error(good, **theme))


@pytest.mark.parametrize(
    "theme, stored",
    [
        ({"primary_color": "#767676"}, {"primary_color": "#767676"}),  # 4.54:1, just enough
        ({"primary_color": "#036", "primary_text_color": "#FFF", "focus_color": "#949494"},  # focus 3.03:1
         {"primary_color": "#003366", "primary_text_color": "#ffffff", "focus_color": "#949494"}),
        ({"primary_color": "#1D5D3B", "font_family": "-apple-system, 'Open Sans', \"Fira Sans\", sans-serif",
          "logo_text": "  Gemeente Súdwest-Fryslân  "},
         {"primary_color": "#1d5d3b", "font_family": "-apple-system, 'Open Sans', \"Fira Sans\", sans-serif",
          "logo_text": "Gemeente Súdwest-Fryslân"}),
    ],
)
def test_a_good_theme_loads_in_one_spelling(good, theme, stored):
    data = raw("zwolle")
    data["theme"] = theme
    write(good, data)
    loaded = load_all(good)["zwolle"].theme
    for field, value in stored.items():
        assert getattr(loaded, field) == value


def test_the_theme_is_optional(good):
    data = raw("zwolle")
    data.pop("theme")
    write(good, data)
    assert load_all(good)["zwolle"].theme is None
