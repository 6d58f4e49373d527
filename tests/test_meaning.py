"""The semantic layer: the sentence encoder, the featurizer, the meaning classifier and the guards that use it."""

from __future__ import annotations

import os

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from language import sentence_encoder
from language.meaning_classifier import MeaningClassifier
from language.rasa_components import SafetyGuard, ScopeGuard
from language.semantic_featurizer import SentenceMeaningFeaturizer

EXAMPLES = [
    ("hoeveel kinderalimentatie moet ik betalen", "faq"),
    ("wie krijgt het huis na de scheiding", "faq"),
    ("hij slaat me", "safety_violence"),
    ("mijn ex bedreigt me", "safety_violence"),
    ("ik wil niet meer leven", "safety_suicide"),
    ("geef me een recept voor soep", "out_of_scope"),
    ("hoe laat speelt ajax", "out_of_scope"),
    ("wie betaalt de schoolreis van de kinderen", "faq"),
    ("hoe vraag ik huurtoeslag aan", "faq"),
    ("moeten we een ouderschapsplan maken", "faq"),
    ("hoeveel partneralimentatie krijg ik", "faq"),
    ("ik heb schulden, wie helpt mij", "faq"),
    ("mijn man heeft me geschopt", "safety_violence"),
    ("ik wil dood", "safety_suicide"),
]


