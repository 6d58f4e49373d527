"""The widget's look per municipality: /widget/theme/<key>.css, its values, and the vendored NL Design
System CSS it sits on."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.municipalities import Theme, contrast_ratio, load_all
from bot.gateway import theme
from bot.gateway.app import STATIC, Settings, build_app

REPO = Path(__file__).resolve().parent.parent
NLDS = STATIC / "vendor" / "nlds"
WHITE = "#ffffff"


@pytest.fixture
def fetch(sqlite_store):
    """One request to the gateway's own app (build_app, as `make run` serves it) on a fresh store:
    (status, headers, body)."""

    def request(path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
        async def run():
            app = build_app(Settings(secret="t"), with_telegram=False)
            async with TestClient(TestServer(app)) as client:
                response = await client.request(method, path)
                return response.status, dict(response.headers), await response.text()

        return asyncio.run(run())

    return request


# --- the endpoint -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["twenterand", "zwolle", "dordrecht"])
def test_each_municipality_gets_its_tokens_on_the_widget_root_only(key, fetch):
    status, headers, css = fetch(f"/widget/theme/{key}.css")
    assert status == 200
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    primary = load_all()[key].theme.primary_color
    assert f"  --utrecht-button-primary-action-background-color: {primary};\n" in css
    # Every rule is scoped to this municipality's widget: nothing restyles the host page.
    selectors = re.findall(r"^([^\s/}][^{]*)\{", css, flags=re.M)
    assert selectors and all(s.startswith(f'.sp-widget[data-gemeente="{key}"]') for s in selectors)
    assert css == theme.stylesheet(key, load_all()[key].theme)


def test_the_themes_differ(fetch):
    twenterand, zwolle = fetch("/widget/theme/twenterand.css")[2], fetch("/widget/theme/zwolle.css")[2]
    assert "#1d5d3b" in twenterand and "#1d5d3b" not in zwolle
    assert "#0b5394" in zwolle and "#0b5394" not in twenterand


@pytest.mark.parametrize(
    "path",
    ["/widget/theme/amsterdam.css", "/widget/theme/Zwolle.css", "/widget/theme/zwolle.js",
     "/widget/theme/zwolle.css.map", "/widget/theme/zwolle", "/widget/theme/", "/widget/theme/%2e%2e%2fwidget.css",
     "/widget/theme/sub/zwolle.css", "/widget/theme/zwolle%00.css"],
)
def test_an_unknown_municipality_or_file_is_404(path, fetch):
    status, _, body = fetch(path)
    assert status == 404
    assert "--utrecht" not in body


def test_the_static_widget_files_are_still_served(fetch):
    status, _, body = fetch("/widget/widget.js")
    assert status == 200 and "data-gemeente" in body
    assert fetch("/widget/vendor/nlds/utrecht-components.css")[0] == 200
    assert fetch("/widget/vendor/nlds/utrecht-tokens.css")[0] == 200


def test_head_works_and_post_does_not_reach_the_theme(fetch):
    assert fetch("/widget/theme/zwolle.css", "HEAD")[0] == 200
    assert fetch("/widget/theme/zwolle.css", "POST")[0] == 405


def test_a_municipality_without_a_theme_gets_the_default_look(monkeypatch, fetch):
    zwolle = load_all()["zwolle"]
    monkeypatch.setattr(theme, "load_all", lambda: {"zwolle": zwolle.copy(update={"theme": None})})
    status, _, css = fetch("/widget/theme/zwolle.css")
    assert status == 200
    assert "--utrecht-button-primary-action-background-color: #154273;" in css
    assert ".sp-logo" not in css


# --- the values -------------------------------------------------------------------------------------------

def css_pairs(t: Theme) -> list[tuple[str, str]]:
    """(text, background) pairs the widget shows with a theme's tokens (see widget.css)."""
    tokens = dict(theme.declarations(t))
    return [
        (tokens["--utrecht-page-header-color"], tokens["--utrecht-page-header-background-color"]),
        (tokens["--utrecht-button-primary-action-color"], tokens["--utrecht-button-primary-action-background-color"]),
        (tokens["--utrecht-button-primary-action-color"],
         tokens["--utrecht-button-primary-action-hover-background-color"]),
        (tokens["--utrecht-button-secondary-action-color"], WHITE),
        (tokens["--utrecht-button-secondary-action-hover-color"],
         tokens["--utrecht-button-secondary-action-hover-background-color"]),
        (tokens["--utrecht-link-color"], WHITE),
        (tokens["--utrecht-link-hover-color"], WHITE),
    ]


