"""Custom Rasa NLU components: deterministic guards that run after the ML classifiers.

InputGuard   messages without words (empty, emoji, punctuation) or in another script get an
             intent with a helpful answer instead of a random guess.
SafetyGuard  a clear safety signal (data/safety/patterns.yml) always becomes a safety intent,
             whatever the classifier thought, so the safety rules answer it first.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from language import safety
from language.normalize import clean, letter_share

UNREADABLE = "unreadable"
OTHER_LANGUAGE = "other_language"
AFFIRM_EMOJI = {"👍", "👌", "✅", "✔", "✔️", "🙂", "😊", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}
DENY_EMOJI = {"👎", "❌", "🙅", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿"}


def _override(message: Message, intent: Text) -> None:
    """Make `intent` the prediction, keeping the classifier's ranking below it."""
    prediction = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.data.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != intent]
    message.data[INTENT] = prediction
    message.data[INTENT_RANKING_KEY] = [prediction, *ranking]


def input_intent(text: Optional[Text]) -> Optional[Text]:
    """The intent for a message the classifier cannot read, or None for ordinary text."""
    cleaned = clean(text or "")
    if cleaned in AFFIRM_EMOJI:
        return "affirm"
    if cleaned in DENY_EMOJI:
        return "deny"
    n_letters, latin_share = letter_share(cleaned)
    if n_letters == 0 and not any(ch.isdigit() for ch in cleaned):
        return UNREADABLE
    if n_letters >= 2 and latin_share < 0.5:
        return OTHER_LANGUAGE
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "InputGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = input_intent(message.get(TEXT))
            if intent:
                _override(message, intent)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Relative paths are taken from the repository root.
        return {"patterns": str(safety.PATTERNS_FILE)}

    def __init__(self, config: Dict[Text, Any]) -> None:
        path = safety.PATTERNS_FILE.parent.parent.parent / config["patterns"]
        self.patterns = safety.load(path)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyGuard":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = self.patterns.detect(message.get(TEXT) or "")
            if intent:
                _override(message, intent)
        return messages
