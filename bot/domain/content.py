"""Read-only access to the content files the actions show: topics and their FAQ questions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.domain.texts import button

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    words: tuple[str, ...]
    questions: tuple[str, ...]  # the first example of each FAQ intent: its clearest wording


def _first_questions(faq_file: Path) -> dict[str, str]:
    """{intent: its first example} of one faq_<topic>.yml file, in file order."""
    data = yaml.safe_load(faq_file.read_text(encoding="utf-8"))
    questions = {}
    for block in data.get("nlu", []):
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                questions[block["intent"]] = line[2:].strip()
                break
    return questions


@cache
def topics(data_dir: Path = DATA_DIR) -> tuple[Topic, ...]:
    listing = yaml.safe_load((data_dir / "topics.yml").read_text(encoding="utf-8"))["topics"]
    return tuple(
        Topic(
            key=item["key"],
            label=item["label"],
            words=tuple(item["words"]),
            questions=tuple(_first_questions(data_dir / "nlu" / f"faq_{item['key']}.yml").values()),
        )
        for item in listing
    )


@cache
def questions_by_intent(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """'faq/wonen_koophuis' -> its clearest wording, for suggestion buttons."""
    questions = {}
    for faq_file in sorted((data_dir / "nlu").glob("faq_*.yml")):
        questions.update(_first_questions(faq_file))
    return questions


def topic(key: str | None) -> Topic | None:
    return next((t for t in topics() if key and t.key == key.strip().lower()), None)


def topic_in_text(text: str | None) -> Topic | None:
    """The topic a person named ("vragen over geld" -> schulden); the longest match wins."""
    lowered = (text or "").lower()
    matches = [
        (len(word), item)
        for item in topics()
        for word in item.words
        if re.search(rf"\b{re.escape(word)}\b", lowered)
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def topic_buttons() -> list[dict]:
    """One button per topic; the payload triggers the choose_topic intent directly."""
    return [
        {"title": t.label, "payload": f'/choose_topic{{"topic":"{t.key}"}}'} for t in topics()
    ]


# What the assistant can do beyond answering, offered with the topics in the help menu.
SERVICE_BUTTONS = tuple(button(key) for key in ("start_screening", "check_schemes", "request_human",
                                                "request_callback"))


def question_buttons(questions: Sequence[str]) -> list[dict]:
    """Questions as buttons; the payload is the question text, read by the NLU."""
    return [{"title": q, "payload": q} for q in questions]
