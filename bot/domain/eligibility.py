"""Which schemes probably fit a household: an indication to start from, never a decision.

Pure functions: the household, its municipality's file and the year's facts go in, a list of schemes
with "waarschijnlijk" or "misschien" and a short Dutch reason (data/action_texts.yml) comes out. All
amounts and local limits come from the data files; the few cut-offs below are our own estimates, kept
here in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bot.domain.facts import Amount, Facts, euro
from bot.domain.municipalities import Municipality, Scheme
from bot.domain.texts import text

Likelihood = Literal["waarschijnlijk", "misschien"]
LIKELY: Likelihood = "waarschijnlijk"
MAYBE: Likelihood = "misschien"

# --- Our estimates (not facts); every threshold with an amount comes from data/facts/<year>.yml ---
# Huurtoeslag phases out linearly with no hard income limit (facts.md §5): up to this % of the
# bijstandsnorm we call it likely, above it "misschien" - never left out for income alone.
HUURTOESLAG_LIKELY_UP_TO_PCT = 130
# Offer the municipality's schuldhulp with money worries, or with an income up to this % of the norm.
DEBT_HELP_UP_TO_PCT = 130
# A local income limit may be passed by this many points and still give "misschien": the norm we use
# is not the verified 2026 one.
LOCAL_MARGIN_POINTS = 10
# The toeslagen's limits are GROSS per year (toetsingsinkomen); we only ask NET per month. Gross is never
# below net, so net x 12 above a limit means gross above it too. Net is at least about 70 % of gross at
# these incomes, so net x 12 up to 70 % of a limit means gross below it. In between we cannot tell.
NET_SHARE_OF_GROSS_AT_LEAST = 0.70
# Children's schemes without their own ages count children up to this age.
CHILD_MAX_AGE = 17


@dataclass(frozen=True)
class Household:
    """What the screening asks. `single_parent`: no partner in the household (alleenstaande (ouder));
    False means living with a partner. `net_monthly_income`: the household's net income per month."""

    single_parent: bool
    children_ages: tuple[int, ...]
    net_monthly_income: float
    housing: Literal["huur", "koop", "anders"]
    savings_above_limit: bool
    money_short: bool = False

    def __post_init__(self) -> None:
        if self.net_monthly_income < 0:
            raise ValueError("net_monthly_income cannot be negative")
        if any(not 0 <= age <= 30 for age in self.children_ages):
            raise ValueError(f"children_ages must be 0..30, got {self.children_ages}")
        if self.housing not in ("huur", "koop", "anders"):
            raise ValueError(f"housing must be huur, koop or anders, got {self.housing!r}")

    @property
    def norm_kind(self) -> Literal["alleenstaande", "gehuwden"]:
        return "alleenstaande" if self.single_parent else "gehuwden"


@dataclass(frozen=True)
class Match:
    key: str
    name: str
    gives: str
    apply: str
    url: str
    likelihood: Likelihood
    reason: str  # short Dutch: "je inkomen is ongeveer 105% van de bijstandsnorm"
    year: int
    verified: bool = True  # False: say "kijk op de website" rather than state the details


@dataclass(frozen=True)
class SchemesResult:
    national: list[Match]
    local: list[Match]
    debt_help: bool
    norm: Amount  # the norm used: show its period_label with anything computed from it
    income_pct: int  # income as % of that norm, rounded


def _cents(value: float) -> int:
    return math.floor(value * 100 + 0.5)


def _pct(income: float, norm: Amount) -> int:
    return math.floor(income / norm.value * 100 + 0.5)


def _at_most_pct(income: float, norm: Amount, pct: float) -> bool:
    """income <= pct % of the norm, compared in whole cents as municipalities publish their tables."""
    return _cents(income) <= math.floor(norm.value * pct + 0.5)


GrossPosition = Literal["below", "unknown", "above"]


def _against_gross_limit(net_monthly: float, gross_yearly_limit: Amount) -> GrossPosition:
    """Where a net monthly income stands against a gross yearly limit, as far as net can tell."""
    yearly = net_monthly * 12
    if yearly > gross_yearly_limit.value:
        return "above"
    return "below" if yearly <= NET_SHARE_OF_GROSS_AT_LEAST * gross_yearly_limit.value else "unknown"


def _national(facts: Facts, key: str, likelihood: Likelihood, reason: str) -> Match:
    scheme = facts.national_scheme(key)
    return Match(key, scheme.name, scheme.gives, scheme.apply, scheme.url, likelihood, reason, scheme.year,
                 scheme.verified)


