"""DIET and the ResponseSelector, trained faster and loaded for answering only.

Saving and loading. Rasa saves a classifier with Adam's two slots per weight, two thirds of the file
that answering never reads; these classes save the weights only (the selector's file 102 -> 34 MB,
packed into every model). Rasa builds a loaded classifier by training it on one example
(`RasaModel.load`) and then reads the stored weights over it. That creates Adam's slots and traces the
training step: memory that answering never uses (issue 15: 313 MB of the Rasa server's RSS for the two
classifiers here). These classes build the model by predicting once instead, which creates exactly the
weights prediction reads, then read the stored weights (a weight missing from the file fails the
loading) and warm up as Rasa does. Loading for fine-tuning stays Rasa's; Adam starts afresh there.

Training (issue 15: most of a full training is these two) is Rasa's, with six costs taken out:
- Adam runs as Keras's fused kernel (`legacy.Adam`: the same update rule, one pass over each weight)
  instead of Keras's new Adam, which spends about ten element-wise passes over every weight per step.
  The weights differ only by rounding.
- Rasa's training step adds the regularisation gradient only where the prediction gradient is positive,
  in three passes over each weight (compare, select, add). Here it is one pass, compiled by XLA: the same
  numbers, and 5 of the selector's 76 ms per step. For a weight whose only regularisation is an L2, that
  pass also makes the L2 gradient, which the tape made in two more passes (about 8 % of a step).
- The many objects the training data holds are kept out of Python's garbage collector while the
  classifier trains (`gc.freeze`): each full collection walked all of them again.
- Each batch's sparse features are put together with whole-array operations (`_sparse_batch`), not with
  small numpy arrays per example.
- The ResponseSelector selects its examples without cleaning them a second time: see `_Loaded`.
- Keras's dataset of Rasa's batches runs without tf.data's autotuning: see `_dataset_without_autotuning`.

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
from keras.engine.data_adapter import KerasSequenceAdapter
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET, ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY
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
        """Rasa's `RasaModel.train_step`, with the gradients combined by `_regularised`, and the L2
        gradient of a weight whose only regularisation is a Keras L2 worked out in that same pass."""
        self._training = True
        with tf.GradientTape(persistent=True) as tape:
            prediction_loss = self.batch_loss(batch_in)
            losses = self.losses
            regularization_loss = tf.math.add_n(losses)
            total_loss = prediction_loss + regularization_loss
        self.total_loss.update_state(total_loss)
        variables = self.trainable_variables
        factors = self._l2_factors(variables, len(losses))
        prediction_gradients = tape.gradient(prediction_loss, variables)
        rest = [variable for variable, factor in zip(variables, factors) if factor is None]  # noqa: B905
        regularization_gradients = iter(tape.gradient(regularization_loss, rest))
        del tape
        gradients = []
        for variable, pred_grad, factor in zip(variables, prediction_gradients, factors):  # noqa: B905
            # (no `strict=`: AutoGraph, which traces this step, has its own zip without it)
            if factor is not None:
                gradients.append(None if pred_grad is None else _l2_regularised(pred_grad, variable, factor))
            else:
                reg_grad = next(regularization_gradients)
                gradients.append(pred_grad if pred_grad is None or reg_grad is None
                                 else _regularised(pred_grad, reg_grad))
        self.optimizer.apply_gradients(zip(gradients, variables))  # noqa: B905
        self._training = None
        return self._get_metric_results()

    def _l2_factors(self, variables: list[tf.Variable], number_of_losses: int) -> list[float | None]:
        """Per variable: the factor of its L2 gradient (Keras's L2 loss is `2 l2 sum(x^2)/2`, so the
        gradient is `x * float32(2 l2)`), or None where the gradient of the regularisation loss has to
        come from the tape: no regulariser, another kind, or losses this method does not account for."""
        regularised = [(getattr(layer, weight, None), getattr(layer, f"{weight}_regularizer", None))
                       for layer in self._flatten_layers(include_self=False)
                       for weight in ("kernel", "bias", "embeddings")]
        regularised = [(variable, regularizer) for variable, regularizer in regularised
                       if variable is not None and regularizer is not None]
        if len(regularised) != number_of_losses:  # other losses may depend on any variable
            return [None] * len(variables)
        factors = {}
        for variable, regularizer in regularised:
            exact_l2 = type(regularizer) is tf.keras.regularizers.L2 and variable.ref() not in factors
            factors[variable.ref()] = float(np.float32(2.0 * regularizer.l2)) if exact_l2 else None
        return [factors.get(variable.ref()) for variable in variables]


@tf.function(jit_compile=True)
def _regularised(pred_grad: tf.Tensor, reg_grad: tf.Tensor) -> tf.Tensor:
    """Rasa's rule: the regularisation gradient counts only where the prediction gradient is positive."""
    return pred_grad + tf.where(pred_grad > 0, reg_grad, tf.zeros_like(reg_grad))


