"""A training example sent word for word (as a question button sends it) gets its own intent and answer."""

from __future__ import annotations

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.rasa_components import ExactExampleMatch, exact_key


def example(text: str, key: str | None) -> Message:
    data = {"text": text, "intent": "faq" if key else "greet"}
    if key:
        data["intent_response_key"] = key
    return Message(data=data)


def trained(tmp_path) -> tuple[ExactExampleMatch, LocalModelStorage, Resource]:
    storage, resource = LocalModelStorage(tmp_path), Resource("exact_examples")
    component = ExactExampleMatch.create(ExactExampleMatch.get_default_config(), storage, resource, None)
    component.train(TrainingData([
        example("Hoe krijg ik schuldhulp bij de gemeente?", "faq/schulden_schuldhulp_gemeente"),
        example("Hoe snel helpt de gemeente bij schulden?", "faq/schulden_termijnen"),
        example("wat nu", "faq/a"), example("Wat nu?", "faq/b"),  # ambiguous: left out
        example("hallo", None),
    ]))
    return component, storage, resource


def parsed(text: str, intent: str, key: str) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.5})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.5}])
    message.set("response_selector", {"faq": {"response": {"intent_response_key": key, "confidence": 0.4,
                                                           "utter_action": f"utter_{key}"}}})
    return message


def test_a_button_question_gets_its_own_answer(tmp_path):
    component, storage, resource = trained(tmp_path)
    loaded = ExactExampleMatch.load(ExactExampleMatch.get_default_config(), storage, resource, None)
    for guard in (component, loaded):
        message = parsed("hoe krijg ik schuldhulp bij de gemeente", "nlu_fallback", "faq/schulden_termijnen")
        guard.process([message])
        assert message.get("intent")["name"] == "faq"
        response = message.get("response_selector")["faq"]["response"]
        assert response["intent_response_key"] == "faq/schulden_schuldhulp_gemeente"
        assert response["utter_action"] == "utter_faq/schulden_schuldhulp_gemeente"


def test_a_short_example_gets_its_own_intent(tmp_path):
    component, _, _ = trained(tmp_path)
    message = parsed("Hallo!", "deny", "faq/schulden_termijnen")
    component.process([message])
    assert message.get("intent")["name"] == "greet"


def test_other_and_ambiguous_texts_are_left_alone(tmp_path):
    component, _, _ = trained(tmp_path)
    for text in ("Wat nu?", "hoe krijg ik schuldhulp bij de gemeente zwolle"):
        message = parsed(text, "greet", "faq/schulden_termijnen")
        component.process([message])
        assert message.get("intent")["name"] == "greet", text


def test_exact_key_ignores_case_punctuation_and_spaces():
    assert exact_key("  Hoe krijg ik  schuldhulp?!") == exact_key("hoe krijg ik schuldhulp")
