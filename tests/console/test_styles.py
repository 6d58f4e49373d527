"""The console's stylesheet covers what the pages use, and the pages carry no inline styles."""

from __future__ import annotations

import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "bot" / "console"
CSS = (CONSOLE / "static" / "console.css").read_text(encoding="utf-8")
# Classes that only name a part (for a script, a test or the Utrecht components), with nothing to style.
HOOKS = {"console-nav", "console-nav__item", "console-user__name", "console-availability__state",
         "console-status", "console-alert--info"}
# What the templates fill in for `console-x--{{ ... }}`.
VARIANTS = {"console-line--": ("user", "bot", "expert", "system"), "console-status--": ("on", "off"),
            "console-alert--": ("error", "info")}


def used_classes() -> set[str]:
    found: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        for attribute in re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8")):
            found.update(re.findall(r"console-[a-z_-]+", re.sub(r"\{\{.*?\}\}", "", attribute)))
    for script in (CONSOLE / "static").glob("*.js"):
        for text in re.findall(r'"([^"]*console-[^"]*)"', script.read_text(encoding="utf-8")):
            found.update(re.findall(r"(?<![\w.-])console-[a-z_-]+", text))
    for prefix, names in VARIANTS.items():
        found.discard(prefix)
        found.update(prefix + name for name in names)
    return found


def styled_classes() -> set[str]:
    without_comments = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    return set(re.findall(r"\.(console-[a-z_-]+)", without_comments))


def test_every_console_class_the_pages_use_is_styled():
    used = used_classes()
    assert {"console-card", "console-transcript", "console-callback__masked", "console-chart"} <= used
    assert used - styled_classes() - HOOKS == set()
    assert HOOKS <= used, "a hook no page uses any more: remove it from HOOKS"


def test_hidden_wins_over_components_and_focus_is_visible():
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none\s*!important;?\s*\}", CSS)
    focus = re.search(r"\.console :focus-visible \{(.*?)\}", CSS, re.S)
    assert focus and "outline:" in focus.group(1) and "box-shadow:" in focus.group(1)
    assert "--utrecht-focus-outline-width: 3px" in CSS


def test_no_inline_styles_or_colours_in_the_templates():
    for template in (CONSOLE / "templates").glob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=", html), template.name
        assert not re.search(r'\s(fill|stroke)="#', html), template.name