@tf.function(jit_compile=True)
def _l2_regularised(pred_grad: tf.Tensor, weight: tf.Tensor, factor: float) -> tf.Tensor:
    """`_regularised` with the L2 gradient `weight * factor` made in the same pass (not by the tape in
    two more passes over the weight: the selector's input weight is 14,293 x 512)."""
    return pred_grad + tf.where(pred_grad > 0, weight * factor, tf.zeros_like(pred_grad))


class _ForPrediction:
    """Saved and loaded with the weights prediction reads."""

    def save(self, model_file_name: str, overwrite: bool = True) -> None:
        """Rasa's `RasaModel.save`, without the optimizer's state: two thirds of the file (Adam's two
        slots per weight) that answering never reads, and that a training then packed into the model."""
        self._without_optimizer = True
        try:
            super().save(model_file_name, overwrite)
        finally:
            self._without_optimizer = False

    def _trackable_children(self, save_type: str = "checkpoint", **kwargs: Any) -> dict[str, Any]:
        children = super()._trackable_children(save_type, **kwargs)
        if getattr(self, "_without_optimizer", False):
            children.pop("optimizer", None)
        return children

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
        stored.expect_partial()  # the optimizer's slots, in a file saved before `save` left them out
        # The first prediction embedded every label with the initial weights, and the traced prediction
        # step holds those embeddings: both are made again with the stored weights.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


class LeanDIET(_FusedAdam, _FusedRegularisation, _ForPrediction, DIET):
    pass


class LeanDIET2BOW(_FusedAdam, _FusedRegularisation, _ForPrediction, DIET2BOW):
    pass


class LeanDIET2DIET(_FusedAdam, _FusedRegularisation, _ForPrediction, DIET2DIET):
    pass


class _TrainsLean:
    """Trains with the training data out of the garbage collector, Rasa's batches built by
    `_sparse_batch` and Keras's dataset of them made by `_dataset_without_autotuning`."""

    def train(self, training_data: TrainingData) -> Resource:
        gc.collect()
        gc.freeze()
        try:
            batches = staticmethod(_sparse_batch)
            with mock.patch.object(RasaDataGenerator, "_scipy_matrix_to_values", batches), \
                    mock.patch.object(KerasSequenceAdapter, "get_dataset", _dataset_without_autotuning):
                return super().train(training_data)
        finally:
            gc.unfreeze()


_keras_sequence_dataset = KerasSequenceAdapter.get_dataset


def _dataset_without_autotuning(adapter: KerasSequenceAdapter) -> tf.data.Dataset:
    """Keras's dataset of Rasa's batches, with tf.data's autotuning off: the same batches in the same
    order. Keras makes a new iterator every epoch, and destroying one waits for the autotuner's thread,
    which sleeps up to a minute between its rounds (issue 15: in about one training of three, DIET's
    step ended 45-55 s after its last epoch, waiting there, as gdb showed). Without it the epochs are
    faster too: DIET's 60 took 90-105 s, now 77 s; the selector's 130-145 s, now 114 s. Autotuning sizes
    buffers and threads, and this dataset has neither to size: Keras prefetches one batch."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return _keras_sequence_dataset(adapter).with_options(options)


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

    def inputs_read_by(self, fn_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The part of `inputs` that `fn_name` reads (the training runner copies only that to the process
        this selector trains in): of the training data, the examples of its retrieval intent, which it
        trains on, and every retrieval example, which `all_retrieval_intents` lists (60 % of the examples
        here)."""
        training_data = inputs.get("training_data")
        if fn_name != "train" or not self.retrieval_intent or training_data is None:
            return inputs
        read = [example for example in training_data.training_examples
                if example.get(INTENT) == self.retrieval_intent or example.get(INTENT_RESPONSE_KEY)]
        return {**inputs, "training_data": _Loaded.of(training_data, read)}

    @staticmethod
    def model_class(use_text_as_label: bool) -> type[DIET]:  # type: ignore[override]
        return LeanDIET2DIET if use_text_as_label else LeanDIET2BOW
