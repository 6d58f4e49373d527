"""The classifiers get the word and character counts per sentence only (language/sentence_level.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse
import yaml
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.sentence_level import ORIGIN, SentenceLevelOnly

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
