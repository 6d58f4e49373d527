"""The FAQ answers, the year's facts file and the municipality files say the same where they state the
same fact: an amount and its year, an age limit. And figures found wrong never come back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.domain.facts import euro, load_facts
from bot.domain.municipalities import load_all
from tests import content_rules

REPO = Path(__file__).resolve().parent.parent
FACTS = load_facts()
ANSWERS = {name: texts[0] for path in sorted((REPO / "data" / "nlu").glob("faq_*.yml"))
           for name, texts in content_rules.load_faq_file(path)[1].items()}

# FAQ answer -> (the facts field it states, stated exactly or rounded to thousands as "ongeveer").
STATED = {
    "utter_faq/toeslagen_kindgebonden_budget": (FACTS.kindgebonden_budget.grens_alleenstaande_ouder, "exact"),
    "utter_faq/toeslagen_kinderbijslag": (FACTS.kinderbijslag.per_kwartaal["0-5"], "exact"),
    "utter_faq/toeslagen_huurtoeslag": (FACTS.huurtoeslag.huurgrens_21_plus, "exact"),
    "utter_faq/toeslagen_kinderopvangtoeslag": (FACTS.kinderopvangtoeslag.inkomensgrens_96_procent, "ongeveer"),
}
# Figures checked and found wrong (facts.md, 2026-12-04): the 2025 zorgtoeslag asset limits given as
# 2026, and a phone number no source ties to Twenterand.
RETRACTED = ["141.896", "141896", "179.429", "179429", "14 0546"]


def _as_written(value: float) -> str:
    """An amount as the answers write it: cents only where it has them."""
    return euro(value, cents=not float(value).is_integer())


def _written(value: float, how: str) -> str:
    return "ongeveer " + euro(round(value, -3)) if how == "ongeveer" else _as_written(value)


@pytest.mark.parametrize("name", sorted(STATED))
def test_an_answer_states_the_amount_of_the_facts_file_with_its_year(name):
    amount, how = STATED[name]
    written = _written(amount.value, how)
    sentence = next((s for s in content_rules.sentences(ANSWERS[name]) if written in s), None)
    assert sentence is not None, f"{name} does not say {written!r} (facts file: {amount.value})"
    year = re.search(r"20\d\d", amount.period_label).group()
    assert year in sentence, f"{name}: {written} without its year {year}: {sentence!r}"


def test_the_individuele_inkomenstoeslag_has_one_age_limit_everywhere():
    answer_age = int(re.search(r"voor mensen van (\d+) jaar tot de AOW-leeftijd",
                               ANSWERS["utter_faq/minima_inkomenstoeslag"]).group(1))
    ages = {key: scheme.min_age for key, municipality in load_all().items()
            for scheme in municipality.schemes if scheme.key == "individuele_inkomenstoeslag"}
    assert ages and set(ages.values()) == {answer_age} == {21}, ages


def test_the_schemes_check_uses_the_asset_limits_of_the_facts_year():
    assert FACTS.year == 2026
    assert (FACTS.zorgtoeslag.vermogensgrens_alleen.value,
            FACTS.zorgtoeslag.vermogensgrens_met_partner.value) == (146011, 184633)


@pytest.mark.parametrize("figure", RETRACTED)
def test_retracted_figures_stay_out_of_everything_a_parent_reads(figure):
    files = [REPO / "domain.yml", *sorted((REPO / "data").rglob("*.yml"))]
    found = [str(path.relative_to(REPO)) for path in files
             if figure in "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                                    if not line.lstrip().startswith("#"))]
    assert not found, f"{figure} is back in {found}"


def test_every_amount_in_an_answer_that_the_facts_file_knows_carries_the_facts_year():
    known = {}
    for section in yaml.safe_load((REPO / "data" / "facts" / "2026.yml").read_text(encoding="utf-8")).values():
        for entry in _amounts(section):
            known[_as_written(entry["value"])] = entry["period_label"]
    for name, text in ANSWERS.items():
        for sentence in content_rules.sentences(text):
            for written, label in known.items():
                if re.search(re.escape(written) + r"(?![\d,.]\d)", sentence):
                    year = re.search(r"20\d\d", label).group()
                    assert year in sentence, f"{name}: {written} is for {label}: {sentence!r}"


def _amounts(node):
    if isinstance(node, dict):
        if "value" in node and "period_label" in node:
            yield node
        else:
            for child in node.values():
                yield from _amounts(child)
