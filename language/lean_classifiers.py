"""DIET and the ResponseSelector, loaded for answering only: without an optimizer and a training graph.

Rasa builds a loaded classifier by training it on one example (`RasaModel.load`) and then reads the
stored weights over it. That creates Adam's two slots per weight and traces the training step: memory
that answering never uses (issue 15: 313 MB of the Rasa server's RSS for the two classifiers here, Adam's
state and the training graph). These classes build the model by predicting once instead, which
creates exactly the weights prediction reads, then read the stored weights (the optimizer's part of the
file stays unread) and warm up as Rasa does. Training is Rasa's own, unchanged; so is loading for fine-tuning.

config.yml names these classes instead of Rasa's; everything else about the components is Rasa's.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET, ResponseSelector
from rasa.utils.tensorflow.model_data import RasaModelData


class _LoadsForPrediction:
    @classmethod
    def load(cls, model_file_name: str, model_data_example: RasaModelData,
             predict_data_example: RasaModelData | None = None, finetune_mode: bool = False,
             *args: Any, **kwargs: Any):
        if finetune_mode or predict_data_example is None:
            return super().load(model_file_name, model_data_example, predict_data_example, finetune_mode,
                                *args, **kwargs)
        model = cls(*args, **kwargs)
        model.run_inference(predict_data_example)  # creates the weights prediction reads
        model.load_weights(model_file_name).expect_partial()  # the optimizer's slots are not wanted
        # The first prediction embedded every label with the initial weights, and the traced prediction
        # step holds those embeddings: both are made again with the stored weights.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


class LeanDIET(_LoadsForPrediction, DIET):
    pass


class LeanDIET2BOW(_LoadsForPrediction, DIET2BOW):
    pass


class LeanDIET2DIET(_LoadsForPrediction, DIET2DIET):
    pass


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class LeanDIETClassifier(DIETClassifier):
    @staticmethod
    def model_class() -> type[DIET]:
        return LeanDIET


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LeanResponseSelector(ResponseSelector):
    @staticmethod
    def model_class(use_text_as_label: bool) -> type[DIET]:  # type: ignore[override]
        return LeanDIET2DIET if use_text_as_label else LeanDIET2BOW
