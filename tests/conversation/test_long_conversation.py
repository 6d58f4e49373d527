"""Loading a long session windowed (privacy/tracker_window.py) changes nothing the parent sees.

Two assistants from the same model: one loads only the last 2 messages of the parent (far smaller than
the default 8, so the window cuts through every flow below), one loads the whole session as Rasa
does. The same long conversation — a safety message early, questions, the whole screening with a
question in between, the schemes check, a hand-over request that must still know about the early safety
message — gets the same answers, turn by turn, from both."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient

REPO = Path(__file__).resolve().parents[2]

SCREENING = yaml.safe_load((REPO / "data" / "screening.yml").read_text(encoding="utf-8"))
SCRIPT = [
    "hoi",
    "mijn ex heeft me gisteren geslagen",
    "hoe wordt kinderalimentatie berekend",
    "wie blijft er in het huurhuis",
    "is dit anoniem",
    "kan ik een korte test doen",
    *["nee"] * 3,
    "tot welke leeftijd moet je kinderalimentatie betalen?",
    *["nee"] * (len(SCREENING["questions"]) - 3),
    "welke regelingen passen bij mij?",
    "Zwolle",
    "ja",
    "2 kinderen van 4 en 7",
    "€1400,-",
    "huur",
    "nee",
    "hoe vertel ik het de kinderen",
    "wat kost een mediator",
    "ik wil met iemand praten",
]


def comparable(messages: list[dict]) -> list[dict]:
    """A reply without what differs per conversation by design (a hand-over's or callback's id)."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in ("id", "reference")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return [clean(m) for m in messages]


@pytest.fixture(scope="module")
def two_assistants(trained_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("window")
    windowed = RasaProcesses(trained_model, work / "windowed", extra_env={"TRACKER_WINDOW_TURNS": "2"})
    whole = RasaProcesses(trained_model, work / "whole", extra_env={"TRACKER_WINDOW_TURNS": "0"})
    windowed.start()
    whole.start()
    try:
        windowed.wait_ready()
        whole.wait_ready()
        yield RasaClient(windowed.url), RasaClient(whole.url)
    finally:
        windowed.stop()
        whole.stop()


def test_a_long_conversation_gets_the_same_answers_with_a_small_window(two_assistants):
    windowed, whole = two_assistants
    answers = []
    for turn, text in enumerate(SCRIPT):
        small, full = windowed.send("long-talk", text), whole.send("long-talk", text)
        assert comparable(small) == comparable(full), (turn, text, small, full)
        answers.append(" ".join(m.get("text") or "" for m in full))
    # The script went where it was meant to: the screening's and the schemes check's results came.
    said = "\n".join(answers)
    assert said.count("Op basis van je antwoorden") == 2, said
    assert "0800-2000" in answers[1]
