"""The held-out sets (tests/data/heldout/): messages written apart from the training data, by people who
saw only the answers, never the examples. Never trained on (tests/test_heldout.py checks that).

Each set is split in a development half (tuning: thresholds, epochs, features) and a test half (the
figures we report). Nothing may be tuned on the test half.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DIR = Path(__file__).resolve().parent / "data" / "heldout"
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Item:
    text: str
    label: str        # FAQ answer key, safety intent, or municipality name; "" where none applies
    group: str = ""   # FAQ topic or safety category


@cache
def _read(name: str) -> dict:
    return yaml.safe_load((DIR / f"{name}.yml").read_text(encoding="utf-8"))


def _check(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")


def faq(split: str) -> list[Item]:
    """(question, answer key 'faq/<topic>_<question>')."""
    _check(split)
    return [Item(text, answer, answer.split("/")[1].split("_")[0])
            for answer, halves in _read("faq").items() for text in halves[split]]


def safety(split: str) -> list[Item]:
    """(signal, safety intent, category such as 'stalking')."""
    _check(split)
    return [Item(text, block["intent"], category)
            for category, block in _read("safety").items() for text in block[split]]


def harmless(split: str) -> list[Item]:
    """Ordinary messages with alarming words: no safety answer wanted."""
    _check(split)
    return [Item(text, "") for text in _read("harmless")[split]]


def out_of_scope(split: str) -> list[Item]:
    _check(split)
    return [Item(text, "") for text in _read("out_of_scope")[split]]


def municipality(split: str) -> list[Item]:
    """(question naming a place, the official municipality name)."""
    _check(split)
    return [Item(row["text"], row["gemeente"]) for row in _read("municipality")[split]]


def all_texts() -> list[str]:
    return [item.text for split in SPLITS
            for items in (faq(split), safety(split), harmless(split), out_of_scope(split), municipality(split))
            for item in items]
