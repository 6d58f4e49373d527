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

from language.sentence_level import SentenceLevelCounts

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


def test_token_counts_of_the_named_featurizers_go_and_the_rest_stays():
    component = SentenceLevelCounts({"featurizers": ["words", "chars"]})
    message = component.process([featurised()])[0]
    assert kept(message) == {
        (TEXT, "sentence", "words"), (TEXT, "sentence", "chars"),
        (TEXT, "sequence", "lexical"), (TEXT, "sentence", "lexical"),
        (ACTION_TEXT, "sequence", "words"),
    }
    trained = component.process_training_data(TrainingData([featurised()])).training_examples[0]
    assert kept(trained) == kept(message)


def test_config_drops_exactly_the_count_featurizers_and_the_classifiers_have_no_transformer():
    """Dropping token features is only harmless while nothing mixes tokens into the sentence position."""
    pipeline = yaml.safe_load(CONFIG.read_text())["pipeline"]
    aliases = {c.get("alias") for c in pipeline if c["name"] == "CountVectorsFeaturizer"}
    dropper = next(c for c in pipeline if c["name"] == "language.sentence_level.SentenceLevelCounts")
    assert set(dropper["featurizers"]) == aliases == {"words", "chars"}
    for name in ("LeanDIETClassifier", "LeanResponseSelector"):  # language.lean_classifiers
        classifier = next(c for c in pipeline if c["name"].endswith(name))
        assert classifier.get("number_of_transformer_layers", 0) == 0
        assert not classifier.get("use_masked_language_model", False)
