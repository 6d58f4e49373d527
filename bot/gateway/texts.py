"""What the gateway itself says (data/gateway_texts.yml): the router, the web chat and Telegram.

Everything else a parent reads comes from Rasa (domain.yml, data/).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).resolve().parents[2] / "data" / "gateway_texts.yml"


@cache
def texts() -> dict:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def button(key: str) -> dict[str, str]:
    """A button of the file's `buttons:` list (title and payload), as a new dict."""
    found = texts()["buttons"][key]
    return {"title": str(found["title"]), "payload": str(found["payload"])}
