"""Custom Rasa NLU components: deterministic guards that run after the ML classifiers.

ExactExampleMatch  a message that is, word for word, one of the training examples (as the
             question buttons send them, or a short "toch niet") gets that example's intent and,
             for a FAQ question, its answer: a button must never give another answer.
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

import json
import re
import string
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
from rasa.shared.nlu.training_data.training_data import TrainingData

from language import safety
from language.normalize import clean, for_matching, letter_share

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


def exact_key(text: str | None) -> str:
    """The form in which two spellings of the same example count as the same text."""
    stripped = for_matching(text or "").translate(str.maketrans("", "", string.punctuation + "¿¡"))
    return " ".join(stripped.split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ExactExampleMatch(GraphComponent):
    """Learns the intent (and FAQ answer) of every training example; trained, so cross-validation
    only ever sees the examples of its own training folds."""

    FILE = "exact_examples.json"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 examples: dict[str, list[str | None]] | None = None) -> None:
        self.config, self.model_storage, self.resource = config, model_storage, resource
        self.examples = examples or {}  # exact text -> [intent, FAQ answer key or None]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"retrieval_intent": "faq"}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ExactExampleMatch:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        seen: dict[str, set[tuple[str, str | None]]] = {}
        for example in training_data.intent_examples:
            label = (example.get(INTENT), example.get("intent_response_key"))
            seen.setdefault(exact_key(example.get(TEXT)), set()).add(label)
        # A text listed under two intents or answers is ambiguous: leave it to the classifiers.
        self.examples = {text: list(labels.pop()) for text, labels in seen.items()
                         if len(labels) == 1 and text}
        with self.model_storage.write_to(self.resource) as directory:
            (directory / self.FILE).write_text(json.dumps(self.examples, ensure_ascii=False),
                                               encoding="utf-8")
        return self.resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ExactExampleMatch:
        try:
            with model_storage.read_from(resource) as directory:
                examples = json.loads((directory / cls.FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            examples = {}
        return cls(config, model_storage, resource, examples)

    def process(self, messages: list[Message]) -> list[Message]:
        retrieval_intent = self.config["retrieval_intent"]
        for message in messages:
            found = self.examples.get(exact_key(message.get(TEXT)))
            if found is None:
                continue
            intent, answer = found
            _override(message, intent)
            if intent == retrieval_intent and answer:
                selectors = message.get("response_selector") or {}
                # Only what the answer action reads; the ResponseSelector's own texts would not match.
                selectors.setdefault(retrieval_intent, {})["response"] = {
                    "intent_response_key": answer, "utter_action": f"utter_{answer}",
                    PREDICTED_CONFIDENCE_KEY: 1.0,
                }
                message.set("response_selector", selectors, add_to_output=True)
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
        unsure = confidence < self.config["classifier_threshold"]
        if str(predicted.get(INTENT_NAME_KEY)).startswith("safety_") and (
            unsure or self.patterns.is_benign(message.get(TEXT) or "")
        ):
            # Words like "bang" or "pijn" alone: answer warmly, with the helplines, no alarm.
            return self.config["soft_intent"], confidence
        return None
