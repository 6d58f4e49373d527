"""DIET and the ResponseSelector of language/lean_classifiers.py: loaded for prediction only (the same
answers as Rasa's own loading, without an optimizer or a training graph) and trained faster (the fused
Adam, the regularisation in one pass, the garbage collector kept off the training data, batches put
together in whole arrays, examples selected without fingerprinting, no tf.data autotuning)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET

from language import lean_classifiers
from tests.support.model_data import assert_same_model_data

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

    class Small(lean_classifiers._ForPrediction, tf.keras.Model):
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


def test_a_classifier_is_saved_without_the_optimizers_state(tmp_path):
    import numpy as np
    import tensorflow as tf

    Small, _ = small_models()

    class Saved(lean_classifiers._ForPrediction, Small):
        pass

    model = Saved()
    model.compile(optimizer=tf.keras.optimizers.legacy.Adam(0.1))
    model.train_step((np.ones((4, 10), np.float32), np.zeros((4, 6), np.float32)))  # Adam's slots exist now
    model.save(str(tmp_path / "ours.tf_model"))
    model.save_weights(str(tmp_path / "keras.tf_model"))  # Keras's own saving is left as it was
    saved = lambda name: [name for name, _ in tf.train.list_variables(str(tmp_path / name))]  # noqa: E731
    weights = lambda names: sorted(name for name in names if name.endswith("/.ATTRIBUTES/VARIABLE_VALUE")  # noqa: E731
                                   and "optimizer" not in name)
    assert any("OPTIMIZER_SLOT" in name for name in saved("keras.tf_model"))
    assert not any("optimizer" in name.lower() for name in saved("ours.tf_model"))
    assert weights(saved("ours.tf_model")) == weights(saved("keras.tf_model"))
    assert {f"model/{layer}/{weight}/.ATTRIBUTES/VARIABLE_VALUE" for layer in ("hidden", "out", "free")
            for weight in ("kernel", "bias")} <= set(weights(saved("ours.tf_model")))


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


def small_models(extra_loss: bool = False):
    """A small Rasa model trained by Rasa's step and by ours: two L2 kernels with different factors, an
    L1 bias, a weight without a regulariser and, with `extra_loss`, a loss on a layer's activity."""
    import tensorflow as tf
    from rasa.utils.tensorflow.models import RasaModel

    class Small(RasaModel):
        def __init__(self) -> None:
            super().__init__(random_seed=1)
            self.hidden = tf.keras.layers.Dense(
                8, activation="relu", kernel_regularizer=tf.keras.regularizers.l2(0.05),
                bias_regularizer=tf.keras.regularizers.l1(0.01),
                activity_regularizer=tf.keras.regularizers.l2(0.02) if extra_loss else None)
            self.out = tf.keras.layers.Dense(6, kernel_regularizer=tf.keras.regularizers.l2(0.002))
            self.free = tf.keras.layers.Dense(6)

        def batch_loss(self, batch_in):
            inputs, targets = batch_in
            return tf.reduce_mean(tf.square(self.out(self.hidden(inputs)) + self.free(inputs) - targets))

    class Ours(lean_classifiers._FusedRegularisation, Small):
        pass

    return Small, Ours


@pytest.mark.parametrize("extra_loss", [False, True])
def test_the_training_step_is_rasas_with_the_regularisation_in_one_pass(extra_loss):
    import numpy as np
    import tensorflow as tf

    Small, Ours = small_models(extra_loss)
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(16, 10)).astype(np.float32), rng.normal(size=(16, 6)).astype(np.float32))
               for _ in range(5)]
    weights, start = {}, None
    for model in (Small(), Ours()):
        model.compile(optimizer=tf.keras.optimizers.SGD(0.1))
        model.batch_loss(batches[0])  # builds the layers
        start = start or [weight.numpy() for weight in model.trainable_variables]
        for weight, value in zip(model.trainable_variables, start, strict=True):
            weight.assign(value)
        for batch in batches:
            model.train_step(batch)
        weights[type(model)] = [weight.numpy() for weight in model.trainable_variables]
    assert not np.allclose(weights[Small][0], start[0], atol=1e-2)  # real steps were taken
    for ours, rasas in zip(weights[Ours], weights[Small], strict=True):
        np.testing.assert_array_equal(ours, rasas)  # the same numbers, not just close

    model = Ours()
    model.batch_loss(batches[0])
    factors = model._l2_factors(model.trainable_variables, len(model.losses))
    if extra_loss:  # a loss the method does not know: every regularisation gradient from the tape
        assert factors == [None] * 6
    else:  # hidden kernel, hidden bias (L1), out kernel, out bias, free kernel, free bias
        assert factors == [np.float32(0.1), None, np.float32(0.004), None, None, None]

    gradient = tf.constant([[0.5, -0.5, 0.0]])
    assert lean_classifiers._regularised(gradient, tf.constant([[1.0, 1.0, 1.0]])).numpy().tolist() == [[1.5, -0.5, 0.0]]
    assert lean_classifiers._l2_regularised(gradient, tf.constant([[2.0, 2.0, 2.0]]), 0.5).numpy().tolist() == [[1.5, -0.5, 0.0]]


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


