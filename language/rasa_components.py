"""Custom Rasa NLU components: deterministic guards that run after the ML classifiers.

InputGuard   messages without words (empty, emoji, punctuation) or in another script get an
             intent with a helpful answer instead of a random guess.
FaqConfidenceGuard  a FAQ question whose best answer the ResponseSelector is unsure of becomes
             nlu_fallback (ranking kept), so the fallback action can offer the likely questions
             instead of giving a confident-looking wrong answer.
SafetyGuard  a clear safety signal (data/safety/patterns.yml) always becomes a safety intent,
             whatever the classifier thought, so the safety rules answer it first. A safety
             intent from the classifier alone, below `classifier_threshold`, gets the gentler
             worry answer instead, which still names Veilig Thuis, 113 and 112.
"""

from __future__ import annotations

import re
from typing import Any

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

NLU_FALLBACK = "nlu_fallback"
UNREADABLE = "unreadable"
OTHER_LANGUAGE = "other_language"
# Markup or a database command is not a question; answering it with a random FAQ would confuse.
_CODE = re.compile(
    r"<\s*/?\s*[a-z][^>]*>|\b(drop|delete|insert|select|union|update|alter)\b[^.?!]{0,40}"
    r"\b(table|from|into|select|set|database)\b|['\"]\s*;|;\s*--",
    re.IGNORECASE,
)
AFFIRM_EMOJI = {"👍", "👌", "✅", "✔", "✔️", "🙂", "😊", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}
DENY_EMOJI = {"👎", "❌", "🙅", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿"}


def _override(message: Message, intent: str, confidence: float = 1.0) -> None:
    """Make `intent` the prediction, keeping the classifier's ranking below it."""
    if message.get("classifier_intent") is None:
        # What the classifiers said before any guard, for evaluation and the safety benchmark.
        message.set("classifier_intent", message.get(INTENT), add_to_output=True)
    prediction = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: confidence}
    ranking = [r for r in message.data.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != intent]
    message.data[INTENT] = prediction
    message.data[INTENT_RANKING_KEY] = [prediction, *ranking]


def input_intent(text: str | None) -> str | None:
    """The intent for a message the classifier cannot read, or None for ordinary text."""
    cleaned = clean(text or "")
    if cleaned in AFFIRM_EMOJI:
        return "affirm"
    if cleaned in DENY_EMOJI:
        return "deny"
    if _CODE.search(cleaned):
        return UNREADABLE
    n_letters, latin_share = letter_share(cleaned)
    if n_letters == 0 and not any(ch.isdigit() for ch in cleaned):
        return UNREADABLE
    if n_letters >= 2 and latin_share < 0.5:
        return OTHER_LANGUAGE
    return None


class _Guard(GraphComponent):
    """A component without training that may replace the predicted intent of a message."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _Guard:
        return cls(config)

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        """(intent, confidence) to predict instead, or None to keep the classifier's choice."""
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            replacement = self.intent_for(message)
            if replacement:
                _override(message, *replacement)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(_Guard):
    def intent_for(self, message: Message) -> tuple[str, float] | None:
        intent = input_intent(message.get(TEXT))
        return (intent, 1.0) if intent else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqConfidenceGuard(_Guard):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"retrieval_intent": "faq", "threshold": 0.2}

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        retrieval_intent, threshold = self.config["retrieval_intent"], self.config["threshold"]
        if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != retrieval_intent:
            return None
        selected = (message.get("response_selector") or {}).get(retrieval_intent, {})
        confidence = selected.get("response", {}).get(PREDICTED_CONFIDENCE_KEY, 1.0)
        # Same shape as the FallbackClassifier's prediction, so evaluation can undo it.
        return (NLU_FALLBACK, threshold) if confidence < threshold else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyGuard(_Guard):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Relative paths are taken from the repository root.
        return {"patterns": str(safety.PATTERNS_FILE), "classifier_threshold": 0.9,
                "soft_intent": "share_worry"}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.patterns = safety.load(safety.PATTERNS_FILE.parent.parent.parent / config["patterns"])

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        intent = self.patterns.detect(message.get(TEXT) or "")
        if intent:
            return intent, 1.0
        predicted = message.get(INTENT) or {}
        confidence = predicted.get(PREDICTED_CONFIDENCE_KEY, 0.0)
        if str(predicted.get(INTENT_NAME_KEY)).startswith("safety_") and confidence < self.config[
            "classifier_threshold"
        ]:
            # Words like "bang" or "pijn" alone: answer warmly, with the helplines, no alarm.
            return self.config["soft_intent"], confidence
        return None
