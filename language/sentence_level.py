"""The classifiers read the parent's text per sentence only: its token features are replaced by one token.

DIET and the ResponseSelector run without transformer layers here (config.yml). Then each token goes
through the feed-forward layers on its own, and both classifiers read only the sentence position: token
features never reach an intent or an answer. They did cost (issue 15). The per-token word and character
counts took per classifier a sparse input layer of about 14k x 512 with Adam's state (217 MB). And every
token of every example went through the input layers in each training step and in each message's
prediction: in the ResponseSelector, with its 512-wide layers, most of the training time.

So every TEXT sequence feature is dropped, and the text gets one placeholder token instead (a sparse
1 x 1 feature with the value 1): Rasa's sequence layer needs a token input beside the sentence, and one
token per text keeps it as small as it gets. The sentence-level features (the same words and n-grams,
summed, and the sentence vector) stay as they are. Other attributes (an intent name, an answer key) keep
their token features: they are the labels' input.

Nor does the pipeline process what it would drop or nobody reads (issue 15: the selector's process
waits for this preparation of the training data). `SentenceCountsFeaturizer` is Rasa's count featurizer
without the text's token counts, and `WithoutAnswerTexts`, first in the pipeline, takes off the answer
text Rasa attaches to a FAQ example. Those were three quarters of the counting, and most of the tokens
that the tokenizer made, the training cache fingerprinted and the selector's process was sent: the
selector starts 33 -> 21 s after the start of a training, and its peak memory is 1.6 -> 1.4 GB.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, RESPONSE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ORIGIN = "sentence_level"


def placeholder_token() -> Features:
    return Features(scipy.sparse.coo_matrix(np.ones((1, 1), dtype=np.float32)), FEATURE_TYPE_SEQUENCE,
                    TEXT, ORIGIN)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceLevelOnly(GraphComponent):
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceLevelOnly:
        return cls(config)

    @staticmethod
    def _one_token(messages: list[Message]) -> None:
        for message in messages:
            if not any(f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE for f in message.features):
                continue  # no featurised text (an answer or an action in the training data)
            message.features = [
                feature for feature in message.features
                if not (feature.attribute == TEXT and feature.type == FEATURE_TYPE_SEQUENCE)
            ]
            message.features.append(placeholder_token())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._one_token(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._one_token(messages)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer with the same sentence features for the text and without its token
    features, which SentenceLevelOnly drops. The other attributes (intent names, answer keys) are counted
    as Rasa counts them."""

    def _create_features(self, attribute: str, all_tokens: list[list[str]]
                         ) -> tuple[list[Any], list[Any]]:
        if attribute != TEXT or not self.vectorizers.get(attribute):
            return super()._create_features(attribute, all_tokens)
        return [None] * len(all_tokens), [self._sentence(tokens) if tokens else None for tokens in all_tokens]

    def _sentence(self, tokens: list[str]) -> scipy.sparse.coo_matrix:
        """The text's counts as Rasa makes its sentence feature: the tokens joined, in one row."""
        counts = self.vectorizers[TEXT].transform([" ".join(tokens)])
        counts.sort_indices()
        return counts.tocoo()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class WithoutAnswerTexts(GraphComponent):
    """Takes the answer text off every training example, first in the pipeline.

    Rasa gives each example of a retrieval intent its answer's text (RESPONSE), for a selector that
    learns answer texts (`use_text_as_label`). The selector here learns answer keys, and no other
    component reads the text. Yet spaCy parsed it, the tokenizer split it (277k of the training data's
    348k tokens) and the count featurizers counted it; the training cache fingerprinted those tokens after
    every step, and the selector's process got them all. A user's message has no answer text."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> WithoutAnswerTexts:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.data.pop(RESPONSE, None) is not None:
                example._cached_fingerprint = None
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
