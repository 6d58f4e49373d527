"""DIET and the ResponseSelector, trained faster and loaded for answering only.

Loading. Rasa builds a loaded classifier by training it on one example (`RasaModel.load`) and then reads
the stored weights over it. That creates Adam's two slots per weight and traces the training step: memory
that answering never uses (issue 15: 313 MB of the Rasa server's RSS for the two classifiers here, Adam's
state and the training graph). These classes build the model by predicting once instead, which
creates exactly the weights prediction reads, then read the stored weights (the optimizer's part of the
file stays unread; a weight missing from the file fails the loading) and warm up as Rasa does. Loading
for fine-tuning stays Rasa's (it restores the optimizer too, so it needs the fused Adam below: Rasa's
own classes cannot load these models).

Training (issue 15: most of a full training is these two) is Rasa's, with five costs taken out:
- Adam runs as Keras's fused kernel (`legacy.Adam`: the same update rule, one pass over each weight)
  instead of Keras's new Adam, which spends about ten element-wise passes over every weight per step.
  The weights differ only by rounding.
- Rasa's training step adds the regularisation gradient only where the prediction gradient is positive,
  in three passes over each weight (compare, select, add). Here it is one pass, compiled by XLA: the same
  numbers, and 5 of the selector's 76 ms per step.
- The many objects the training data holds are kept out of Python's garbage collector while the
  classifier trains (`gc.freeze`): each full collection walked all of them again.
- Each batch's sparse features are put together with whole-array operations (`_sparse_batch`), not with
  small numpy arrays per example.
- The ResponseSelector selects its examples without cleaning them a second time: see `_Loaded`.

config.yml names these classes instead of Rasa's; everything else about the components is Rasa's.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import scipy.sparse
import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET, ResponseSelector
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray, RasaModelData


class _FusedAdam:
    def compile(self, optimizer: Any = None, **kwargs: Any) -> None:
        if type(optimizer) is tf.keras.optimizers.Adam:  # Rasa's choice, with Keras's default betas
            optimizer = tf.keras.optimizers.legacy.Adam(learning_rate=float(optimizer.learning_rate.numpy()))
        super().compile(optimizer=optimizer, **kwargs)


class _FusedRegularisation:
    def train_step(self, batch_in: Any) -> dict[str, Any]:
        """Rasa's `RasaModel.train_step`, with the gradients combined by `_regularised`."""
        self._training = True
        with tf.GradientTape(persistent=True) as tape:
            prediction_loss = self.batch_loss(batch_in)
            regularization_loss = tf.math.add_n(self.losses)
            total_loss = prediction_loss + regularization_loss
        self.total_loss.update_state(total_loss)
        prediction_gradients = tape.gradient(prediction_loss, self.trainable_variables)
        regularization_gradients = tape.gradient(regularization_loss, self.trainable_variables)
        del tape
        gradients = [
            pred_grad if pred_grad is None or reg_grad is None else _regularised(pred_grad, reg_grad)
            for pred_grad, reg_grad in zip(prediction_gradients, regularization_gradients)  # noqa: B905
        ]  # (no `strict=`: AutoGraph, which traces this step, has its own zip without it)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))  # noqa: B905
        self._training = None
        return self._get_metric_results()


@tf.function(jit_compile=True)
def _regularised(pred_grad: tf.Tensor, reg_grad: tf.Tensor) -> tf.Tensor:
    """Rasa's rule: the regularisation gradient counts only where the prediction gradient is positive."""
    return pred_grad + tf.where(pred_grad > 0, reg_grad, tf.zeros_like(reg_grad))


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
        stored = model.load_weights(model_file_name)
        stored.assert_existing_objects_matched()  # every weight prediction reads is in the file
        stored.expect_partial()  # the optimizer's slots are not wanted
        # The first prediction embedded every label with the initial weights, and the traced prediction
        # step holds those embeddings: both are made again with the stored weights.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


class LeanDIET(_FusedAdam, _FusedRegularisation, _LoadsForPrediction, DIET):
    pass


class LeanDIET2BOW(_FusedAdam, _FusedRegularisation, _LoadsForPrediction, DIET2BOW):
    pass


class LeanDIET2DIET(_FusedAdam, _FusedRegularisation, _LoadsForPrediction, DIET2DIET):
    pass


class _TrainsLean:
    """Trains with the training data out of the garbage collector and Rasa's batches built by
    `_sparse_batch`."""

    def train(self, training_data: TrainingData) -> Resource:
        gc.collect()
        gc.freeze()
        try:
            with mock.patch.object(RasaDataGenerator, "_scipy_matrix_to_values", staticmethod(_sparse_batch)):
                return super().train(training_data)
        finally:
            gc.unfreeze()


_rasas_sparse_batch = RasaDataGenerator._scipy_matrix_to_values


def _sparse_batch(array_of_sparse: FeatureArray) -> list[np.ndarray]:
    """Rasa's `RasaDataGenerator._scipy_matrix_to_values`, the same arrays, built with whole-array
    operations instead of three small numpy arrays per example and batch (13 s of Python per DIET
    training here, next to the TensorFlow steps)."""
    if array_of_sparse.number_of_dimensions == 4:  # dialogue data: not these classifiers'
        return _rasas_sparse_batch(array_of_sparse)
    matrices = [x if isinstance(x, scipy.sparse.coo_matrix) else x.tocoo() for x in array_of_sparse]
    example = np.repeat(np.arange(len(matrices)), [len(m.row) for m in matrices])
    rows = np.concatenate([m.row for m in matrices])
    columns = np.concatenate([m.col for m in matrices])
    shape = (len(matrices), max(m.shape[0] for m in matrices), matrices[0].shape[-1])
    return [np.stack([example, rows, columns], axis=1).astype(np.int64),
            np.concatenate([m.data for m in matrices]).astype(np.float32),
            np.array(shape, dtype=np.int64)]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class LeanDIETClassifier(_TrainsLean, DIETClassifier):
    @staticmethod
    def model_class() -> type[DIET]:
        return LeanDIET


class _Loaded(TrainingData):
    """Training data whose examples were cleaned when Rasa loaded them, and selected without cleaning.

    The ResponseSelector takes its retrieval intent's examples with `filter_training_examples`, which
    builds new training data, which cleans the examples again: it drops duplicates by fingerprinting each
    example with all its tokens and features (issue 15: 10 of the 13 s before the selector's first
    epoch). A selection of clean examples is clean, so here the same examples are only selected.
    """

    @classmethod
    def of(cls, data: TrainingData, examples: list[Message]) -> _Loaded:
        loaded = cls(None, data.entity_synonyms, data.regex_features, data.lookup_tables, data.responses)
        loaded.training_examples = examples
        return loaded

    def filter_training_examples(self, condition: Callable[[Message], bool]) -> TrainingData:
        return self.of(self, [example for example in self.training_examples if condition(example)])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LeanResponseSelector(_TrainsLean, ResponseSelector):
    trains_alongside = True  # in its own process, while DIET trains (language/concurrent_training.py)

    def preprocess_train_data(self, training_data: TrainingData) -> RasaModelData:
        return super().preprocess_train_data(_Loaded.of(training_data, training_data.training_examples))

    @staticmethod
    def model_class(use_text_as_label: bool) -> type[DIET]:  # type: ignore[override]
        return LeanDIET2DIET if use_text_as_label else LeanDIET2BOW
