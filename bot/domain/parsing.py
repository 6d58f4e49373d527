"""Pure parsers for the answers of the schemes check: amounts, children and their ages, housing.

People type "€1800,-", "ongeveer 2000 euro", "tussen de 1500 en 2000", "2 kinderen van 4 en 7",
"een dochter van 12" or "huur". Each parser returns None when it cannot be sure, so that the form
asks again instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_WORDS = {
    "geen": 0, "nul": 0, "een": 1, "één": 1, "eén": 1, "1": 1, "twee": 2, "drie": 3, "vier": 4,
    "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
    "dertien": 13, "veertien": 14, "vijftien": 15, "zestien": 16, "zeventien": 17, "achttien": 18,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "no": 0, "none": 0,
}
_CHILD = r"(kinderen|kinderen|kindjes|kinders|kids|kind|kid|children|child|zoon|zonen|dochter|dochters|" \
         r"jongen|jongens|meisje|meisjes|baby|tweeling|son|daughter)"
_NUMBER_TOKEN = r"(\d{1,2}|" + "|".join(sorted((w for w in NUMBER_WORDS if not w.isdigit()), key=len,
                                               reverse=True)) + r")"

# An amount: "1800", "1.800", "1.800,50", "€1800,-", "2k", "2,5k", "2 duizend".
_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}|-))?\s*(k|duizend)?(?![\d])", re.IGNORECASE
)
_YEARS = re.compile(r"\b(\d{1,2})\s*(jaar|jr|years?|maanden)?\b")


def _to_number(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def parse_amounts(text: str) -> list[float]:
    """Every money amount in the text, in order (euros)."""
    values = []
    for whole, fraction, thousands in _AMOUNT.findall(text.replace("€", " ").replace("\u00a0", " ")):
        value = float(whole.replace(".", ""))
        if fraction and fraction != "-":
            value += float(fraction) / (10 ** len(fraction))
        if thousands and thousands.lower() in ("k", "duizend"):
            # "2,5k": the comma part was read as a fraction above
            value *= 1000
        values.append(value)
    return values


def parse_monthly_income(text: str) -> float | None:
    """Net monthly household income from an answer; a range gives its middle.

    Yearly amounts ("30.000 per jaar") are divided by 12. Amounts below 100 or above 20,000 a month
    are not believable as a monthly net income and give None, so the form asks again.
    """
    lowered = text.lower()
    if re.search(r"\b(geen|niks|niets|nul)\b", lowered) and not re.search(r"\d", lowered):
        return 0.0
    amounts = parse_amounts(lowered)
    if not amounts:
        return None
    if len(amounts) >= 2 and re.search(r"\b(tussen|en|tot|-)\b|-", lowered):
        value = (amounts[0] + amounts[1]) / 2
    else:
        value = amounts[0]
    if re.search(r"per jaar|p/j|jaarinkomen|bruto per jaar|\bpj\b|a year|per year", lowered):
        value /= 12
    if value < 100 or value > 20_000:
        return None
    return round(value, 2)


@dataclass(frozen=True)
class Children:
    count: int
    ages: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return self.count == len(self.ages)


def parse_children(text: str) -> Children | None:
    """Number and ages of the children: "2 kinderen van 4 en 7", "een zoon van 12", "4 en 7", "geen".

    Returns Children with fewer ages than the count when only the number was given ("drie"), so
    the form can ask for the ages; None when nothing usable is in the text.
    """
    lowered = text.lower().replace("één", "een").replace("eén", "een")
    if re.fullmatch(r"\s*(geen|nee|0|none|no)( kinderen| kids)?[.!]?\s*", lowered) or re.search(
        r"\bgeen (kinderen|kids|kind)\b", lowered
    ):
        return Children(0, ())
    only_number = re.fullmatch(r"\s*" + _NUMBER_TOKEN + r"\s*", lowered)
    if only_number:
        # A bare "2" answers "how many"; the form then asks the ages.
        value = _to_number(only_number.group(1))
        return Children(value, ()) if value is not None and value <= 12 else None
    count = None
    count_match = re.search(_NUMBER_TOKEN + r"\s+" + _CHILD, lowered)
    if count_match:
        count = _to_number(count_match.group(1))
        rest = lowered[count_match.end():]
    else:
        rest = lowered
        if re.search(r"\b(tweeling)\b", lowered):
            count = 2
        elif re.search(r"\b" + _CHILD + r"\b", lowered) and not re.search(r"\d", lowered):
            only_number = re.search(r"\b" + _NUMBER_TOKEN + r"\b", lowered)
            count = _to_number(only_number.group(1)) if only_number else 1
    ages = []
    for number, unit in _YEARS.findall(rest):
        if unit == "maanden":
            ages.append(0)
            continue
        age = int(number)
        if age <= 25:
            ages.append(age)
    word_ages = re.findall(r"\b(een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|"
                           r"veertien|vijftien|zestien|zeventien)\s+(?:jaar|jr)\b", rest)
    if not ages and word_ages:
        ages = [NUMBER_WORDS[w] for w in word_ages]
    if count is None:
        if not ages:
            return None
        count = len(ages)
    if count > 12:
        return None
    if count == 2 and len(ages) == 1 and "tweeling" in lowered:
        ages = ages * 2
    return Children(count, tuple(ages[:count]) if len(ages) >= count else tuple(ages))


HOUSING_WORDS = {
    "huur": ("huur", "huren", "huurhuis", "huurwoning", "rent", "renting", "corporatie", "woningcorporatie",
             "sociale huur", "huurflat", "kamer"),
    "koop": ("koop", "koophuis", "koopwoning", "eigen huis", "hypotheek", "gekocht", "own", "mortgage",
             "eigenaar"),
    "anders": ("inwonen", "woon bij", "bij mijn ouders", "bij mijn moeder", "bij mijn vader", "bij vrienden",
               "opvang", "dakloos", "logeer", "tijdelijk", "anders", "bij familie", "vakantiepark",
               "caravan"),
}


def parse_housing(text: str) -> str | None:
    """'huur', 'koop' or 'anders' (living with others, shelter, temporary); None when unclear."""
    lowered = f" {text.lower()} "
    found = [kind for kind, words in HOUSING_WORDS.items()
             if any(re.search(r"\b" + re.escape(word) + r"\b", lowered) for word in words)]
    if len(found) == 1:
        return found[0]
    if "anders" in found:
        # "ik woon tijdelijk in een huurhuis van mijn moeder": living with others is what counts
        return "anders"
    return None
