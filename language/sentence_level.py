"""Drop the per-token word and character counts of the parent's text before the classifiers.

DIET and the ResponseSelector run without transformer layers here (config.yml). Then each token goes
through the feed-forward layers on its own, and both classifiers read only the sentence position: the
per-token counts never reach an intent or an answer. They did cost (issue 15): per classifier a sparse
input layer of about 14k x 512 with Adam's state, most of the batch building in training, and part of
every message's prediction. The sentence-level counts (the same words and n-grams, summed) stay, and
so do the lexical-syntactic token features, which Rasa's sequence layer needs as its token input.

`featurizers` names the featurizers (their `alias` in config.yml) whose token features are dropped.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceLevelCounts(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"featurizers": []}

    def __init__(self, config: dict[str, Any]) -> None:
        self.origins = set(config["featurizers"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceLevelCounts:
        return cls(config)

    def _drop(self, messages: list[Message]) -> None:
        for message in messages:
            message.features = [
                feature for feature in message.features
                if not (feature.attribute == TEXT and feature.type == FEATURE_TYPE_SEQUENCE
                        and feature.origin in self.origins)
            ]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._drop(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._drop(messages)
        return messages
