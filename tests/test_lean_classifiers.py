"""DIET and the ResponseSelector loaded for prediction only (language/lean_classifiers.py): the same answers
as Rasa's own loading, without an optimizer or a training graph."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

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

    monkeypatch.setattr(lean_classifiers.LeanDIETClassifier, "model_class", staticmethod(lambda: DIET))
    monkeypatch.setattr(lean_classifiers.LeanResponseSelector, "model_class",
                        staticmethod(lambda use_text_as_label: DIET2DIET if use_text_as_label else DIET2BOW))
    rasa, rasa_models = understood(trained_model)
    assert {type(model) for model in rasa_models} == {DIET, DIET2BOW}
    assert all(getattr(model, "optimizer", None) is not None for model in rasa_models)  # Rasa's way: trained on one example
    assert lean == rasa
    assert lean[2][0][0][0] == "safety_violence"  # "mijn ex slaat me": real rankings, not empty ones
