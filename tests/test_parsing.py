"""The schemes check understands amounts, children and housing the way parents type them."""

from __future__ import annotations

import pytest

from bot.domain.parsing import Children, parse_children, parse_housing, parse_monthly_income


@pytest.mark.parametrize(("text", "expected"), [
    ("1800", 1800.0),
    ("1.800", 1800.0),
    ("€1800,-", 1800.0),
    ("€ 1.800", 1800.0),
    ("ongeveer 2000 euro", 2000.0),
    ("ik verdien 1.650 netto", 1650.0),
    ("1.650,50", 1650.5),
    ("2k", 2000.0),
    ("2,5k", 2500.0),
    ("tussen de 1500 en 2000", 1750.0),
    ("€ 1.500 - € 2.000", 1750.0),
    ("30.000 per jaar", 2500.0),
    ("geen", 0.0),
    ("niks", 0.0),
])
def test_monthly_income_amounts(text, expected):
    assert parse_monthly_income(text) == expected


@pytest.mark.parametrize("text", ["abc", "12", "weet ik niet", "100000", "", "veel"])
def test_unbelievable_or_missing_income_is_asked_again(text):
    assert parse_monthly_income(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2 kinderen van 4 en 7", Children(2, (4, 7))),
    ("een dochter van 12", Children(1, (12,))),
    ("één zoon van 3 jaar", Children(1, (3,))),
    ("twee kids 8 jaar en 11 jaar", Children(2, (8, 11))),
    ("4 en 7", Children(2, (4, 7))),
    ("ze is 15", Children(1, (15,))),
    ("mijn zoon is 6", Children(1, (6,))),
    ("tweeling van 5", Children(2, (5, 5))),
    ("geen", Children(0, ())),
    ("geen kinderen", Children(0, ())),
])
def test_children_with_ages(text, expected):
    assert parse_children(text) == expected


@pytest.mark.parametrize(("text", "count"), [("drie", 3), ("ik heb 3 kinderen", 3), ("2", 2)])
def test_children_count_without_ages_is_incomplete(text, count):
    children = parse_children(text)
    assert children.count == count and not children.complete


@pytest.mark.parametrize("text", ["ja", "weet ik niet", "veel", "20 kinderen"])
def test_children_not_understood(text):
    assert parse_children(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("huur", "huur"),
    ("in een huurhuis", "huur"),
    ("we hebben een koophuis", "koop"),
    ("koophuis", "koop"),
    ("met hypotheek", "koop"),
    ("ik woon bij mijn moeder", "anders"),
    ("ik woon ergens anders in", "anders"),
    ("in de opvang", "anders"),
    ("weet niet", None),
    ("", None),
])
def test_housing(text, expected):
    assert parse_housing(text) == expected