def national_matches(household: Household, facts: Facts, norm: Amount, income_pct: int) -> list[Match]:
    """Kinderbijslag, kindgebonden budget (+ alleenstaande-ouderkop), huurtoeslag, zorgtoeslag."""
    matches: list[Match] = []
    income = household.net_monthly_income
    has_minor = any(age <= facts.kinderbijslag.max_age for age in household.children_ages)
    if has_minor:
        matches.append(_national(facts, "kinderbijslag", LIKELY, text("eligibility.kinderbijslag")))
    # The savings question asks about the (low) bijstand limit; the toeslagen have much higher asset
    # limits, so savings above it make these "misschien" instead of leaving them out.
    savings_note = text("eligibility.savings_above_limit")
    if has_minor:
        # The exact income limit is not in facts.md. Up to the income where the budget still rose in
        # 2026 we call it likely; above it the budget gets smaller, so "misschien" - never left out.
        budget = facts.kindgebonden_budget
        limit = budget.grens_alleenstaande_ouder if household.single_parent else budget.grens_paar
        if _against_gross_limit(income, limit) == "below":
            likelihood: Likelihood = LIKELY
            reason = text("eligibility.budget_below", limit_amount=euro(limit.value),
                          period=limit.period_label)
        else:
            likelihood = MAYBE
            reason = text("eligibility.budget_higher")
        if household.savings_above_limit:
            likelihood, reason = MAYBE, savings_note
        matches.append(_national(facts, "kindgebonden_budget", likelihood, reason))
        if household.single_parent:
            matches.append(_national(facts, "alleenstaande_ouderkop", likelihood,
                                     text("eligibility.ouderkop")))
    if household.housing == "huur":
        if household.savings_above_limit:
            matches.append(_national(facts, "huurtoeslag", MAYBE, savings_note))
        elif _at_most_pct(income, norm, HUURTOESLAG_LIKELY_UP_TO_PCT):
            matches.append(_national(facts, "huurtoeslag", LIKELY,
                                     text("eligibility.huurtoeslag_likely", income_pct=income_pct)))
        else:
            matches.append(_national(facts, "huurtoeslag", MAYBE, text("eligibility.huurtoeslag_maybe")))
    care = facts.zorgtoeslag
    gross_limit = care.inkomensgrens_alleen if household.single_parent else care.inkomensgrens_met_partner
    said = {"limit_amount": euro(gross_limit.value), "period": gross_limit.period_label}
    position = _against_gross_limit(income, gross_limit)
    if position == "below":
        matches.append(_national(facts, "zorgtoeslag", LIKELY, text("eligibility.zorgtoeslag_below", **said)))
    elif position == "unknown":
        matches.append(_national(facts, "zorgtoeslag", MAYBE, text("eligibility.zorgtoeslag_near", **said)))
    return matches


def _fits_people(scheme: Scheme, household: Household) -> bool:
    if scheme.for_ != "children":
        return True  # adults/household: the person asking is an adult; we do not ask their age
    low = scheme.min_age or 0
    high = scheme.max_age if scheme.max_age is not None else CHILD_MAX_AGE
    return any(low <= age <= high for age in household.children_ages)


def local_match(scheme: Scheme, household: Household, norms: dict[str, Amount]) -> Match | None:
    """One local scheme: None when it does not fit, else a Match with its likelihood and reason.
    Its % limit is compared with the norm it is a percentage of: `norms` by `income_limit_basis`."""
    if (scheme.asset_limit and household.savings_above_limit) or not _fits_people(scheme, household):
        return None
    norm = norms[scheme.income_limit_basis]
    income_pct = _pct(household.net_monthly_income, norm)
    limit = scheme.income_limit_pct
    if limit is None:
        likelihood: Likelihood = MAYBE
        reason = text("eligibility.local_limit_unknown")
    elif _at_most_pct(household.net_monthly_income, norm, limit):
        likelihood = LIKELY
        reason = text("eligibility.local_below", income_pct=income_pct, limit_pct=limit)
    elif _at_most_pct(household.net_monthly_income, norm, limit + LOCAL_MARGIN_POINTS):
        likelihood = MAYBE
        reason = text("eligibility.local_just_above", limit_pct=limit)
    else:
        return None
    return Match(scheme.key, scheme.name, scheme.gives, scheme.apply, scheme.url, likelihood, reason,
                 scheme.year, scheme.verified)


def check(household: Household, municipality: Municipality, facts: Facts) -> SchemesResult:
    """The schemes that probably fit, likely ones first; with the norm used and the income as % of it.
    A month's net income is compared with the monthly norm without vakantietoeslag."""
    norm = facts.monthly_norm(household.norm_kind)
    income_pct = _pct(household.net_monthly_income, norm)
    norms = {"zonder_vakantietoeslag": norm, "met_vakantietoeslag": facts.bijstandsnorm(household.norm_kind)}
    local = [m for m in (local_match(s, household, norms) for s in municipality.schemes) if m]
    local.sort(key=lambda match: match.likelihood != LIKELY)  # stable: file order within each group
    low_income = _at_most_pct(household.net_monthly_income, norm, DEBT_HELP_UP_TO_PCT)
    return SchemesResult(
        national=national_matches(household, facts, norm, income_pct),
        local=local,
        debt_help=household.money_short or low_income,
        norm=norm,
        income_pct=income_pct,
    )
