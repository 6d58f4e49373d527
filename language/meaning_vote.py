"""A second opinion on the intent, by meaning: DIET's ranking averaged with a logistic regression on the
sentence vectors (language/meaning_classifier.py) over every intent.

DIET learns from word and character counts plus the sentence vector and, on a few hundred examples, is
often unsure between two intents for words it never saw ("doe de test maar met me": start_screening
0.35, help 0.28, so the fallback). A linear model on the sentence vector alone is steadier on new words
and worse on typos; the average of the two is better than either (benchmarks/understanding.py). It runs
right after DIET, so the fallback threshold and the guards see the combined confidence.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from language.meaning_classifier import average
from language.rasa_components import _MeaningGuard

RANKING_LENGTH = 10


def vote(ranking: list[dict], heard: dict[str, float], weight: float) -> list[dict]:
    """The combined ranking: (1 - weight) x DIET's confidence + weight x the meaning's probability."""
    diet = {r[INTENT_NAME_KEY]: r.get(PREDICTED_CONFIDENCE_KEY) or 0.0 for r in ranking}
    combined = average(diet, heard, weight)
    best = sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:RANKING_LENGTH]
    return [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence} for name, confidence in best]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MeaningIntentVote(_MeaningGuard):
    LISTEN_FOR = None  # every intent of the training data

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # An equal vote; C=4 with balanced classes: the few examples of a flow intent count as much as
        # the many FAQ questions.
        return {"weight": 0.5, "strength": 4.0}

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            heard = self.meaning.probabilities(message.get(TEXT) or "") if ranking else {}
            if heard:
                combined = vote(ranking, heard, self.config["weight"])
                message.set(INTENT, combined[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, combined, add_to_output=True)
        return messages
