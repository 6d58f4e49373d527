"""The training command's shortcuts in preparing the data (language/training_shortcuts.py): spaCy's
pipeline loaded once, the training data parsed without entities into the same tokens and lemmas, and a
user's message still parsed with them."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language import training_shortcuts
from tests.conftest import PIPELINE

TEXTS = ("ik woon in Zwolle en betaal 250 euro per maand", "mijn ex woont in Amersfoort met onze 2 kinderen",
         "hoe wordt kinderalimentatie berekend")


@pytest.fixture
def installed(monkeypatch):
    """The shortcuts, for this test only (the training command installs them for good)."""
    monkeypatch.setattr(SpacyNLP, "load_model", SpacyNLP.__dict__["load_model"])
    monkeypatch.setattr(SpacyNLP, "_docs_for_training_data", SpacyNLP._docs_for_training_data)
    training_shortcuts.install()


def spacy_nlp(tmp_path) -> SpacyNLP:
    context = ExecutionContext(GraphSchema({}), "test")
    return SpacyNLP.create({**SpacyNLP.get_default_config(), "model": str(PIPELINE)},
                           LocalModelStorage(tmp_path), Resource("spacy"), context)


def parsed_training_data(tmp_path) -> tuple[list, list]:
    """Each example's tokens (every field a fingerprint covers) and spaCy's entities in its document."""
    data = TrainingData([Message(data={"text": text, "intent": "faq"}) for text in TEXTS])
    component = spacy_nlp(tmp_path)
    component.process_training_data(data, component.provide())
    SpacyTokenizer(SpacyTokenizer.get_default_config()).process_training_data(data)
    tokens = [[(t.text, t.start, t.end, t.lemma, t.data) for t in example.get("text_tokens")]
              for example in data.training_examples]
    return tokens, [[entity.label_ for entity in example.get("text_spacy_doc").ents]
                    for example in data.training_examples]


def test_the_training_data_gets_the_same_tokens_and_lemmas_without_entities(tmp_path, installed):
    ours = parsed_training_data(tmp_path)
    with pytest.MonkeyPatch.context() as rasas_own:
        rasas_own.setattr(SpacyNLP, "_docs_for_training_data", training_shortcuts._rasas_docs_for_training_data)
        rasas = parsed_training_data(tmp_path)
    assert ours[0] == rasas[0]
    assert "gemeente" in rasas[1][0] and "gemeente" in rasas[1][1]  # Rasa's parse matched the ruler
    assert ours[1] == [[], [], []]


def test_a_users_message_is_still_parsed_with_entities(tmp_path, installed):
    component = spacy_nlp(tmp_path)
    message = Message(data={"text": TEXTS[0]})
    component.process([message], component.provide())
    assert "gemeente" in [entity.label_ for entity in message.get("text_spacy_doc").ents]


def test_the_pipeline_is_loaded_once(tmp_path, installed):
    assert spacy_nlp(tmp_path).provide().model is spacy_nlp(tmp_path).provide().model

