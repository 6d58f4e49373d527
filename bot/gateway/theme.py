"""A municipality's look for the web chat widget: GET /widget/theme/<key>.css.

The widget (static/widget.js) links this file after the NL Design System CSS. It turns the `theme:` block
of data/municipalities/<key>.yml into `--utrecht-*` design tokens on the widget's root only
(`.sp-widget[data-gemeente="<key>"]`), so the host page is never restyled. widget.css derives the other
states (focus, active, visited, ...) from these few tokens and holds the default look, which is
`DEFAULT_THEME` below. Every value comes from the validated `Theme` model (hex colours, plain font names);
the one free text, the logo text, is written as a CSS string with every other character escaped.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.domain.municipalities import KEY_IN_REQUEST, Theme, contrast_ratio, load_all, mix
from bot.gateway.texts import texts

PREFIX = "/widget/theme/"
_FILE = re.compile(rf"({KEY_IN_REQUEST})\.css")
_PLAIN = re.compile(r"[A-Za-z0-9 .,\-]")
BLACK, WHITE = "#000000", "#ffffff"

# The widget's look without a municipality theme; widget.css holds the same values (a test checks).
DEFAULT_THEME = Theme(primary_color="#154273")


def _away_from(colour: str, text: str, weight: float) -> str:
    """`colour` made darker (or lighter, for dark text) so `text` on it reads at least as well."""
    darker = mix(colour, BLACK, weight)
    lighter = mix(colour, WHITE, weight)
    return darker if contrast_ratio(darker, text) >= contrast_ratio(lighter, text) else lighter


def declarations(theme: Theme) -> list[tuple[str, str]]:
    """The design tokens of a theme, in a fixed order."""
    primary, text = theme.primary_color, theme.primary_text_color
    darker = mix(primary, BLACK, 0.25)  # hover of text in the primary colour: more contrast on white
    return [
        ("--utrecht-document-font-family", theme.font_family),
        ("--utrecht-focus-outline-color", theme.focus_color),
        ("--utrecht-page-header-background-color", primary),
        ("--utrecht-page-header-color", text),
        ("--utrecht-button-primary-action-background-color", primary),
        ("--utrecht-button-primary-action-color", text),
        ("--utrecht-button-primary-action-hover-background-color", _away_from(primary, text, 0.2)),
        ("--utrecht-button-secondary-action-color", primary),
        ("--utrecht-button-secondary-action-hover-background-color", mix(primary, WHITE, 0.9)),
        ("--utrecht-button-secondary-action-hover-color", darker),
        ("--utrecht-link-color", primary),
        ("--utrecht-link-hover-color", darker),
    ]


def css_string(text: str) -> str:
    """`text` as a double-quoted CSS string: letters, digits and a few marks as they are, the rest as
    6-digit escapes (no quote, backslash, newline or `<` can end the string or the style block)."""
    return '"' + "".join(ch if _PLAIN.fullmatch(ch) else f"\\{ord(ch):06x}" for ch in text) + '"'


def stylesheet(key: str, theme: Theme | None) -> str:
    """The CSS for one municipality (`key` is a validated municipality key)."""
    theme = theme or DEFAULT_THEME
    root = f'.sp-widget[data-gemeente="{key}"]'
    lines = [
        f"/* Scheidingspunt chat widget: the look for {key} (data/municipalities/{key}.yml). */",
        f"{root} {{",
        *(f"  {name}: {value};" for name, value in declarations(theme)),
        "}",
    ]
    if theme.logo_text:
        lines += [f"{root} .sp-logo::before {{", f"  content: {css_string(theme.logo_text)};", "}"]
    return "\n".join(lines) + "\n"


async def theme_css(request: web.Request) -> web.Response:
    match = _FILE.fullmatch(request.path[len(PREFIX):])
    municipality = load_all().get(match.group(1)) if match else None
    if municipality is None:
        raise web.HTTPNotFound(text=texts()["theme_not_found"])
    return web.Response(
        text=stylesheet(municipality.key, municipality.theme),
        content_type="text/css",
        charset="utf-8",
        # A theme changes only with a restart; a short cache keeps an edit from lingering for long.
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@web.middleware
async def _theme_before_static(request: web.Request, handler):
    # add_static("/widget/") is registered first and would answer 404 for these paths, because aiohttp
    # resolves routes in registration order; a middleware runs whatever the order.
    if request.path.startswith(PREFIX) and request.method in ("GET", "HEAD"):
        return await theme_css(request)
    return await handler(request)


def setup(app: web.Application) -> None:
    """Serve /widget/theme/<key>.css on the gateway app."""
    app.middlewares.append(_theme_before_static)
