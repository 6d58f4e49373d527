"""DIET and the ResponseSelector of language/lean_classifiers.py: loaded for prediction only (the same
answers as Rasa's own loading, without an optimizer or a training graph) and trained faster (the fused
Adam, the regularisation in one pass, the garbage collector kept off the training data, batches put
together in whole arrays, examples selected without fingerprinting)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET

from language import lean_classifiers

TEXTS = ("hoe wordt kinderalimentatie berekend", "ik wil graag teruggebeld worden", "mijn ex slaat me",
         "wat kost dit", "kan ik bijzondere bijstand krijgen in Zwolle", "hallo", "ik weet het niet meer",
         "wie betaalt de advocaat bij een scheiding", "doe de test maar")


def understood(model: Path) -> tuple[list, list]:
    """Every text's intent and FAQ answer rankings (rounded) and the classifiers' TensorFlow models."""
    agent = Agent.load(str(model))

    async def parse_all() -> list:
        return [await agent.parse_message(text) for text in TEXTS]

    rankings = [
        ([(r["name"], round(r["confidence"], 5)) for r in parsed["intent_ranking"]],
         [(r["intent_response_key"], round(r["confidence"], 5))
          for r in parsed["response_selector"]["faq"]["ranking"]])
        for parsed in asyncio.run(parse_all())
    ]
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    models = [node._component.model for node in nodes
              if isinstance(node._component, (lean_classifiers.LeanDIETClassifier,
                                              lean_classifiers.LeanResponseSelector))]
    return rankings, models


def test_loaded_for_prediction_answers_as_rasa_loads_it(trained_model, monkeypatch):
    lean, models = understood(trained_model)
    assert {type(model) for model in models} == {lean_classifiers.LeanDIET, lean_classifiers.LeanDIET2BOW}
    assert all(getattr(model, "optimizer", None) is None for model in models)  # no Adam slots in memory
    assert all(getattr(model, "train_function", None) is None for model in models)  # no training graph traced
    del models
    gc.collect()

    # Rasa's loading restores the optimizer too, so it needs the one the model was trained with.
    class RasaDIET(lean_classifiers._FusedAdam, DIET):
        pass

    class RasaDIET2BOW(lean_classifiers._FusedAdam, DIET2BOW):
        pass

    monkeypatch.setattr(lean_classifiers.LeanDIETClassifier, "model_class", staticmethod(lambda: RasaDIET))
    monkeypatch.setattr(lean_classifiers.LeanResponseSelector, "model_class",
                        staticmethod(lambda use_text_as_label: DIET2DIET if use_text_as_label else RasaDIET2BOW))
    rasa, rasa_models = understood(trained_model)
    assert {type(model) for model in rasa_models} == {RasaDIET, RasaDIET2BOW}
    assert all(getattr(model, "optimizer", None) is not None for model in rasa_models)  # Rasa's way: trained on one example
    assert lean == rasa
    assert lean[2][0][0][0] == "safety_violence"  # "mijn ex slaat me": real rankings, not empty ones


def test_loading_fails_when_the_file_lacks_a_weight_prediction_reads(tmp_path):
    """A model file from other code (a weight renamed) may not load silently with some initial weights
    (Keras itself only fails when no weight at all matches)."""
    import numpy as np
    import tensorflow as tf

    class Small(lean_classifiers._LoadsForPrediction, tf.keras.Model):
        def __init__(self, head: str = "head") -> None:
            super().__init__()
            self.dense = tf.keras.layers.Dense(4)
            setattr(self, head, tf.keras.layers.Dense(2))
            self.head_name = head

        def run_inference(self, data) -> tf.Tensor:
            return getattr(self, self.head_name)(self.dense(tf.ones((1, 3))))

    stored = Small()
    stored.run_inference(None)
    stored.save_weights(str(tmp_path / "small.tf_model"))
    loaded = Small.load(str(tmp_path / "small.tf_model"), None, predict_data_example="x")
    np.testing.assert_array_equal(loaded.head.kernel.numpy(), stored.head.kernel.numpy())

    other = Small(head="renamed_head")
    other.run_inference(None)
    other.save_weights(str(tmp_path / "other.tf_model"))
    with pytest.raises(AssertionError):
        Small.load(str(tmp_path / "other.tf_model"), None, predict_data_example="x")


def compiled(optimizer):
    """A Keras model with the classifiers' compile step, compiled with `optimizer`."""
    import tensorflow as tf

    class Model(lean_classifiers._FusedAdam, tf.keras.Model):
        pass

    model = Model()
    model.compile(optimizer=optimizer)
    return model


def test_fused_adam_is_rasas_adam_in_one_kernel():
    """Rasa compiles with Keras's new Adam; the classifiers train with the fused one: same learning rate,
    and the same updates up to rounding."""
    import numpy as np
    import tensorflow as tf

    model = compiled(tf.keras.optimizers.Adam(0.003))
    assert type(model.optimizer) is tf.keras.optimizers.legacy.Adam
    assert float(model.optimizer.learning_rate) == pytest.approx(0.003)

    rng = np.random.default_rng(0)
    start, gradients = rng.normal(size=(50, 8)), rng.normal(size=(6, 50, 8))
    weights = {}
    for name, optimizer in (("new", tf.keras.optimizers.Adam(0.003)), ("fused", model.optimizer)):
        variable = tf.Variable(start, dtype=tf.float32)
        for gradient in gradients:
            optimizer.apply_gradients([(tf.constant(gradient, tf.float32), variable)])
        weights[name] = variable.numpy()
    assert not np.allclose(weights["new"], start, atol=1e-3)  # six real steps were taken
    np.testing.assert_allclose(weights["fused"], weights["new"], rtol=1e-5, atol=1e-6)