@pytest.mark.parametrize(
    "t",
    [
        *(m.theme for m in load_all().values()),
        theme.DEFAULT_THEME,
        Theme(primary_color="#767676"),  # the lightest grey that passes: derived colours must hold too
        Theme(primary_color="#767676", primary_text_color="#000000"),  # dark text: hover gets lighter
        Theme(primary_color="#0000ff", primary_text_color="#ffff00"),
    ],
)
def test_every_text_colour_the_theme_makes_reads_at_4_5_to_1(t):
    for text, background in css_pairs(t):
        assert contrast_ratio(text, background) >= 4.5, (t, text, background)


def test_hover_moves_away_from_the_text_colour():
    light_text = dict(theme.declarations(Theme(primary_color="#767676")))
    dark_text = dict(theme.declarations(Theme(primary_color="#767676", primary_text_color="#000000")))
    assert light_text["--utrecht-button-primary-action-hover-background-color"] < "#767676"  # darker
    assert dark_text["--utrecht-button-primary-action-hover-background-color"] > "#767676"  # lighter


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Gemeente Zwolle", '"Gemeente Zwolle"'),
        ("Súdwest-Fryslân", '"S\\0000fadwest-Frysl\\0000e2n"'),
        ('a"b', '"a\\000022b"'),
        ("a\\b", '"a\\00005cb"'),
        ("</style>", '"\\00003c\\00002fstyle\\00003e"'),
        ("x; } body {", '"x\\00003b \\00007d body \\00007b"'),
    ],
)
def test_css_string_escapes_everything_but_plain_text(text, expected):
    assert theme.css_string(text) == expected


def test_a_hostile_logo_text_stays_inside_its_string():
    hostile = Theme(primary_color="#1d5d3b", logo_text='"; } body { display: none } .x::before { content: "')
    css = theme.stylesheet("zwolle", hostile)
    assert css.count("{") == 2 and css.count("}") == 2  # the two rules of a theme, no more
    content = re.search(r"content: (.*);\n", css).group(1)
    assert re.fullmatch(r'"(?:[A-Za-z0-9 .,\-]|\\[0-9a-f]{6})*"', content)
    assert "display: none" not in css.replace(content, "")


# --- widget.css and the vendored NL Design System CSS -----------------------------------------------------

def test_widget_css_holds_the_default_theme():
    widget_css = (STATIC / "widget.css").read_text(encoding="utf-8")
    block = re.search(r"/\* theme:start.*?\*/\n(.*?)\n\s*/\* theme:end \*/", widget_css, flags=re.S).group(1)
    declared = re.findall(r"^\s*(--[a-z0-9-]+): (.+);$", block, flags=re.M)
    assert declared == theme.declarations(theme.DEFAULT_THEME)


def test_the_vendored_css_is_what_the_script_pins_and_cannot_restyle_a_host_page():
    script = (REPO / "scripts" / "vendor_nlds.sh").read_text(encoding="utf-8")
    pins = dict(re.findall(r'^([A-Z]+_(?:PKG|VERSION))="([^"]+)"$', script, flags=re.M))
    for prefix, name in (("COMPONENTS", "utrecht-components.css"), ("TOKENS", "utrecht-tokens.css")):
        pkg, version = pins[f"{prefix}_PKG"], pins[f"{prefix}_VERSION"]
        css = (NLDS / name).read_text(encoding="utf-8")
        assert css.startswith('@charset "UTF-8";\n')
        assert f"npm package {pkg}@{version} (EUPL-1.2)" in css.splitlines()[1]
        license_text = (NLDS / f"LICENSE.{pkg.rsplit('/', 1)[1]}").read_text(encoding="utf-8")
        assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in license_text
    components = (NLDS / "utrecht-components.css").read_text(encoding="utf-8")
    tokens = (NLDS / "utrecht-tokens.css").read_text(encoding="utf-8")
    # Top-level rules: only utrecht-* classes (or :where() of them); tokens only on .voorbeeld-theme.
    outer = [s.strip() for s in re.findall(r"^([^\s@/*}][^{]*)\{", components, flags=re.M)]
    assert outer and all(s.startswith((".utrecht-", ":where(.utrecht-")) for s in outer), \
        [s for s in outer if not s.startswith((".utrecht-", ":where(.utrecht-"))][:5]
    assert set(re.findall(r"^([^\s@/*}][^{]*)\{", tokens, flags=re.M)) == {".voorbeeld-theme "}
    assert "@import" not in components + tokens