def test_the_selector_is_given_only_the_examples_it_reads_and_prepares_the_same_data(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    rows = [("hoeveel alimentatie", "faq", "faq/alimentatie"), ("hallo daar", "greet", None),
            ("wat is een ouderschapsplan", "faq", "faq/plan"), ("vertel een grap", "chitchat", "chitchat/grap"),
            ("alimentatie berekenen", "faq", "faq/alimentatie"), ("goedemorgen", "greet", None),
            ("plan voor de kinderen", "faq", "faq/plan"), ("nog een grap", "chitchat", "chitchat/grap")]
    data = TrainingData([Message(data={"text": text, "intent": intent,
                                       **({"intent_response_key": key} if key else {})})
                         for text, intent, key in rows])
    context = ExecutionContext(GraphSchema({}), "test")
    storage = LocalModelStorage(tmp_path)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage,
                                               Resource("words"), context)
    featurizer.train(data)
    featurizer.process_training_data(data)

    def selector():
        config = {**lean_classifiers.LeanResponseSelector.get_default_config(), "retrieval_intent": "faq"}
        return lean_classifiers.LeanResponseSelector.create(config, storage, Resource("selector"), context)

    read = selector().inputs_read_by("train", {"training_data": data})["training_data"]
    assert [example.get("text") for example in read.training_examples] == [
        text for text, intent, key in rows if key]  # the retrieval intents' examples: no greetings
    assert selector().inputs_read_by("persist", {"training_data": data})["training_data"] is data

    on_all, on_read = selector(), selector()
    prepared = on_all.preprocess_train_data(data), on_read.preprocess_train_data(read)
    assert sorted(on_all.all_retrieval_intents) == sorted(on_read.all_retrieval_intents) == ["chitchat", "faq"]
    assert on_all.index_label_id_mapping == on_read.index_label_id_mapping
    assert prepared[0].number_of_examples() == 4
    assert_same_model_data(*prepared)


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


def test_keras_gets_the_same_batches_without_tf_data_autotuning():
    """The autotuner's thread could keep the end of a training waiting for up to a minute."""
    import numpy as np
    import tensorflow as tf
    from keras.engine.data_adapter import KerasSequenceAdapter

    class Batches(tf.keras.utils.Sequence):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return np.full((2, 4), index, dtype=np.float32), np.arange(2) + index

    adapter = KerasSequenceAdapter(Batches(), shuffle=False)
    keras_dataset, ours = adapter.get_dataset(), lean_classifiers._dataset_without_autotuning(adapter)
    assert keras_dataset.options().autotune.enabled is not False  # tf.data's default: on
    assert ours.options().autotune.enabled is False
    as_lists = lambda dataset: [[part.numpy().tolist() for part in batch] for batch in dataset]  # noqa: E731
    assert as_lists(ours) == as_lists(keras_dataset) and len(as_lists(ours)) == 3


def test_keras_makes_its_datasets_without_autotuning_only_while_a_classifier_trains(monkeypatch):
    from keras.engine.data_adapter import KerasSequenceAdapter
    from rasa.nlu.selectors.response_selector import ResponseSelector

    during = []

    def train(self, training_data):
        during.append(KerasSequenceAdapter.get_dataset)
        raise RuntimeError("stopped")

    monkeypatch.setattr(ResponseSelector, "train", train)
    with pytest.raises(RuntimeError):
        object.__new__(lean_classifiers.LeanResponseSelector).train([])
    assert during == [lean_classifiers._dataset_without_autotuning]
    assert KerasSequenceAdapter.get_dataset is lean_classifiers._keras_sequence_dataset
