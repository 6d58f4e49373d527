"""FAQ answers by meaning: the ResponseSelector's answer ranking averaged with a classifier on the
sentence vectors (language/meaning_classifier.py), trained on the FAQ examples and on each answer's
own text.

The ResponseSelector knows the words of the examples; the meaning classifier knows questions in other
words ("we hebben nooit een trouwboekje gehad" for living together unmarried). Measured on the
held-out development half, the average of the two picks the right answer more often than either.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.meaning_classifier import MeaningClassifier, average
from language.meaning_component import MeaningComponent

INTENT_RESPONSE_KEY = "intent_response_key"
CONFIDENCE = "confidence"


def answer_texts(training_data: TrainingData, retrieval_intent: str) -> dict[str, str]:
    """{"faq/<key>": the first text of its answer}."""
    return {name.removeprefix("utter_"): versions[0].get("text", "")
            for name, versions in training_data.responses.items()
            if name.startswith(f"utter_{retrieval_intent}/") and versions}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqMeaningSelector(MeaningComponent):
    FILE = "faq_meaning.npz"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Tuned on the development half of tests/data/heldout/faq.yml only: `weight` is the meaning's
        # share of the vote, `strength` the classifier's inverse regularisation (many answers, few
        # examples each: little regularisation).
        return {"retrieval_intent": "faq", "weight": 0.5, "strength": 128.0, "ranking_length": 10}

    def build_meaning(self, training_data: TrainingData) -> MeaningClassifier:
        retrieval = self.config["retrieval_intent"]
        pairs = [(e.get(TEXT), e.get(INTENT_RESPONSE_KEY)) for e in training_data.intent_examples
                 if e.get("intent") == retrieval and e.get(TEXT) and e.get(INTENT_RESPONSE_KEY)]
        keys = {key for _, key in pairs}
        # The answer's own words count as one more example of it.
        pairs += [(text, key) for key, text in answer_texts(training_data, retrieval).items() if key in keys]
        # Every answer is one class; few examples each, so no class balancing.
        return MeaningClassifier.build(pairs, None, self.config["strength"], balanced=False)

    def scores(self, text: str, selector_ranking: list[dict]) -> dict[str, float]:
        """{answer key: (1 - weight) x the selector's confidence + weight x the meaning's probability}."""
        selector = {entry.get(INTENT_RESPONSE_KEY): entry.get(CONFIDENCE, 0.0) for entry in selector_ranking}
        return average(selector, self.meaning.probabilities(text), self.config["weight"])

    def process(self, messages: list[Message]) -> list[Message]:
        retrieval = self.config["retrieval_intent"]
        for message in messages:
            selectors = message.get("response_selector") or {}
            selected = selectors.get(retrieval)
            if not len(self.meaning.bias) or not selected or not message.get(TEXT):
                continue
            total = self.scores(message.get(TEXT), selected.get("ranking", []))
            order = sorted(total, key=lambda key: (-total[key], key))[: self.config["ranking_length"]]
            selected["ranking"] = [{INTENT_RESPONSE_KEY: key, CONFIDENCE: total[key]} for key in order]
            # Only what the answer action reads: the selector's own texts belong to its choice.
            selected["response"] = {INTENT_RESPONSE_KEY: order[0], "utter_action": f"utter_{order[0]}",
                                    CONFIDENCE: total[order[0]]}
            message.set("response_selector", selectors, add_to_output=True)
        return messages
