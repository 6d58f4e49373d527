"""A Rasa dense featurizer that adds the sentence meaning (USE multilingual) to every message.

Sentence features only: DIET and the ResponseSelector classify on the sentence vector, where these
512 numbers sit next to the sparse word and character counts. Words the training data never saw
("trouwboekje", "stiefvader") then still land near examples that mean the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language import sentence_encoder
from language.normalize import clean

BATCH = 256


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceMeaningFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceMeaningFeaturizer:
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: list[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        for start in range(0, len(with_text), BATCH):
            batch = with_text[start:start + BATCH]
            vectors = sentence_encoder.embed([clean(m.get(TEXT)) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(None, np.expand_dims(vector, 0), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        with sentence_encoder.on_every_core():
            self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
