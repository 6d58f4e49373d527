"""The held-out sets are large enough, split in two halves, and never part of the training data."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from language.rasa_components import exact_key
from tests import content_rules, heldout
from tests.test_content import EXAMPLES


def keys(text: str) -> set[str]:
    """Spellings that count as the same sentence: punctuation dropped ("ouderkop?"), or read as a word
    break ("alleenstaande-ouderkop" is "alleenstaande ouderkop")."""
    return {exact_key(text), exact_key(re.sub(r"[^\w\s]", " ", text))}


TRAINING = {key for text in content_rules.training_examples() for key in keys(text)}


def both(function) -> list[heldout.Item]:
    return function("dev") + function("test")


def test_no_held_out_sentence_is_training_data():
    leaked = [text for text in heldout.all_texts() if keys(text) & TRAINING]
    assert not leaked, leaked


def test_no_sentence_is_in_both_halves():
    for function in (heldout.faq, heldout.safety, heldout.harmless, heldout.out_of_scope, heldout.municipality):
        dev = {exact_key(i.text) for i in function("dev")}
        assert not dev & {exact_key(i.text) for i in function("test")}, function.__name__


def test_every_faq_answer_has_at_least_five_questions():
    per_answer = Counter(item.label for item in both(heldout.faq))
    assert set(per_answer) == set(EXAMPLES)
    assert min(per_answer.values()) >= 5
    assert sum(per_answer.values()) >= 575


def test_the_faq_questions_written_so_far_cover_their_topics():
    per_answer = Counter(item.label for item in both(heldout.faq))
    assert set(per_answer) <= set(EXAMPLES)
    topics = {label.split("/")[1].split("_")[0] for label in per_answer}
    covered = [key for key in EXAMPLES if key.split("/")[1].split("_")[0] in topics]
    assert set(per_answer) == set(covered), "a topic is either complete or not started"
    assert min(per_answer.values()) >= 4


def test_sizes_of_the_other_sets():
    assert len(both(heldout.safety)) >= 150
    assert {item.group for item in both(heldout.safety)} >= {
        "physical", "threats", "strangulation", "coercive_control", "stalking", "isolation",
        "child_abuse", "sexual_abuse", "direct", "indirect", "self_harm"}
    assert len(both(heldout.harmless)) >= 150
    assert len(both(heldout.out_of_scope)) >= 80
    assert len(both(heldout.municipality)) >= 40


@pytest.mark.parametrize("function", [heldout.faq, heldout.safety, heldout.municipality])
def test_halves_are_about_even(function):
    dev, test = len(function("dev")), len(function("test"))
    assert abs(dev - test) <= max(2, 0.1 * (dev + test))


def test_labels_are_known():
    assert {item.label for item in both(heldout.safety)} == {"safety_violence", "safety_suicide"}
    from language.gemeenten import canonical
    for item in both(heldout.municipality):
        assert canonical(item.label) == item.label, item.label