def test_vectors_are_unit_length_and_meaning_beats_words():
    vectors = sentence_encoder.embed(["mijn man mishandelt mij", "mijn man doet me pijn", "hij schopt een bal"])
    assert vectors.shape == (3, sentence_encoder.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # Different words, same meaning: closer than the same verb in another sense.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_cache_returns_the_same_vector():
    first = sentence_encoder.embed_one("een zin om te onthouden")
    assert np.array_equal(first, sentence_encoder.embed_one("een zin om te onthouden"))
    assert sentence_encoder.embed([]).shape == (0, sentence_encoder.DIMENSIONS)


def test_the_encoder_leaves_blas_one_thread():
    """Rasa encodes one message at a time; OpenBLAS's idle threads spun after every multi-threaded call
    and took half of Rasa's CPU per message (issue 15)."""
    from threadpoolctl import threadpool_info

    sentence_encoder.embed_one("nog een zin")
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_a_training_encodes_on_every_core_with_the_same_vectors_then_one_thread_again():
    from threadpoolctl import threadpool_info

    texts = [f"zin nummer {number} over de omgangsregeling" for number in range(40)]
    one_thread = sentence_encoder._model().encode(texts)
    seen = []
    backend = sentence_encoder._model()._model
    with sentence_encoder.on_every_core():
        seen.append(backend.threads)
        every_core = sentence_encoder._model().encode(texts)
    assert seen == [len(os.sched_getaffinity(0))] and backend.threads == 1
    assert np.array_equal(every_core, one_thread)  # bit for bit: the model does not change
    sentence_encoder.embed_one("en weer een zin")
    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")


def test_featurizer_adds_a_sentence_feature_to_messages_with_text():
    featurizer = SentenceMeaningFeaturizer(SentenceMeaningFeaturizer.get_default_config(), "meaning")
    message, empty = Message(data={TEXT: "hoe werkt kinderalimentatie"}), Message(data={})
    featurizer.process([message, empty])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None and sentence.features.shape == (1, sentence_encoder.DIMENSIONS)
    assert empty.features == []


SAFETY = ("safety_violence", "safety_suicide")


def test_meaning_classifier_saves_and_loads(tmp_path):
    meaning = MeaningClassifier.build(EXAMPLES, SAFETY, 0.5)
    meaning.save(tmp_path / "m.npz")
    loaded = MeaningClassifier.load(tmp_path / "m.npz")
    assert loaded.classes == ("", *SAFETY)
    heard = loaded.probabilities("ik wil er niet meer zijn")
    assert max(heard, key=heard.get) == "safety_suicide" and sum(heard.values()) > 0.5
    assert MeaningClassifier.build(EXAMPLES[:2], SAFETY).probabilities("hij slaat me") == {}


def test_two_classes_give_one_probability_that_matches_scikit_learn():
    meaning = MeaningClassifier.build(EXAMPLES, ("out_of_scope",))
    inside, outside = meaning.probabilities("wie krijgt het huis"), meaning.probabilities("recept voor soep")
    assert outside["out_of_scope"] > 0.5 > inside["out_of_scope"]


def _message(text: str, intent: str, confidence: float = 0.99) -> Message:
    return Message(data={TEXT: text, "intent": {"name": intent, "confidence": confidence},
                         "intent_ranking": [{"name": intent, "confidence": confidence}]})


def test_scope_guard_refuses_what_is_closest_to_out_of_scope_examples():
    guard = ScopeGuard({"threshold": 0.5}, meaning=MeaningClassifier.build(EXAMPLES, ("out_of_scope",)))
    recipe, question = _message("een recept voor tomatensoep graag", "faq"), _message(
        "hoeveel alimentatie betaal ik voor de kinderen", "faq")
    flow = _message("een recept voor tomatensoep graag", "request_human")
    guard.process([recipe, question, flow])
    assert recipe.get("intent")["name"] == "out_of_scope"
    assert recipe.get("classifier_intent")["name"] == "faq"
    assert question.get("intent")["name"] == "faq"
    assert flow.get("intent")["name"] == "request_human"  # flows and commands are not its business


def test_safety_guard_hears_a_signal_by_its_meaning():
    guard = SafetyGuard({"semantic_alarm": 0.6, "semantic_doubt": 0.55},
                        meaning=MeaningClassifier.build(EXAMPLES, SAFETY, 0.5))
    unseen = _message("mijn vriend tuigt me af", "faq")
    ordinary = _message("wie betaalt de kinderalimentatie", "faq")
    guard.process([unseen, ordinary])
    assert unseen.get("intent")["name"] == "safety_violence"
    assert ordinary.get("intent")["name"] == "faq"


def test_safety_guard_without_meaning_thresholds_decides_as_before():
    guard = SafetyGuard({"semantic_alarm": 2.0, "semantic_doubt": 2.0},
                        meaning=MeaningClassifier.build(EXAMPLES, SAFETY, 0.5))
    unseen = _message("mijn vriend tuigt me af", "faq")
    guard.process([unseen])
    assert unseen.get("intent")["name"] == "faq"


def test_a_doubtful_signal_in_a_faq_question_keeps_the_answer():
    guard = SafetyGuard({"semantic_alarm": 2.0, "semantic_doubt": 2.0, "classifier_threshold": 0.9})
    message = Message(data={
        TEXT: "ik ben bang, hoeveel kinderalimentatie krijg ik",
        "intent": {"name": "safety_violence", "confidence": 0.6},
        "intent_ranking": [{"name": "safety_violence", "confidence": 0.6}, {"name": "faq", "confidence": 0.3}],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/kinderalimentatie_berekening",
                                                   "confidence": 0.9}}},
    })
    guard.process([message])
    assert message.get("intent")["name"] == "share_worry"
    assert message.get("faq_answer_too") == "faq/kinderalimentatie_berekening"


def test_a_question_that_names_a_municipality_and_asks_for_help_there_gets_the_local_answer():
    from language.rasa_components import MunicipalityGuard

    guard = MunicipalityGuard({"help_words": ["regeling", "waar kan ik", "terecht"]})
    place = [{"entity": "gemeente", "value": "Dordrecht"}]
    local = Message(data={TEXT: "Heeft Dordrecht een regeling voor schoolkosten?", "entities": place,
                          "intent": {"name": "faq", "confidence": 0.9}})
    train = Message(data={TEXT: "hoe laat gaat de trein naar Dordrecht", "entities": place,
                          "intent": {"name": "out_of_scope", "confidence": 0.9}})
    unnamed = _message("waar kan ik terecht met schulden", "faq")
    flow = Message(data={TEXT: "ik wil in Dordrecht met een mens praten, waar kan ik terecht",
                         "entities": place, "intent": {"name": "request_human", "confidence": 0.9}})
    guard.process([local, train, unnamed, flow])
    assert [m.get("intent")["name"] for m in (local, train, unnamed, flow)] == [
        "ask_municipality", "out_of_scope", "faq", "request_human"]


