"""The Rasa side of a meaning classifier (language/meaning_classifier.py): a graph component that trains
one with the rest of the model, keeps it in the model storage and loads it back. The guards
(rasa_components.py), the MeaningIntentVote and the FaqMeaningSelector each say only what it learns from.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.meaning_classifier import MeaningClassifier


class MeaningComponent(GraphComponent):
    FILE = "meaning.npz"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage | None = None,
                 resource: Resource | None = None, meaning: MeaningClassifier | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model_storage, self.resource = model_storage, resource
        self.meaning = meaning or MeaningClassifier.empty()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MeaningComponent:
        return cls(config, model_storage, resource)

    def build_meaning(self, training_data: TrainingData) -> MeaningClassifier:
        """The classifier this component needs, learnt from the training data."""
        raise NotImplementedError

    def train(self, training_data: TrainingData) -> Resource:
        self.meaning = self.build_meaning(training_data)
        with self.model_storage.write_to(self.resource) as directory:
            self.meaning.save(directory / self.FILE)
        return self.resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> MeaningComponent:
        try:
            with model_storage.read_from(resource) as directory:
                meaning = MeaningClassifier.load(directory / cls.FILE)
        except (ValueError, FileNotFoundError, OSError):
            meaning = None  # an older model without it: the component then changes nothing
        return cls(config, model_storage, resource, meaning)
