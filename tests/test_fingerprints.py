"""language/fingerprints.py: the training cache's fingerprints of tokens and features follow their content
(equal content, equal fingerprint; any change, another one), stay the same across processes, and are the
ones the training command has Rasa use."""

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


def test_the_training_command_trains_with_these_fingerprints_and_the_concurrent_runner(monkeypatch):
    import rasa.__main__
    import rasa.model_training
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    from language import concurrent_training, training_shortcuts

    monkeypatch.setattr(Token, "fingerprint", Token.fingerprint)  # restored after the test
    monkeypatch.setattr(Features, "fingerprint", Features.fingerprint)
    monkeypatch.setattr(Message, "fingerprint", Message.fingerprint)
    monkeypatch.setattr(SpacyNLP, "load_model", SpacyNLP.__dict__["load_model"])
    monkeypatch.setattr(SpacyNLP, "_docs_for_training_data", SpacyNLP._docs_for_training_data)
    monkeypatch.setattr(rasa.model_training, "DaskGraphRunner", rasa.model_training.DaskGraphRunner)
    seen = {}

    def rasa_main() -> None:
        seen.update(argv=sys.argv[:], token=Token.fingerprint, features=Features.fingerprint,
                    message=Message.fingerprint, docs=SpacyNLP._docs_for_training_data,
                    runner=rasa.model_training.DaskGraphRunner)

    monkeypatch.setattr(rasa.__main__, "main", rasa_main)
    monkeypatch.setattr(sys, "argv", sys.argv[:])
    concurrent_training.main(["train", "--force"])
    assert seen == {"argv": ["rasa", "train", "--force"], "token": fingerprints.token_fingerprint,
                    "features": fingerprints.features_fingerprint, "message": fingerprints.message_fingerprint,
                    "docs": training_shortcuts.docs_without_entities,
                    "runner": concurrent_training.ConcurrentGraphRunner}


def test_a_token_fingerprint_follows_every_field():
    of = fingerprints.token_fingerprint
    assert of(token()) == of(token())
    changed = [token(text="kinder"), token(start=5), token(end=13), token(lemma="kinderen"),
               token(data={"pos": "VERB"}), token(data={})]
    assert len({of(t) for t in [token(), *changed]}) == 1 + len(changed)


def test_a_features_fingerprint_follows_values_places_shape_and_names():
    of = fingerprints.features_fingerprint
    assert of(sparse()) == of(sparse())
    changed = [sparse(values=(1.0, 2.5)), sparse(columns=(3, 8)), sparse(width=11), sparse(attribute="response"),
               sparse(origin="words")]
    assert len({of(f) for f in [sparse(), *changed]}) == 1 + len(changed)

    dense = lambda values: Features(np.array([values], np.float32), "sentence", "text", "meaning")  # noqa: E731
    assert of(dense([0.1, 0.2])) == of(dense([0.1, 0.2])) != of(dense([0.1, 0.3]))


def test_a_message_fingerprint_follows_data_tokens_and_features_in_any_key_order():
    of = fingerprints.message_fingerprint

    def message(text="mijn kinderen", lemma="kind", value=2.0, intent="faq", order=1) -> Message:
        data = {"text": text, "intent": intent, "text_tokens": [token(lemma=lemma)]}
        data = dict(reversed(data.items())) if order < 0 else data
        built = Message(data=data)
        built.add_features(sparse(values=(1.0, value)))
        return built

    assert of(message()) == of(message()) == of(message(order=-1))
    changed = [message(text="mijn kind"), message(lemma="kinderen"), message(value=3.0), message(intent="greet")]
    assert len({of(m) for m in [message(), *changed]}) == 1 + len(changed)


def test_training_data_with_one_feature_value_changed_gets_another_fingerprint(monkeypatch):
    monkeypatch.setattr(Token, "fingerprint", Token.fingerprint)  # restored after the test
    monkeypatch.setattr(Features, "fingerprint", Features.fingerprint)
    fingerprints.install()

    def data(value: float) -> TrainingData:
        message = Message(data={"text": "kinderen", "intent": "faq", "text_tokens": [token()]})
        message.add_features(sparse(values=(1.0, value)))
        return TrainingData([message])

    assert data(2.0).fingerprint() == data(2.0).fingerprint() != data(3.0).fingerprint()


def test_fingerprints_are_the_same_in_another_process():
    """The cache is read by later trainings: a fingerprint may not depend on the process (hash seeds)."""
    code = ("import sys; sys.path.insert(0, 'tests'); import test_fingerprints as t; "
            "from language.fingerprints import token_fingerprint as a, features_fingerprint as b; "
            "print(a(t.token()), b(t.sparse()))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONHASHSEED": "123"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [fingerprints.token_fingerprint(token()), fingerprints.features_fingerprint(sparse())]
