"""Checkable rules for FAQ answers (B1 Dutch, short, a next step, dated amounts), and the two that
apply to every other text a parent or an expert reads (`text_problems`).

Pure functions so that the tests and content writers (``python -m tests.content_rules FILE``)
use the same checks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

MIN_SENTENCES = 3
MAX_SENTENCES = 6
MAX_WORDS = 110
MAX_MEAN_SENTENCE_WORDS = 15
MIN_EXAMPLES = 10
MAX_SENTENCE_WORDS = 25  # any text outside the FAQ answers: responses, gateway, console, action parts

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_LINK = re.compile(r"\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(nl|org|com|eu)\b", re.IGNORECASE)
_PHONE = re.compile(r"\b0[89]00-?\d{3,4}\b|\b11[23]\b")
_EXPERT = re.compile(r"\bdeskundige|\bmedewerker", re.IGNORECASE)
_AMOUNT = re.compile(r"€|%|\bprocent\b", re.IGNORECASE)
_YEAR = re.compile(r"\b20\d\d\b")
# 0900 numbers cost money per minute: a parent must see that in the same sentence.
_PAID_NUMBER = re.compile(r"\b0900-?\d{3,4}\b")
_PAID_SAID = re.compile(r"\bbetaald", re.IGNORECASE)
_FAQ_INTENT = re.compile(r"^faq/([a-z]+)_[a-z0-9_]+$")
# In a text with {placeholders} (a response, a text file) an amount in euro is filled in as {..amount..},
# and its year as {year} or {period..} (a facts file's period_label, which names the year).
_EURO = re.compile(r"€|\{\w*amount\w*\}")
_YEAR_GIVEN = re.compile(r"\b20\d\d\b|\{(year|period)\w*\}")


def sentences(text: str) -> list[str]:
    """Split an answer into sentences (answers avoid abbreviations with dots)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def words(text: str) -> list[str]:
    return text.split()


def answer_problems(text: str) -> list[str]:
    """Return what is wrong with one answer text; empty when it follows the rules."""
    problems = []
    parts = sentences(text)
    if not MIN_SENTENCES <= len(parts) <= MAX_SENTENCES:
        problems.append(f"{len(parts)} sentences (want {MIN_SENTENCES}-{MAX_SENTENCES})")
    n_words = len(words(text))
    if n_words > MAX_WORDS:
        problems.append(f"{n_words} words (max {MAX_WORDS})")
    if parts and n_words / len(parts) > MAX_MEAN_SENTENCE_WORDS:
        problems.append(
            f"mean sentence length {n_words / len(parts):.1f} words (max {MAX_MEAN_SENTENCE_WORDS})"
        )
    if not (_LINK.search(text) or _PHONE.search(text) or _EXPERT.search(text)):
        problems.append("no next step (link, phone number or offer of a deskundige)")
    for sentence in parts:
        if _AMOUNT.search(sentence) and not _YEAR.search(sentence):
            problems.append(f"amount without year: {sentence!r}")
        if _PAID_NUMBER.search(sentence) and not _PAID_SAID.search(sentence):
            problems.append(f"paid number without '(betaald nummer)': {sentence!r}")
    return problems


def text_problems(text: str) -> list[str]:
    """What is wrong with a text outside the FAQ answers: a sentence over MAX_SENTENCE_WORDS words, or
    an amount in euro without its year in the same sentence. Empty when it follows the rules."""
    problems = []
    for sentence in sentences(text):
        if len(words(sentence)) > MAX_SENTENCE_WORDS:
            problems.append(f"{len(words(sentence))} words in one sentence (max {MAX_SENTENCE_WORDS}): "
                            f"{sentence!r}")
        if _EURO.search(sentence) and not _YEAR_GIVEN.search(sentence):
            problems.append(f"amount without year: {sentence!r}")
    return problems


def faq_topic(intent: str) -> str | None:
    """'faq/kinderalimentatie_berekening' -> 'kinderalimentatie'."""
    match = _FAQ_INTENT.match(intent)
    return match.group(1) if match else None


def load_faq_file(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return ({intent: examples}, {response name: texts}) of one faq_<topic>.yml file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = {}
    for block in data.get("nlu", []):
        lines = [line.strip() for line in block["examples"].splitlines() if line.strip()]
        examples[block["intent"]] = [line[2:].strip() for line in lines if line.startswith("- ")]
    responses = {
        name: [variant["text"] for variant in variants]
        for name, variants in (data.get("responses") or {}).items()
    }
    return examples, responses


def file_problems(path: Path) -> list[str]:
    """All rule violations in one FAQ file, each prefixed with the intent or response."""
    problems = []
    examples, responses = load_faq_file(path)
    topic = path.stem.removeprefix("faq_")
    for intent, items in examples.items():
        if faq_topic(intent) != topic:
            problems.append(f"{intent}: name must be faq/{topic}_<question>")
        if len(set(items)) < MIN_EXAMPLES:
            problems.append(f"{intent}: {len(set(items))} distinct examples (min {MIN_EXAMPLES})")
        if f"utter_{intent}" not in responses:
            problems.append(f"{intent}: no response utter_{intent}")
    for name, texts in responses.items():
        if name.removeprefix("utter_") not in examples:
            problems.append(f"{name}: response without examples")
        for text in texts:
            problems.extend(f"{name}: {problem}" for problem in answer_problems(text))
    return problems


if __name__ == "__main__":
    failed = False
    for arg in sys.argv[1:]:
        found = file_problems(Path(arg))
        for problem in found:
            print(f"{arg}: {problem}")
        failed = failed or bool(found)
        if not found:
            print(f"{arg}: ok")
    sys.exit(1 if failed else 0)


NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"


def training_examples(nlu_dir: Path = NLU_DIR) -> set[str]:
    """Every NLU example (lower case) in the training data, to keep held-out test phrases unseen."""
    return {
        line.strip()[2:].strip().lower()
        for path in nlu_dir.glob("*.yml")
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", [])
        if "examples" in block
        for line in block["examples"].splitlines()
    }
