"""Two shortcuts in preparing a training's data, with the same data out (issue 15: the selector, the
longest step, waits for this preparation).

- spaCy's pipeline is loaded once per training. Rasa's graph creates the SpacyNLP component twice (the
  node that provides the pipeline and the node that parses the training data with it), and each creation
  loaded build/nl_pipeline: 1.6 s.
- The training data is parsed without the entity ruler. Nothing in a training reads spaCy's entities
  (SpacyEntityExtractor runs on a user's message only, and the tokens and lemmas do not depend on the
  ruler), and matching every pattern against every example was 4.4 s.

The training command installs them (language/concurrent_training.py); the Rasa server parses a message
with the whole pipeline, entities included.
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

_rasas_load_model = SpacyNLP.load_model
_rasas_docs_for_training_data = SpacyNLP._docs_for_training_data


def docs_without_entities(self: SpacyNLP, model: Language, training_data: TrainingData) -> dict[str, Any]:
    """Rasa's `SpacyNLP._docs_for_training_data`, with the pipeline's entity rulers switched off."""
    rulers = [name for name in model.pipe_names if model.get_pipe_meta(name).factory == "entity_ruler"]
    with model.select_pipes(disable=rulers):
        return _rasas_docs_for_training_data(self, model, training_data)


def install() -> None:
    SpacyNLP.load_model = staticmethod(functools.lru_cache(maxsize=None)(_rasas_load_model))
    SpacyNLP._docs_for_training_data = docs_without_entities
