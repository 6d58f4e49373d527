"""The dated national facts (bijstandsnorm, toeslagen, helplines) in data/facts/<year>.yml.

Amounts change every year, so they live in one file per year and never in code. Each amount carries
the period it applies to and whether an official source confirms it: the bot shows that label with
any amount, and with anything computed from it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, confloat, conint, constr, validator

from bot.domain import datafile

__all__ = [
    "DEFAULT", "Amount", "Facts", "FactsDataError", "Helpline", "NationalScheme", "euro", "load_facts",
]

REPO = Path(__file__).resolve().parents[2]
FACTS_DIR = REPO / "data" / "facts"
Text = constr(strip_whitespace=True, min_length=1)
Url = constr(strip_whitespace=True, regex=r"^https?://\S+$")
Phone = constr(strip_whitespace=True, regex=r"^\d{3,4}-\d{4}$")  # service lines: 0800-8115
HouseholdKind = Literal["alleenstaande", "alleenstaande_ouder", "gehuwden"]
# The national schemes bot/domain/eligibility.py can name; the file must describe each of them.
NATIONAL_SCHEME_KEYS = (
    "kinderbijslag", "kindgebonden_budget", "alleenstaande_ouderkop", "huurtoeslag", "zorgtoeslag",
)


def _newest(directory: Path) -> Path:
    """The facts file of the latest year (2026.yml before 2027.yml is added)."""
    years = sorted(p for p in directory.glob("*.yml") if p.stem.isdigit())
    return years[-1] if years else directory / "2026.yml"


DEFAULT = _newest(FACTS_DIR)


class FactsDataError(ValueError):
    """The facts file is unreadable or invalid; the message names the file and the field."""


class _Model(BaseModel):
    class Config:
        extra = "forbid"
        allow_mutation = False


class Amount(_Model):
    value: confloat(ge=0)
    period_label: Text  # Dutch, shown with the amount: "2026", "norm van 1 juli 2025"
    verified: bool
    source: Url


class NormVersion(_Model):
    alleenstaande: Amount  # also the alleenstaande ouder: there is no separate norm
    gehuwden: Amount


class Bijstandsnormen(_Model):
    versions: dict[str, NormVersion]  # monthly norms INCLUDING the vakantietoeslag
    in_use: Text  # after `versions`: its validator checks against them
    vakantietoeslag_pct: confloat(gt=0, lt=20)  # share of the norm kept back for the yearly vakantietoeslag
    vakantietoeslag_source: Url

    @validator("in_use")
    def _in_use_exists(cls, value: str, values: dict) -> str:
        if "versions" in values and value not in values["versions"]:
            raise ValueError(f"{value!r} is not one of the versions ({', '.join(values['versions'])})")
        return value


class VermogensgrensBijstand(_Model):
    alleenstaande: Amount
    gezin: Amount  # alleenstaande ouder and gehuwden


class Huurtoeslag(_Model):
    huurgrens_21_plus: Amount
    huurgrens_18_tot_21: Amount
    vermogensgrens_alleen: Amount
    vermogensgrens_met_partner: Amount


class Zorgtoeslag(_Model):
    inkomensgrens_alleen: Amount  # gross, per year
    inkomensgrens_met_partner: Amount
    vermogensgrens_alleen: Amount
    vermogensgrens_met_partner: Amount


class KindgebondenBudget(_Model):
    grens_alleenstaande_ouder: Amount  # per year: up to here it rose a little in 2026
    grens_paar: Amount
    vermogensgrens_alleen: Amount
    vermogensgrens_met_partner: Amount


class Kinderbijslag(_Model):
    max_age: conint(ge=0, le=25)
    per_kwartaal: dict[str, Amount]  # by age band: "0-5", "6-11", "12-17"


class Kinderopvangtoeslag(_Model):
    inkomensgrens_96_procent: Amount


class Helpline(_Model):
    name: Text
    phone: Phone
    url: Url
    note: Text | None = None
    verified: bool
    source: Url


class NationalScheme(_Model):
    name: Text
    gives: Text
    apply: Text
    url: Url
    year: conint(ge=2000, le=2100)
    verified: bool
    source: Url


class Facts(_Model):
    year: conint(ge=2000, le=2100)
    checked: date
    bijstandsnormen: Bijstandsnormen
    vermogensgrenzen_bijstand: VermogensgrensBijstand
    huurtoeslag: Huurtoeslag
    zorgtoeslag: Zorgtoeslag
    kindgebonden_budget: KindgebondenBudget
    kinderbijslag: Kinderbijslag
    kinderopvangtoeslag: Kinderopvangtoeslag
    national_debt_help: Helpline
    helplines: dict[str, Helpline]
    national_schemes: dict[str, NationalScheme]

    @validator("national_schemes")
    def _schemes_for_the_check(cls, schemes: dict[str, NationalScheme]) -> dict[str, NationalScheme]:
        missing = sorted(set(NATIONAL_SCHEME_KEYS) - set(schemes))
        if missing:
            raise ValueError(f"missing: {', '.join(missing)}")
        return schemes

    def bijstandsnorm(self, household: HouseholdKind, version: str | None = None) -> Amount:
        """The monthly norm incl. vakantietoeslag; by default the version the schemes check uses."""
        norms = self.bijstandsnormen.versions[version or self.bijstandsnormen.in_use]
        return norms.gehuwden if household == "gehuwden" else norms.alleenstaande

    def monthly_norm(self, household: HouseholdKind, version: str | None = None) -> Amount:
        """The norm WITHOUT the vakantietoeslag: what a month's net income compares with, and what most
        municipalities' % limits are a percentage of."""
        norm = self.bijstandsnorm(household, version)
        share = 1 - self.bijstandsnormen.vakantietoeslag_pct / 100
        return Amount(value=round(norm.value * share, 2),
                      period_label=f"{norm.period_label}, zonder vakantietoeslag",
                      verified=norm.verified, source=norm.source)

    def bijstandsnorm_versions(self) -> dict[str, NormVersion]:
        return dict(self.bijstandsnormen.versions)

    def vermogensgrens_bijstand(self, household: HouseholdKind) -> Amount:
        """The bijstand asset limit: an alleenstaande ouder has the higher limit of a gezin."""
        limits = self.vermogensgrenzen_bijstand
        return limits.alleenstaande if household == "alleenstaande" else limits.gezin

    def geldfit_phone(self) -> str:
        return self.national_debt_help.phone

    def national_scheme(self, key: str) -> NationalScheme:
        return self.national_schemes[key]



@cache
def _load(path: Path) -> Facts:
    shown = datafile.shown(path)
    facts = datafile.load_model(path, Facts, FactsDataError)
    if path.stem.isdigit() and facts.year != int(path.stem):
        raise FactsDataError(f"{shown}: year: {facts.year} does not match the file name {path.name}")
    return facts


def load_facts(path: Path = DEFAULT) -> Facts:
    """The validated facts of one year; read once per file."""
    return _load(Path(path).resolve())


def euro(value: float, cents: bool = False) -> str:
    """Dutch money notation: euro(1369.06) -> '€ 1.369', euro(1369.06, cents=True) -> '€ 1.369,06'."""
    places = Decimal("0.01") if cents else Decimal("1")
    amount = Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)
    text = f"{amount:,.2f}" if cents else f"{amount:,.0f}"
    # Python groups with ',' and uses '.' for decimals; Dutch is the other way round.
    return "€ " + text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