def test_other_optimizers_are_left_alone():
    import tensorflow as tf

    assert type(compiled(tf.keras.optimizers.SGD(0.1)).optimizer) is tf.keras.optimizers.SGD


def test_the_training_step_is_rasas_with_the_regularisation_in_one_pass():
    import numpy as np
    import tensorflow as tf
    from rasa.utils.tensorflow.models import RasaModel

    class Small(RasaModel):
        def __init__(self) -> None:
            super().__init__(random_seed=1)
            self.dense = tf.keras.layers.Dense(6, kernel_regularizer=tf.keras.regularizers.l2(0.05))

        def batch_loss(self, batch_in):
            inputs, targets = batch_in
            return tf.reduce_mean(tf.square(self.dense(inputs) - targets))

    class Ours(lean_classifiers._FusedRegularisation, Small):
        pass

    rng = np.random.default_rng(0)
    start = rng.normal(size=(10, 6)).astype(np.float32)
    batches = [(rng.normal(size=(16, 10)).astype(np.float32), rng.normal(size=(16, 6)).astype(np.float32))
               for _ in range(5)]
    kernels = {}
    for model in (Small(), Ours()):
        model.compile(optimizer=tf.keras.optimizers.SGD(0.1))
        model.dense.build((None, 10))
        model.dense.kernel.assign(start)
        for batch in batches:
            model.train_step(batch)
        kernels[type(model)] = model.dense.kernel.numpy()
    assert not np.allclose(kernels[Small], start, atol=1e-2)  # real steps were taken
    np.testing.assert_array_equal(kernels[Ours], kernels[Small])  # the same numbers, not just close

    gradient = tf.constant([[0.5, -0.5, 0.0]])
    assert lean_classifiers._regularised(gradient, tf.constant([[1.0, 1.0, 1.0]])).numpy().tolist() == [[1.5, -0.5, 0.0]]


def test_batches_of_sparse_features_are_rasas_arrays():
    import numpy as np
    import scipy.sparse
    from rasa.utils.tensorflow.model_data import FeatureArray

    rng = np.random.default_rng(3)

    def matrix(rows: int, density: float, fmt: str):
        return scipy.sparse.random(rows, 40, density=density, format=fmt, random_state=rng, dtype=np.float64)

    batch = [matrix(1, 0.2, "coo"), matrix(3, 0.1, "coo"), matrix(1, 0.0, "coo"), matrix(2, 0.3, "coo")]
    for matrices in (batch, [m.tocsr() for m in batch]):  # Rasa's features, and matrices it converts first
        features = FeatureArray(np.array(matrices + [None], dtype=object)[:-1], number_of_dimensions=3)
        ours, rasas = lean_classifiers._sparse_batch(features), lean_classifiers._rasas_sparse_batch(features)
        assert [a.dtype for a in ours] == [a.dtype for a in rasas] == [np.int64, np.float32, np.int64]
        for mine, theirs in zip(ours, rasas, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert ours[2].tolist() == [4, 3, 40] and len(ours[1]) == sum(m.nnz for m in batch) > 0


def test_the_selector_selects_its_examples_as_rasa_does_without_fingerprinting_them(monkeypatch):
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [Message(data={"text": "hoeveel alimentatie", "intent": "faq",
                              "intent_response_key": "faq/alimentatie"}),
                Message(data={"text": "hallo", "intent": "greet"}),
                Message(data={"text": "wat is een ouderschapsplan", "intent": "faq",
                              "intent_response_key": "faq/ouderschapsplan"})]
    responses = {"utter_faq/alimentatie": [{"text": "Alimentatie is ..."}]}
    data = TrainingData(examples, responses=responses)
    is_faq = lambda example: example.get("intent") == "faq"  # noqa: E731
    rasa = data.filter_training_examples(is_faq)

    def fingerprint(self):
        raise AssertionError("examples were fingerprinted again")

    monkeypatch.setattr(Message, "fingerprint", fingerprint)
    ours = lean_classifiers._Loaded.of(data, data.training_examples).filter_training_examples(is_faq)
    assert ours.training_examples == rasa.training_examples == [examples[0], examples[2]]
    assert [e.get("text") for e in ours.intent_examples] == ["hoeveel alimentatie", "wat is een ouderschapsplan"]
    assert ours.responses == rasa.responses == responses


def test_the_collector_skips_the_training_data_only_while_a_classifier_trains(monkeypatch):
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    during = []

    def train(self, training_data):
        during.append(gc.get_freeze_count())
        raise RuntimeError("stopped")

    monkeypatch.setattr(DIETClassifier, "train", train)
    data = [object() for _ in range(1000)]
    classifier = object.__new__(lean_classifiers.LeanDIETClassifier)
    with pytest.raises(RuntimeError):
        classifier.train(data)
    assert during and during[0] >= len(data)
    assert gc.get_freeze_count() == 0
