"""The rule-based safety guard routes every listed signal and leaves ordinary worries alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from language import safety
from language.rasa_components import SafetyGuard

PHRASES = yaml.safe_load((Path(__file__).parent / "data" / "safety_phrases.yml").read_text())
SIGNALS = [(text, "safety_" + kind) for kind, items in PHRASES["signals"].items() for text in items]
NEUTRAL = PHRASES["neutral"]
REPO = Path(__file__).resolve().parent.parent


def test_lists_are_large_enough():
    assert len(SIGNALS) >= 60
    assert len(NEUTRAL) >= 60
    for word in ("bang", "ruzie", "dood op"):
        assert any(word in text for text in NEUTRAL), word


@pytest.mark.parametrize("text, intent", SIGNALS)
def test_signal_is_detected(text, intent):
    assert safety.load().detect(text) == intent


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_message_raises_no_alarm(text):
    assert safety.load().detect(text) is None


def test_no_training_example_of_another_intent_raises_an_alarm():
    patterns = safety.load()
    for path in (REPO / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block or block["intent"].startswith("safety_"):
                continue
            for line in block["examples"].splitlines():
                example = line.strip()[2:]
                assert patterns.detect(example) is None, (block["intent"], example)


def test_guard_overrides_the_classifier_and_keeps_its_ranking():
    guard = SafetyGuard({**SafetyGuard.get_default_config(), "patterns": "data/safety/patterns.yml"})
    message = Message(data={
        "text": "hoeveel kinderbijslag krijg ik, hij slaat me",
        "intent": {"name": "faq", "confidence": 0.97},
        "intent_ranking": [{"name": "faq", "confidence": 0.97}],
    })
    guard.process([message])
    assert message.get("intent") == {"name": "safety_violence", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["safety_violence", "faq"]


def test_guard_leaves_ordinary_messages_alone():
    guard = SafetyGuard({**SafetyGuard.get_default_config(), "patterns": "data/safety/patterns.yml"})
    message = Message(data={"text": "we hebben ruzie over de alimentatie", "intent": {"name": "faq", "confidence": 0.9}})
    guard.process([message])
    assert message.get("intent")["name"] == "faq"


def test_suicide_wins_when_both_signals_are_present():
    assert safety.load().detect("hij slaat me en ik wil niet meer leven") == "safety_suicide"


def test_unconfirmed_classifier_alarm_below_threshold_gets_the_worry_answer():
    guard = SafetyGuard({"patterns": "data/safety/patterns.yml", "classifier_threshold": 0.9,
                         "soft_intent": "share_worry"})
    unsure = Message(data={"text": "ik ben bang voor de toekomst", "intent": {"name": "safety_violence", "confidence": 0.7}})
    sure = Message(data={"text": "hij doet me iets", "intent": {"name": "safety_violence", "confidence": 0.95}})
    guard.process([unsure, sure])
    assert unsure.get("intent")["name"] == "share_worry"
    assert sure.get("intent")["name"] == "safety_violence"


def test_a_slammed_door_is_no_alarm_even_when_the_classifier_is_sure():
    guard = SafetyGuard({"patterns": "data/safety/patterns.yml", "classifier_threshold": 0.9,
                         "soft_intent": "share_worry"})
    door = Message(data={"text": "hij heeft de deur dichtgeslagen en is weggegaan",
                         "intent": {"name": "safety_violence", "confidence": 0.97}})
    door_and_hit = Message(data={"text": "hij sloeg de deur dicht en daarna sloeg hij mij",
                                 "intent": {"name": "faq", "confidence": 0.9}})
    guard.process([door, door_and_hit])
    assert door.get("intent")["name"] == "share_worry"
    assert door_and_hit.get("intent")["name"] == "safety_violence"


@pytest.mark.parametrize("text", ["ze sloeg de deur hard achter zich dicht", "dat slaat nergens op",
                                  "mijn zoon slaat met deuren", "de voordeur werd dichtgeslagen"])
def test_benign_phrases(text):
    assert safety.load().is_benign(text)


@pytest.mark.parametrize(("text", "intent"), SIGNALS)
def test_no_signal_is_taken_for_a_benign_phrase(text, intent):
    patterns = safety.load()
    assert patterns.detect(text) is not None or not patterns.is_benign(text)
