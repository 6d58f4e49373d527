"""What the actions say in parts (data/action_texts.yml), and the buttons they choose in code.

Whole messages are responses in domain.yml, sent with `utter_message(response="utter_...")`. The
texts here depend on the answers or the data files (the schemes result, opening hours, a hand-over
without a free expert), so an action puts them together.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain.datafile import TextFile

FILE = TextFile(Path(__file__).resolve().parents[2] / "data" / "action_texts.yml")


def text(key: str, **values: object) -> str:
    """The text at a dotted key ('hours.window'), with its {names} filled in."""
    return FILE.text(key, **values)


def button(key: str) -> dict[str, str]:
    """A button (title and payload) from the file's `buttons:` list, as a new dict."""
    found = FILE.get(f"buttons.{key}")
    return {"title": str(found["title"]), "payload": str(found["payload"])}
