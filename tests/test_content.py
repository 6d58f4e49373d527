"""The FAQ content rules: counts, answer shape, sources, and only facts with a year."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests import content_rules

REPO = Path(__file__).resolve().parent.parent
FAQ_FILES = sorted((REPO / "data" / "nlu").glob("faq_*.yml"))
TOPICS = [t["key"] for t in yaml.safe_load((REPO / "data" / "topics.yml").read_text())["topics"]]
SOURCES = yaml.safe_load((REPO / "data" / "sources.yml").read_text(encoding="utf-8"))
# National numbers we may give (../shared/facts.md); any other phone-like number is invented.
ALLOWED_NUMBERS = {"0800-2000", "0800-0113", "0900-8020", "0800-8115", "0800-0543", "0800-0432", "0900-0101"}


def all_faq() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    examples, responses = {}, {}
    for path in FAQ_FILES:
        file_examples, file_responses = content_rules.load_faq_file(path)
        examples.update(file_examples)
        responses.update(file_responses)
    return examples, responses


EXAMPLES, RESPONSES = all_faq()


def test_every_topic_has_its_file_and_at_least_eight_answers():
    assert [p.stem.removeprefix("faq_") for p in FAQ_FILES] == sorted(TOPICS)
    for topic in TOPICS:
        answers = [name for name in RESPONSES if content_rules.faq_topic(name.removeprefix("utter_")) == topic]
        assert len(answers) >= 8, f"{topic}: {len(answers)} answers"


def test_at_least_110_answers_with_ten_examples_each():
    assert len(RESPONSES) >= 110
    thin = {intent: len(set(items)) for intent, items in EXAMPLES.items() if len(set(items)) < 10}
    assert not thin


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_faq_file_follows_the_answer_rules(path):
    assert content_rules.file_problems(path) == []


def test_no_example_belongs_to_two_intents():
    seen: dict[str, str] = {}
    clashes = []
    for intent, items in EXAMPLES.items():
        for item in items:
            key = item.lower().strip()
            if key in seen and seen[key] != intent:
                clashes.append((item, seen[key], intent))
            seen[key] = intent
    assert clashes == []


def test_examples_include_english_and_informal_writing():
    text = "\n".join(item.lower() for items in EXAMPLES.values() for item in items)
    for marker in (" ff ", "mn ", "kinder alimentatie", " the ", " my ", "how "):
        assert marker in f" {text} ", marker


def test_every_answer_has_a_source_and_every_source_an_answer():
    assert set(SOURCES) == set(RESPONSES)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_entry_has_urls_and_a_check_date(name):
    entry = SOURCES[name]
    assert entry["urls"], name
    for url in entry["urls"]:
        assert re.match(r"^(https?://[^\s]+\.[a-z]{2,}|repo:[\w./#-]+)", url), url
    checked = date.fromisoformat(str(entry["checked"]))
    assert date(2026, 1, 1) <= checked <= date.today()


def test_repo_sources_point_to_existing_documents():
    for entry in SOURCES.values():
        for url in entry["urls"]:
            if url.startswith("repo:"):
                path, _, anchor = url.removeprefix("repo:").partition("#")
                document = (REPO / path).read_text(encoding="utf-8")
                heading = anchor.replace("-", " ")
                assert any(
                    line.lstrip("#").strip().lower() == heading
                    for line in document.splitlines()
                    if line.startswith("#")
                ), url


def test_answers_only_use_known_national_phone_numbers():
    for name, texts in RESPONSES.items():
        for text in texts:
            for number in re.findall(r"\b0[89]00[- ]?\d{3,4}\b", text):
                assert number.replace(" ", "-") in ALLOWED_NUMBERS, (name, number)


def test_answer_text_is_plain():
    for name, texts in RESPONSES.items():
        for text in texts:
            assert not re.search(r"[<>*_#\[\]]", text), name


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Eén zin. Twee zinnen. Kijk op svb.nl.", None),
        ("Te kort. Kijk op svb.nl.", "sentences"),
        ("Je krijgt € 295 per kwartaal. Dat is veel. Kijk op svb.nl.", "amount without year"),
        ("In 2026 krijg je € 295 per kwartaal. Dat is veel. Kijk op svb.nl.", None),
        ("Dit is een antwoord. Het heeft drie zinnen. Maar geen volgende stap.", "next step"),
        ("Bel het Juridisch Loket op 0900-8020. Dat helpt. Het kan snel.", "paid number"),
        ("Bel het Juridisch Loket op 0900-8020 (betaald nummer). Dat helpt. Het kan snel.", None),
        (" ".join(["Dit is een lange zin met heel veel woorden erin die maar doorgaat"] * 5) + ". Kijk op svb.nl. Ja.", "mean sentence"),
    ],
)
def test_content_rules_catch_bad_answers(text, problem):
    found = content_rules.answer_problems(text)
    if problem is None:
        assert found == []
    else:
        assert any(problem in item for item in found), found
