"""Messages without words, in another script or with markup get a fitting intent, not a guess."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from language.normalize import clean, for_matching
from language.rasa_components import FaqConfidenceGuard, InputGuard, input_intent


@pytest.mark.parametrize(
    "text, intent",
    [
        ("", "unreadable"),
        ("   \n\t ", "unreadable"),
        ("😀😀😀", "unreadable"),
        ("?!...", "unreadable"),
        ("<script>alert(1)</script>", "unreadable"),
        ("'; DROP TABLE events; --", "unreadable"),
        ("SELECT * FROM users", "unreadable"),
        ("👍", "affirm"),
        ("👎", "deny"),
        ("مرحبا كيف حالك", "other_language"),
        ("我要离婚", "other_language"),
        ("привет", "other_language"),
        ("hoe werkt kinderalimentatie", None),
        ("ik heb 2 kinderen", None),
        ("1800", None),
        ("<3 ik ben verdrietig", None),
    ],
)
def test_input_intent(text, intent):
    assert input_intent(text) == intent


def test_guard_sets_the_intent_on_the_message():
    message = Message(data={"text": "\u202e\u200b", "intent": {"name": "faq", "confidence": 0.6}})
    InputGuard({}).process([message])
    assert message.get("intent")["name"] == "unreadable"


def test_clean_removes_control_and_direction_characters():
    assert clean("hoi\u202e daar\x00\x07 \u200bjij") == "hoi daar jij"


def test_for_matching_writes_out_chat_forms_and_accents():
    assert for_matching("M'n ex zegt: k wil ff weten, suïcide") == "mijn ex zegt: ik wil even weten, suicide"


def faq_message(confidence: float) -> Message:
    return Message(data={
        "text": "iets over het huis",
        "intent": {"name": "faq", "confidence": 0.95},
        "intent_ranking": [{"name": "faq", "confidence": 0.95}, {"name": "greet", "confidence": 0.05}],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/wonen_koophuis",
                                                   "confidence": confidence}}},
    })


def test_unsure_faq_answer_becomes_a_fallback_that_evaluation_can_undo():
    from rasa.nlu.classifiers.fallback_classifier import undo_fallback_prediction

    message = faq_message(0.1)
    FaqConfidenceGuard({"retrieval_intent": "faq", "threshold": 0.2}).process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert undo_fallback_prediction(message.as_dict())["intent"]["name"] == "faq"


def test_confident_faq_answer_is_kept():
    message = faq_message(0.6)
    FaqConfidenceGuard({"retrieval_intent": "faq", "threshold": 0.2}).process([message])
    assert message.get("intent")["name"] == "faq"