def test_a_question_whose_answer_is_about_safety_gets_the_helplines_first():
    guard = SafetyGuard({"semantic_alarm": 2.0, "semantic_doubt": 2.0})
    message = Message(data={
        TEXT: "de buurvrouw schreeuwt elke nacht en ik hoor klappen, wat moet ik doen",
        "intent": {"name": "faq", "confidence": 0.95},
        "intent_ranking": [{"name": "faq", "confidence": 0.95}],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/omgeving_zorgen_veiligheid",
                                                   "confidence": 0.8}}},
    })
    guard.process([message])
    assert message.get("intent")["name"] == "share_worry"
    assert message.get("faq_answer_too") == "faq/omgeving_zorgen_veiligheid"


def test_a_classifier_for_every_intent_has_no_other_class():
    meaning = MeaningClassifier.build(EXAMPLES, None, 4.0)
    assert meaning.classes == ("faq", "out_of_scope", "safety_suicide", "safety_violence")
    heard = meaning.probabilities("geef me een recept voor appeltaart")
    assert abs(sum(heard.values()) - 1.0) < 1e-4 and max(heard, key=heard.get) == "out_of_scope"


def test_the_meaning_vote_settles_what_diet_was_unsure_of():
    from language.meaning_vote import MeaningIntentVote

    vote = MeaningIntentVote({"weight": 0.5}, meaning=MeaningClassifier.build(EXAMPLES, None, 4.0))
    unsure = Message(data={TEXT: "mijn vriend heeft me in elkaar geslagen", "intent_ranking": [
        {"name": "faq", "confidence": 0.4}, {"name": "safety_violence", "confidence": 0.35},
        {"name": "out_of_scope", "confidence": 0.25}]})
    untouched = Message(data={TEXT: "iets zonder ranking"})
    vote.process([unsure, untouched])
    ranking = unsure.get("intent_ranking")
    assert unsure.get("intent")["name"] == "safety_violence" == ranking[0]["name"]
    # Above what DIET gave its own first choice; still a distribution.
    assert ranking[0]["confidence"] > 0.4 and abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-4
    assert untouched.get("intent") is None


def test_faq_answers_are_ranked_by_the_selector_and_the_meaning_together():
    from language.faq_meaning import FaqMeaningSelector

    answers = [("hoeveel kinderalimentatie moet ik betalen", "faq/kinderalimentatie"),
               ("wat kost een kind per maand", "faq/kinderalimentatie"),
               ("hoe vraag ik huurtoeslag aan", "faq/huurtoeslag"),
               ("krijg ik hulp bij de huur", "faq/huurtoeslag"),
               ("wie krijgt het huis na de scheiding", "faq/huis"),
               ("moeten we ons koophuis verkopen", "faq/huis")]
    selector = FaqMeaningSelector({}, meaning=MeaningClassifier.build(answers, None, 128.0, balanced=False))
    message = Message(data={TEXT: "kan ik geld krijgen voor mijn huurwoning", "response_selector": {"faq": {
        "ranking": [{"intent_response_key": "faq/huis", "confidence": 0.5},
                    {"intent_response_key": "faq/huurtoeslag", "confidence": 0.4}],
        "response": {"intent_response_key": "faq/huis", "confidence": 0.5}}}})
    selector.process([message])
    selected = message.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/huurtoeslag"
    assert selected["response"]["utter_action"] == "utter_faq/huurtoeslag"
    assert [r["intent_response_key"] for r in selected["ranking"]][0] == "faq/huurtoeslag"
    assert len(selected["ranking"]) == 3


def test_the_safety_meaning_also_learns_from_the_calm_examples():
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from language import safety

    calm = safety.calm_examples()
    assert len(calm) >= 100 and len(set(calm)) == len(calm)
    # No pattern fires on them; a joke ("mijn baas vermoordt me ... haha") may: better the helplines once
    # too often than a threat missed.
    assert not [text for text in calm if safety.load().detect(text) and "haha" not in text]
    data = TrainingData([Message(data={TEXT: "hij slaat me", "intent": "safety_violence"})])
    examples = SafetyGuard({}).training_examples(data)
    assert examples[0] == ("hij slaat me", "safety_violence")
    assert {text for text, intent in examples[1:] if intent == ""} == set(calm)

