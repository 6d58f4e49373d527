"""What the console says from Python (data/console_texts.yml); the pages are in templates/."""

from __future__ import annotations

from pathlib import Path

from bot.domain.datafile import TextFile

FILE = TextFile(Path(__file__).resolve().parents[2] / "data" / "console_texts.yml")


def text(key: str, **values: object) -> str:
    """The text at a dotted key ('live.too_long'), with its {names} filled in."""
    return FILE.text(key, **values)


def labels(key: str) -> dict:
    """The mapping at a dotted key ('figures.labels.handoffs'): what is stored -> what an expert reads."""
    return dict(FILE.get(key))
