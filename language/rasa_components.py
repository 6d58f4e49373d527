"""Custom Rasa NLU components: deterministic guards that run after the ML classifiers.

ExactExampleMatch  a message that is, word for word, one of the training examples (as the
             question buttons send them, or a short "toch niet") gets that example's intent and,
             for a FAQ question, its answer: a button must never give another answer.
InputGuard   messages without words (empty, emoji, punctuation) or in another script get an
             intent with a helpful answer instead of a random guess.
FaqConfidenceGuard  a FAQ question whose best answer the ResponseSelector is unsure of becomes
             nlu_fallback (ranking kept), so the fallback action can offer the likely questions
             instead of giving a confident-looking wrong answer.
SafetyGuard  a clear safety signal (data/safety/patterns.yml, or a message whose meaning is close
             to the safety examples) always becomes a safety intent, whatever the classifier
             thought, so the safety rules answer it first, in any state. A doubtful one (the
             classifier alone below `classifier_threshold`, or meaning only somewhat close) gets
             the gentler worry answer instead, which still names Veilig Thuis, 113 and 112.
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
from language.meaning_classifier import MeaningClassifier
from language.meaning_component import MeaningComponent
from language.normalize import clean, for_matching, letter_share

NLU_FALLBACK = "nlu_fallback"
EXACT_EXAMPLE = "exact_example"
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
                self.after_override(message, replacement[0])
        return messages

    def after_override(self, message: Message, intent: str) -> None:
        """Hook for what else an override needs."""


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
            message.set(EXACT_EXAMPLE, True)  # the meaning guards leave a known example alone
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
class MunicipalityGuard(_Guard):
    """A question that names a municipality and asks for help there ("heeft Dordrecht een regeling voor
    schoolkosten?", "wie helpt me in Vriezenveen met schulden?") gets that municipality's answer
    (ask_municipality) rather than a national FAQ answer. A place in another question ("de trein naar
    Zwolle") is no such question: without one of the help words nothing changes."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "ask_municipality", "entity": "gemeente", "help_words": [],
                "applies_to": ["faq", NLU_FALLBACK, "out_of_scope", "inform", "choose_topic"]}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__({**self.get_default_config(), **config})
        words = sorted((for_matching(w) for w in self.config["help_words"]), key=len, reverse=True)
        self.help = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b") if words else None

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if self.help is None or predicted not in self.config["applies_to"]:
            return None
        named = any(e.get("entity") == self.config["entity"] for e in message.get("entities") or [])
        if named and self.help.search(for_matching(message.get(TEXT) or "")):
            return self.config["intent"], 1.0
        return None


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


class _MeaningGuard(MeaningComponent, _Guard):
    """A guard with a small classifier on the meaning of a message (language/meaning_classifier.py),
    trained on the training examples to hear the intents in `LISTEN_FOR`; it may replace the
    predicted intent of a message."""

    LISTEN_FOR: tuple[str, ...] = ()

    def training_examples(self, training_data: TrainingData) -> list[tuple[str, str]]:
        """(text, intent) pairs the meaning classifier learns from."""
        return [(e.get(TEXT), e.get(INTENT)) for e in training_data.intent_examples if e.get(TEXT)]

    def build_meaning(self, training_data: TrainingData) -> MeaningClassifier:
        return MeaningClassifier.build(self.training_examples(training_data), self.LISTEN_FOR,
                                       self.config["strength"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ScopeGuard(_MeaningGuard):
    """A message that by its meaning is out of scope ("hoeveel kost een nieuwe iphone") gets out_of_scope:
    an honest "daar kan ik je niet mee helpen" instead of a FAQ answer to another question. Only for
    what the classifiers took as a FAQ question or did not understand; flows and commands stay."""

    LISTEN_FOR = ("out_of_scope",)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Tuned on the development half of tests/data/heldout/ only.
        return {"applies_to": ["faq", NLU_FALLBACK], "threshold": 0.8, "strength": 1.0}

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) not in self.config["applies_to"] \
                or message.get(EXACT_EXAMPLE) or message.get("entities"):
            return None  # an answer with a day, an amount or a place ("morgen misschien") is ours
        probability = self.meaning.probabilities(message.get(TEXT) or "").get(self.LISTEN_FOR[0], 0.0)
        return (self.LISTEN_FOR[0], probability) if probability >= self.config["threshold"] else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafetyGuard(_MeaningGuard):
    """Decides on every message whether it is a safety signal, from three sources at once:
    the patterns (always win), the classifier's own intent, and the meaning: how close the message is
    to the safety examples compared with every other example."""

    SAFETY = LISTEN_FOR = (safety.VIOLENCE, safety.SUICIDE)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Relative paths are taken from the repository root. The meaning thresholds are probabilities of
        # language/meaning_classifier.py, tuned on the development half of tests/data/heldout/ only.
        return {"patterns": str(safety.PATTERNS_FILE), "calm_examples": str(safety.CALM_FILE),
                "classifier_threshold": 0.9, "classifier_with_meaning": 0.6, "meaning_support": 0.6,
                "soft_intent": "share_worry", "retrieval_intent": "faq",
                "semantic_alarm": 0.95, "semantic_doubt": 0.8,
                "answer_too_threshold": 0.15, "strength": 0.5,
                # Meaning decides only where the classifiers heard a question or nothing clear; a
                # recognised worry (its answer names the helplines), flow or command ("jullie hoeven me
                # niet meer te bellen") stays: "ik ben doodmoe" is close to a signal by meaning alone.
                "meaning_applies_to": ["faq", NLU_FALLBACK, "out_of_scope", "inform", "ask_municipality",
                                       "choose_topic"],
                # A question whose best answer is about someone's safety is a doubtful signal: the worry
                # answer (helplines) with that answer, and in a form the helplines before it asks again.
                "safety_answers": ["faq/omgeving_zorgen_veiligheid"]}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage | None = None,
                 resource: Resource | None = None, meaning: MeaningClassifier | None = None) -> None:
        super().__init__(config, model_storage, resource, meaning)
        self.patterns = safety.load(safety.REPO / self.config["patterns"])

    def training_examples(self, training_data: TrainingData) -> list[tuple[str, str]]:
        # Harmless messages with alarming words teach the meaning what is not a signal. Rasa's cache
        # does not see this file: the Makefile retrains with --force when it changed.
        calm = [(text, "") for text in safety.calm_examples(safety.REPO / self.config["calm_examples"])]
        return super().training_examples(training_data) + calm

    def after_override(self, message: Message, intent: str) -> None:
        if intent == self.config["soft_intent"]:
            self._answer_too(message)

    def intent_for(self, message: Message) -> tuple[str, float] | None:
        text = message.get(TEXT) or ""
        signal = self.patterns.detect(text)
        if signal:
            return signal, 1.0
        if input_intent(text):
            return None  # no words to judge (emoji, markup, another script)
        benign = self.patterns.is_benign(text)
        predicted = message.get(INTENT) or {}
        name, confidence = str(predicted.get(INTENT_NAME_KEY)), predicted.get(PREDICTED_CONFIDENCE_KEY, 0.0)
        classifier_alarm = name in self.SAFETY
        meaning_may_decide = name in self.config["meaning_applies_to"] and not message.get(EXACT_EXAMPLE)
        heard = self.meaning.probabilities(text) if meaning_may_decide or classifier_alarm else {}
        probability = sum(heard.values())
        if classifier_alarm and not benign and (
                confidence >= self.config["classifier_threshold"]
                or (confidence >= self.config["classifier_with_meaning"]
                    and probability >= self.config["meaning_support"])):
            return None  # the classifier is sure, or fairly sure and the meaning agrees: its intent stands
        if meaning_may_decide and not benign and probability >= self.config["semantic_alarm"]:
            return max(heard, key=heard.get), probability
        out_of_scope = name == "out_of_scope"  # far from all we know: noise, not doubt
        selected = ((message.get("response_selector") or {}).get(self.config["retrieval_intent"], {})
                    .get("response") or {}).get("intent_response_key")
        about_safety = name == self.config["retrieval_intent"] and selected in self.config["safety_answers"]
        doubtful_meaning = probability >= self.config["semantic_doubt"] and not out_of_scope
        if classifier_alarm or about_safety or doubtful_meaning:
            # Doubtful: answer warmly, with the helplines, no alarm.
            return self.config["soft_intent"], max(confidence, probability)
        return None

    def _answer_too(self, message: Message) -> None:
        """A doubtful signal inside a clear FAQ question: the worry answer also gives the FAQ answer."""
        selected = (message.get("response_selector") or {}).get(self.config["retrieval_intent"], {})
        response = selected.get("response") or {}
        # The classifiers' own two best intents (the override put the worry first).
        ranking = [r.get(INTENT_NAME_KEY) for r in message.get(INTENT_RANKING_KEY, [])[1:3]]
        if self.config["retrieval_intent"] in ranking and response.get("intent_response_key") \
                and response.get(PREDICTED_CONFIDENCE_KEY, 0.0) >= self.config["answer_too_threshold"]:
            message.set("faq_answer_too", response["intent_response_key"], add_to_output=True)
