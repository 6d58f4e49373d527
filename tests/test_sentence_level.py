"""The classifiers get the word and character counts per sentence only, and the pipeline processes
nothing they do not read (language/sentence_level.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
import yaml
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.sentence_level import ORIGIN, SentenceCountsFeaturizer, SentenceLevelOnly, WithoutAnswerTexts

CONFIG = Path(__file__).resolve().parents[1] / "config.yml"


def featurised() -> Message:
    message = Message(data={TEXT: "hoe wordt alimentatie berekend"})
    counts = scipy.sparse.coo_matrix(np.ones((4, 3)))
    for origin in ("words", "chars", "lexical"):
        message.add_features(Features(counts, "sequence", TEXT, origin))
        message.add_features(Features(counts.sum(axis=0), "sentence", TEXT, origin))
    message.add_features(Features(counts, "sequence", ACTION_TEXT, "words"))
    return message


def kept(message: Message) -> set[tuple[str, str, str]]:
    return {(f.attribute, f.type, f.origin) for f in message.features}


def test_the_text_keeps_its_sentence_features_and_gets_one_token():
    component = SentenceLevelOnly({})
    message = component.process([featurised()])[0]
    assert kept(message) == {
        (TEXT, "sentence", "words"), (TEXT, "sentence", "chars"), (TEXT, "sentence", "lexical"),
        (TEXT, "sequence", ORIGIN),
        (ACTION_TEXT, "sequence", "words"),  # other attributes keep their tokens
    }
    token = message.get_sparse_features(TEXT)[0]
    assert token.features.shape == (1, 1) and token.features.toarray().tolist() == [[1.0]]
    trained = component.process_training_data(TrainingData([featurised()])).training_examples[0]
    assert kept(trained) == kept(message)


def test_a_message_without_featurised_text_is_left_alone():
    answer = Message(data={"response": "Kinderalimentatie is ..."})
    answer.add_features(Features(scipy.sparse.coo_matrix(np.ones((2, 3))), "sequence", "response", "words"))
    assert kept(SentenceLevelOnly({}).process([answer])[0]) == {("response", "sequence", "words")}


def test_config_has_no_token_featurizers_and_the_classifiers_have_no_transformer():
    """One token per text is only harmless while nothing mixes tokens into the sentence position."""
    pipeline = [c["name"] for c in yaml.safe_load(CONFIG.read_text())["pipeline"]]
    assert "LexicalSyntacticFeaturizer" not in pipeline  # its token features would be dropped unread
    one_token = pipeline.index("language.sentence_level.SentenceLevelOnly")
    featurizers = [i for i, name in enumerate(pipeline) if "Featurizer" in name]
    assert one_token > max(featurizers)
    for component in yaml.safe_load(CONFIG.read_text())["pipeline"]:
        if component["name"].endswith(("DIETClassifier", "ResponseSelector")):
            assert pipeline.index(component["name"]) > one_token
            assert component.get("number_of_transformer_layers", 0) == 0
            assert not component.get("use_masked_language_model", False)


ROWS = [("hoeveel alimentatie krijg ik", "faq", "faq/alimentatie"), ("hallo daar", "greet", None),
        ("wat is een ouderschapsplan", "faq", "faq/plan"), ("alimentatie berekenen", "faq", "faq/alimentatie"),
        ("goedemorgen", "greet", None), ("plan voor de kinderen", "faq", "faq/plan")]
ANSWERS = {"utter_faq/alimentatie": [{"text": "Alimentatie is geld voor de kinderen."}],
           "utter_faq/plan": [{"text": "In een ouderschapsplan staan de afspraken."}]}


def with_answers() -> TrainingData:
    return TrainingData([Message(data={TEXT: text, "intent": intent, **({"intent_response_key": key} if key else {})})
                         for text, intent, key in ROWS], responses=ANSWERS)


def prepared(ours: bool, analyzer: str, tmp_path: Path) -> tuple[Any, TrainingData]:
    """Training data with answer texts through Rasa's count featurizer, or through WithoutAnswerTexts
    and SentenceCountsFeaturizer; then SentenceLevelOnly. And the featurizer."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    data = with_answers()
    assert data.training_examples[0].get(RESPONSE)  # Rasa gives an answer's examples its text
    if ours:
        WithoutAnswerTexts().process_training_data(data)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    featurizer_class = SentenceCountsFeaturizer if ours else CountVectorsFeaturizer
    config = {**featurizer_class.get_default_config(), "analyzer": analyzer, "min_ngram": 1,
              "max_ngram": 1 if analyzer == "word" else 3}
    folder = tmp_path / featurizer_class.__name__ / analyzer
    folder.mkdir(parents=True)
    storage = LocalModelStorage(folder)
    featurizer = featurizer_class.create(config, storage, Resource(analyzer), ExecutionContext(GraphSchema({}), "t"))
    featurizer.train(data)
    featurizer.process_training_data(data)
    return featurizer, SentenceLevelOnly({}).process_training_data(data)


