"""spaCy entity-ruler patterns for the entities the assistant uses.

Labels: gemeente, bedrag (money), aantal_kinderen, leeftijd (age of a child), dag, dagdeel.
Values are the matched text; actions normalise them (e.g. amounts, the official municipality name).
"""

from __future__ import annotations

from language.gemeenten import Gemeente

NUMBER_WORDS = [
    "een", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
    "one", "two", "three", "four", "five",
]
CHILD_WORDS = ["kind", "kinderen", "kids", "kindjes", "kinders", "kid", "children", "child"]
YEAR_WORDS = ["jaar", "jr", "jaar.", "jr.", "years", "year"]
CURRENCY_WORDS = ["euro", "eur", "euro's", "euros", "eu"]
DAYS = [
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    "vandaag", "morgen", "overmorgen", "ma", "di", "wo", "do", "vr",
]
PARTS_OF_DAY = [
    "ochtend", "morgens", "ochtends", "middag", "middags", "avond", "avonds",
    "voormiddag", "namiddag", "morning", "afternoon", "evening",
]

_AMOUNT = r"^€?\d{1,3}([.,]?\d{3})*([.,]\d{1,2})?(,-)?$"


def gemeente_patterns(gemeenten: tuple[Gemeente, ...]) -> list[dict]:
    patterns = []
    for gemeente in gemeenten:
        for spelling in gemeente.spellings:
            words = spelling.split()
            if gemeente.everyday_word or spelling.replace(" ", "-") in gemeente.capitalised_only \
                    or spelling in gemeente.capitalised_only:
                # "best", "buren", "haren": only the capitalised form is a place name.
                tokens = [{"ORTH": word} for word in words]
            else:
                tokens = [{"LOWER": word.lower()} for word in words]
            patterns.append({"label": "gemeente", "pattern": tokens, "id": gemeente.name})
    return patterns


def amount_patterns() -> list[dict]:
    amount = {"TEXT": {"REGEX": _AMOUNT}}
    return [
        # € 1.800 / €1800,- / € 1.800 euro
        {"label": "bedrag", "pattern": [{"ORTH": "€"}, amount]},
        {"label": "bedrag", "pattern": [{"TEXT": {"REGEX": r"^€\d"}}]},
        # 1800 euro / 1.800 eur
        {"label": "bedrag", "pattern": [amount, {"LOWER": {"IN": CURRENCY_WORDS}}]},
        # 2k / 2,5k
        {"label": "bedrag", "pattern": [{"LOWER": {"REGEX": r"^\d+([.,]\d)?k$"}}]},
        {"label": "bedrag", "pattern": [{"LIKE_NUM": True}, {"LOWER": "k"}]},
        # 2 duizend
        {"label": "bedrag", "pattern": [{"LIKE_NUM": True}, {"LOWER": "duizend"}]},
    ]


def children_patterns() -> list[dict]:
    count = {"LOWER": {"IN": NUMBER_WORDS}}
    digits = {"TEXT": {"REGEX": r"^\d{1,2}$"}}
    return [
        {"label": "aantal_kinderen", "pattern": [count, {"LOWER": {"IN": CHILD_WORDS}}]},
        {"label": "aantal_kinderen", "pattern": [digits, {"LOWER": {"IN": CHILD_WORDS}}]},
    ]


def age_patterns() -> list[dict]:
    age = {"TEXT": {"REGEX": r"^\d{1,2}$"}}
    return [
        {"label": "leeftijd", "pattern": [age, {"LOWER": {"IN": YEAR_WORDS}}]},
        {"label": "leeftijd", "pattern": [age, {"LOWER": "jaar"}, {"LOWER": "oud"}]},
        {"label": "leeftijd", "pattern": [{"LOWER": {"REGEX": r"^\d{1,2}-?jarige?n?$"}}]},
        {"label": "leeftijd", "pattern": [age, {"ORTH": "-"}, {"LOWER": {"REGEX": r"^jarige?n?$"}}]},
        # "een zoon van 8", "dochter van 12"
        {"label": "leeftijd", "pattern": [{"LOWER": "van"}, age]},
    ]


def day_patterns() -> list[dict]:
    compound = r"^(maan|dins|woens|donder|vrij|zater|zon)dag(ochtend|middag|avond)$"
    return [
        {"label": "dag", "pattern": [{"LOWER": {"IN": DAYS[:10]}}]},
        {"label": "dag", "pattern": [{"LOWER": {"REGEX": compound}}]},
        {"label": "dag", "pattern": [{"LOWER": "volgende"}, {"LOWER": "week"}]},
        {"label": "dagdeel", "pattern": [{"LOWER": {"IN": PARTS_OF_DAY}}]},
        {"label": "dagdeel", "pattern": [{"LOWER": {"IN": ["'s", "s"]}}, {"LOWER": {"IN": PARTS_OF_DAY}}]},
    ]


def all_patterns(gemeenten: tuple[Gemeente, ...]) -> list[dict]:
    return (
        gemeente_patterns(gemeenten)
        + amount_patterns()
        + children_patterns()
        + age_patterns()
        + day_patterns()
    )
