"""language/fingerprints.py: the training cache's fingerprints of tokens and features follow their content
(equal content, equal fingerprint; any change, another one), stay the same across processes, and are the
ones Rasa uses once the language package is loaded."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import scipy.sparse
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language import fingerprints

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def token(text="kinderen", start=4, end=12, lemma="kind", data=None) -> Token:
    return Token(text, start, end, data={"pos": "NOUN"} if data is None else data, lemma=lemma)


def sparse(values=(1.0, 2.0), columns=(3, 7), width=10, attribute="text", origin="chars") -> Features:
    matrix = scipy.sparse.coo_matrix((np.array(values, np.float32), ([0] * len(values), columns)), (1, width))
    return Features(matrix, "sentence", attribute, origin)


def test_rasa_fingerprints_with_these_functions_once_the_language_package_is_loaded():
    assert Token.fingerprint is fingerprints.token_fingerprint
    assert Features.fingerprint is fingerprints.features_fingerprint


def test_a_token_fingerprint_follows_every_field():
    assert token().fingerprint() == token().fingerprint()
    changed = [token(text="kinder"), token(start=5), token(end=13), token(lemma="kinderen"),
               token(data={"pos": "VERB"}), token(data={})]
    assert len({t.fingerprint() for t in [token(), *changed]}) == 1 + len(changed)


def test_a_features_fingerprint_follows_values_places_shape_and_names():
    assert sparse().fingerprint() == sparse().fingerprint()
    changed = [sparse(values=(1.0, 2.5)), sparse(columns=(3, 8)), sparse(width=11), sparse(attribute="response"),
               sparse(origin="words")]
    assert len({f.fingerprint() for f in [sparse(), *changed]}) == 1 + len(changed)

    dense = lambda values: Features(np.array([values], np.float32), "sentence", "text", "meaning")  # noqa: E731
    assert dense([0.1, 0.2]).fingerprint() == dense([0.1, 0.2]).fingerprint() != dense([0.1, 0.3]).fingerprint()


def test_training_data_with_one_feature_value_changed_gets_another_fingerprint():
    def data(value: float) -> TrainingData:
        message = Message(data={"text": "kinderen", "intent": "faq", "text_tokens": [token()]})
        message.add_features(sparse(values=(1.0, value)))
        return TrainingData([message])

    assert data(2.0).fingerprint() == data(2.0).fingerprint() != data(3.0).fingerprint()


def test_fingerprints_are_the_same_in_another_process():
    """The cache is read by later trainings: a fingerprint may not depend on the process (hash seeds)."""
    code = ("import sys; sys.path.insert(0, 'tests'); import test_fingerprints as t; "
            "print(t.token().fingerprint(), t.sparse().fingerprint())")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONHASHSEED": "123"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [token().fingerprint(), sparse().fingerprint()]