def features(message: Message) -> list[tuple[str, str, str, list, Any]]:
    return [(f.attribute, f.type, f.origin, f.features.toarray().tolist(), f.features.dtype)
            for f in message.features]


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_the_classifiers_get_the_features_of_rasas_count_featurizer_without_the_unread_ones(analyzer, tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    rasas_featurizer, rasas = prepared(False, analyzer, tmp_path)
    ours_featurizer, ours = prepared(True, analyzer, tmp_path)
    for rasas_message, our_message in zip(rasas.training_examples, ours.training_examples, strict=True):
        assert features(our_message) == [f for f in features(rasas_message) if f[0] != RESPONSE]
    assert any(f[0] == RESPONSE for f in features(rasas.training_examples[0]))  # Rasa counted the answer
    # A user's message after loading: the same sentence counts, no token counts.
    ours_featurizer.persist()
    loaded = SentenceCountsFeaturizer.load(ours_featurizer._config, ours_featurizer._model_storage,
                                           Resource(analyzer), ExecutionContext(GraphSchema({}), "t"))
    rasas_message, our_message = (Message(data={TEXT: "hoeveel alimentatie voor een kind"}) for _ in range(2))
    for featurizer, message in ((rasas_featurizer, rasas_message), (loaded, our_message)):
        WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
        featurizer.process([message])
    sentence = [f for f in features(rasas_message) if f[1] == "sentence"]
    assert features(our_message) == sentence and np.any(sentence[0][3])


def test_diet_and_the_selector_prepare_the_same_data_without_the_answer_texts(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from language.lean_classifiers import LeanDIETClassifier, LeanResponseSelector
    from tests.support.model_data import assert_same_model_data

    rasas, ours = prepared(False, "word", tmp_path)[1], prepared(True, "word", tmp_path)[1]
    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "t")
    for classifier, extra in ((LeanDIETClassifier, {"entity_recognition": False}),
                              (LeanResponseSelector, {"retrieval_intent": "faq"})):
        config = {**classifier.get_default_config(), **extra}
        on_rasas, on_ours = (classifier.create(config, storage, Resource(classifier.__name__), context)
                             for _ in range(2))
        assert_same_model_data(on_rasas.preprocess_train_data(rasas), on_ours.preprocess_train_data(ours))
        assert_same_model_data(on_rasas._label_data, on_ours._label_data)


def test_answer_texts_are_taken_off_the_training_examples_only():
    data = with_answers()
    with_answer = data.training_examples[0]
    before = with_answer.fingerprint()
    WithoutAnswerTexts().process_training_data(data)
    assert all(RESPONSE not in example.data for example in data.training_examples)
    assert with_answer.data == {TEXT: ROWS[0][0], "intent": "faq", "intent_response_key": "faq/alimentatie"}
    assert with_answer.fingerprint() != before  # Rasa's training cache sees the change
    assert data.responses == ANSWERS  # the answers themselves stay
    message = Message(data={TEXT: "hallo", RESPONSE: "?"})
    assert WithoutAnswerTexts().process([message]) == [message] and message.get(RESPONSE) == "?"


def test_config_counts_with_sentence_counts_and_takes_the_unread_answer_texts_off_first():
    pipeline = yaml.safe_load(CONFIG.read_text())["pipeline"]
    names = [component["name"] for component in pipeline]
    assert names[0] == "language.sentence_level.WithoutAnswerTexts"
    assert "CountVectorsFeaturizer" not in names
    assert names.count("language.sentence_level.SentenceCountsFeaturizer") == 2
    for component in pipeline:  # a selector learning answer texts would read them
        if component["name"].endswith("ResponseSelector"):
            assert not component.get("use_text_as_label", False)
