"""Which schemes probably fit: boundary incomes per rule, children, savings, housing; and the facts file."""

from __future__ import annotations

import pytest
import yaml

from bot.domain.eligibility import Household, check
from bot.domain.facts import DEFAULT, FactsDataError, euro, load_facts
from bot.domain.municipalities import DATA_DIR, Municipality, default_municipality, find, load_all

FACTS = load_facts()
# The norm of 1 July 2025 incl. vakantietoeslag: alleenstaande (ouder) 1369.06, gehuwden 1955.80. A month's
# income is compared with the norm without it (95 %): 1300.61 and 1858.01.
SINGLE_NORM = 1369.06
SINGLE_MONTHLY = 1300.61
COUPLE_MONTHLY = 1858.01


def household(income: float, children: tuple[int, ...] = (8,), single: bool = True, housing: str = "huur",
              savings: bool = False, money_short: bool = False) -> Household:
    return Household(single_parent=single, children_ages=children, net_monthly_income=income,
                     housing=housing, savings_above_limit=savings, money_short=money_short)


def scheme(key: str = "regeling", limit: int | None = 110, target: str = "household", assets: bool = False,
           min_age: int | None = None, max_age: int | None = None) -> dict:
    return {
        "key": key, "name": key.title(), "gives": "Iets.", "income_limit_pct": limit, "asset_limit": assets,
        "for": target, "min_age": min_age, "max_age": max_age, "apply": "Vraag het aan.",
        "url": "https://www.example.nl", "year": 2024, "verified": False, "source": "https://www.example.nl",
    }


def town(*schemes: dict) -> Municipality:
    """The Twenterand file with test schemes instead of its own."""
    data = yaml.safe_load((DATA_DIR / "twenterand.yml").read_text(encoding="utf-8"))
    data["schemes"] = list(schemes)
    return Municipality.parse_obj(data)


def local(result) -> dict[str, str]:
    return {match.key: match.likelihood for match in result.local}


def national(result) -> dict[str, str]:
    return {match.key: match.likelihood for match in result.national}


# --- local schemes: income as % of the norm -----------------------------------------------------------

@pytest.mark.parametrize(
    "income, expected",
    [
        (1000.00, "waarschijnlijk"),
        (1430.67, "waarschijnlijk"),   # exactly 110 % of 1300.61 (as municipalities round it)
        (1431.67, "misschien"),        # 1 euro over: the norm may be outdated
        (1505.97, "misschien"),        # 110 % of the norm WITH vakantietoeslag: not like with like
        (1560.73, "misschien"),        # 120 %: the last cent of the 10-point band
        (1561.73, None),               # 1 euro over the band
        (3000.00, None),               # far above
    ],
)
def test_local_scheme_income_boundaries_single(income, expected):
    result = check(household(income), town(scheme(limit=110)), FACTS)
    assert local(result).get("regeling") == expected


@pytest.mark.parametrize("income, expected", [(2043.81, "waarschijnlijk"), (2044.81, "misschien"),
                                              (2230.00, None)])
def test_local_scheme_uses_the_couple_norm_for_couples(income, expected):
    # 110 % of 1858.01 = 2043.81; 120 % = 2229.61
    result = check(household(income, single=False), town(scheme(limit=110)), FACTS)
    assert local(result).get("regeling") == expected


def test_unknown_limit_is_misschien_even_at_a_high_income():
    result = check(household(5000), town(scheme(limit=None)), FACTS)
    assert local(result) == {"regeling": "misschien"}
    assert "website van je gemeente" in result.local[0].reason


def test_asset_test_and_savings_above_the_limit_leave_the_scheme_out():
    schemes = (scheme("met_toets", assets=True), scheme("zonder_toets", assets=False))
    assert local(check(household(1200, savings=True), town(*schemes), FACTS)) == {"zonder_toets": "waarschijnlijk"}
    assert set(local(check(household(1200), town(*schemes), FACTS))) == {"met_toets", "zonder_toets"}


@pytest.mark.parametrize(
    "children, expected",
    [((), False), ((3,), False), ((4,), True), ((12,), True), ((13,), False), ((2, 13), False), ((2, 12), True)],
)
def test_children_scheme_needs_a_child_in_its_age_range(children, expected):
    result = check(household(1200, children=children), town(scheme(target="children", min_age=4, max_age=12)),
                   FACTS)
    assert ("regeling" in local(result)) is expected


def test_children_scheme_without_ages_counts_children_up_to_17():
    kids = town(scheme(target="children"))
    assert "regeling" in local(check(household(1200, children=(17,)), kids, FACTS))
    assert "regeling" not in local(check(household(1200, children=(18,)), kids, FACTS))


def test_adult_and_household_schemes_need_no_children():
    result = check(household(1200, children=()), town(scheme("a", target="adults"), scheme("h")), FACTS)
    assert local(result) == {"a": "waarschijnlijk", "h": "waarschijnlijk"}


def test_likely_local_schemes_come_first_in_file_order():
    schemes = (scheme("onbekend", limit=None), scheme("ruim", limit=130), scheme("krap", limit=100),
               scheme("laag", limit=110))
    result = check(household(1370), town(*schemes), FACTS)  # ~105 % of the norm
    assert [(m.key, m.likelihood) for m in result.local] == [
        ("ruim", "waarschijnlijk"), ("laag", "waarschijnlijk"), ("onbekend", "misschien"), ("krap", "misschien"),
    ]


def test_match_carries_the_scheme_texts_and_a_dutch_reason():
    match = check(household(1365.64), town(scheme(limit=110)), FACTS).local[0]
    assert (match.name, match.gives, match.apply, match.url, match.year, match.verified) == (
        "Regeling", "Iets.", "Vraag het aan.", "https://www.example.nl", 2024, False)
    assert match.reason == "je inkomen is ongeveer 105% van de bijstandsnorm; de grens is 110%"


# --- national schemes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("children, listed", [((), False), ((18,), False), ((17,), True), ((0, 19), True)])
def test_kinderbijslag_for_any_child_under_18_whatever_the_income(children, listed):
    result = check(household(9000, children=children, housing="koop"), town(), FACTS)
    assert national(result).get("kinderbijslag") == ("waarschijnlijk" if listed else None)


@pytest.mark.parametrize(
    "monthly, single, expected",
    [
        # The thresholds are gross per year (29,736 single parent, 39,141 couple, 2026); net x 12 is below
        # the gross for sure only up to 70 % of them: 1,734.60 and 2,283.22 a month.
        (1734.60, True, "waarschijnlijk"),
        (1735.60, True, "misschien"),
        (2478.00, True, "misschien"),         # net x 12 = 29,736: the gross is higher, so not "likely"
        (9000.00, True, "misschien"),         # far above: shown, never silently dropped
        (2283.22, False, "waarschijnlijk"),
        (2284.22, False, "misschien"),
    ],
)
def test_kindgebonden_budget_is_an_estimate_around_the_2026_thresholds(monthly, single, expected):
    result = check(household(monthly, single=single, housing="koop"), town(), FACTS)
    assert national(result)["kindgebonden_budget"] == expected
    assert ("alleenstaande_ouderkop" in national(result)) is single
    assert "schatting" in next(m.reason for m in result.national if m.key == "kindgebonden_budget")


def test_kindgebonden_budget_needs_a_minor_and_savings_above_the_bijstand_limit_make_it_maybe():
    assert "kindgebonden_budget" not in national(check(household(1200, children=()), town(), FACTS))
    assert "kindgebonden_budget" not in national(check(household(1200, children=(18,)), town(), FACTS))
    saved = national(check(household(1200, savings=True), town(), FACTS))
    # The question asks about the bijstand limit; the budget's own asset limit is far higher.
    assert saved["kindgebonden_budget"] == "misschien" and saved["alleenstaande_ouderkop"] == "misschien"
    assert saved["kinderbijslag"] == "waarschijnlijk"  # not income- or asset-dependent


@pytest.mark.parametrize(
    "income, housing, savings, expected",
    [
        (1690.79, "huur", False, "waarschijnlijk"),   # exactly 130 % of the monthly norm
        (1691.79, "huur", False, "misschien"),        # 1 euro over: linear phase-out, no hard limit
        (6000.00, "huur", False, "misschien"),
        (1200.00, "koop", False, None),
        (1200.00, "anders", False, None),
        (1200.00, "huur", True, "misschien"),
    ],
)
def test_huurtoeslag_only_for_renters(income, housing, savings, expected):
    result = check(household(income, housing=housing, savings=savings), town(), FACTS)
    assert national(result).get("huurtoeslag") == expected


@pytest.mark.parametrize(
    "monthly, single, expected",
    [
        (2383.32, True, "waarschijnlijk"),   # x 12 = 28,599.84: within 70 % of the gross 40,857
        (2384.32, True, "misschien"),
        (3404.75, True, "misschien"),        # x 12 = 40,857: net this high is near or over the gross limit
        (3405.75, True, None),               # net x 12 over the gross limit: gross is over it too
        (2983.28, False, "waarschijnlijk"),  # couples: x 12 = 35,799.36, within 70 % of the gross 51,142
        (2984.28, False, "misschien"),
        (4261.83, False, "misschien"),       # x 12 = 51,141.96: still under the gross limit
        (4262.84, False, None),
    ],
)
def test_zorgtoeslag_from_net_monthly_against_the_gross_yearly_limit(monthly, single, expected):
    result = check(household(monthly, single=single, children=()), town(), FACTS)
    assert national(result).get("zorgtoeslag") == expected


def test_zorgtoeslag_reason_names_the_limit_and_its_year():
    match = next(m for m in check(household(1000), town(), FACTS).national if m.key == "zorgtoeslag")
    assert match.reason == "je inkomen lijkt ruim onder de grens van € 40.857 bruto per jaar (2026)"
    assert match.verified is False  # 2026 limits only from third parties


# --- debt help, norm, income % ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "income, money_short, expected",
    [(1690.79, False, True), (1691.79, False, False), (9000, True, True), (0, False, True)],
)
def test_debt_help_with_money_worries_or_income_up_to_130_percent(income, money_short, expected):
    assert check(household(income, money_short=money_short), town(), FACTS).debt_help is expected


def test_result_carries_the_norm_with_its_label_and_the_income_percentage():
    result = check(household(1430.67), town(), FACTS)
    assert result.income_pct == 110
    assert result.norm.value == SINGLE_MONTHLY
    assert result.norm.period_label == "norm van 1 juli 2025, zonder vakantietoeslag"
    assert result.norm.verified is False
    couple = check(household(COUPLE_MONTHLY, single=False), town(), FACTS)
    assert (couple.income_pct, couple.norm.value) == (100, COUPLE_MONTHLY)


def test_the_monthly_norm_is_the_norm_without_its_5_percent_vakantietoeslag():
    # Twenterand publishes its 110 % limit of 1 January 2024 without vakantietoeslag: EUR 1,341.60.
    official = FACTS.monthly_norm("alleenstaande", version="per_1_januari_2024")
    assert round(official.value * 1.10, 2) == 1341.60
    assert FACTS.monthly_norm("alleenstaande").value == SINGLE_MONTHLY
    assert round(SINGLE_NORM * 0.95, 2) == SINGLE_MONTHLY


def test_a_limit_of_the_norm_with_vakantietoeslag_is_compared_with_that_norm():
    with_holiday_pay = {**scheme(limit=110), "income_limit_basis": "met_vakantietoeslag"}
    assert local(check(household(1505.97), town(with_holiday_pay), FACTS)) == {"regeling": "waarschijnlijk"}
    assert local(check(household(1505.97), town(scheme(limit=110)), FACTS)) == {"regeling": "misschien"}


def test_household_rejects_impossible_values():
    with pytest.raises(ValueError):
        household(-1)
    with pytest.raises(ValueError):
        household(1000, children=(-2,))
    with pytest.raises(ValueError):
        household(1000, housing="boot")


# --- with the real municipality files -----------------------------------------------------------------

def test_unknown_municipality_gets_the_default_schemes():
    municipality = find("Almelo") or default_municipality()
    result = check(household(1400, children=()), municipality, FACTS)
    assert local(result)["meedoenregeling"] == "waarschijnlijk"   # Twenterand, 110 %


def test_zwolle_kindregeling_with_its_asset_test_and_age_range():
    zwolle = load_all()["zwolle"]
    assert local(check(household(1690.79, children=(10,)), zwolle, FACTS))["kindregeling"] == "waarschijnlijk"
    assert "kindregeling" not in local(check(household(1200, children=(10,), savings=True), zwolle, FACTS))
    assert "kindregeling" not in local(check(household(1200, children=(18,)), zwolle, FACTS))
    assert local(check(household(1200, children=(20,)), zwolle, FACTS))["jeugdfonds_sport_zwolle"] == "waarschijnlijk"


def test_dordrecht_bijzondere_bijstand_case_by_case_above_110_percent():
    dordrecht = load_all()["dordrecht"]
    assert local(check(household(1430.67), dordrecht, FACTS))["bijzondere_bijstand"] == "waarschijnlijk"
    assert local(check(household(1500.00), dordrecht, FACTS))["bijzondere_bijstand"] == "misschien"
    assert "kindtegoed" not in local(check(household(1200, children=(13,)), dordrecht, FACTS))


# --- the facts file -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, cents, text",
    [(1369.06, False, "€ 1.369"), (1369.06, True, "€ 1.369,06"), (932.93, False, "€ 933"), (100, False, "€ 100"),
     (40857, False, "€ 40.857"), (1234567.891, True, "€ 1.234.567,89"), (0.5, False, "€ 1")],
)
def test_euro_writes_dutch_amounts(value, cents, text):
    assert euro(value, cents=cents) == text


def test_facts_keep_both_norms_with_their_labels():
    assert FACTS.year == 2026
    assert FACTS.bijstandsnorm("alleenstaande_ouder") == FACTS.bijstandsnorm("alleenstaande")
    official = FACTS.bijstandsnorm("gehuwden", version="per_1_januari_2024")
    assert (official.value, official.period_label, official.verified) == (1834.04, "norm van 1 januari 2024", True)
    assert FACTS.huurtoeslag.huurgrens_21_plus.value == 932.93
    assert FACTS.geldfit_phone() == "0800-8115"
    assert FACTS.vermogensgrens_bijstand("alleenstaande").value == 7575
    assert FACTS.vermogensgrens_bijstand("alleenstaande_ouder").value == 15150  # eenoudergezin
    assert FACTS.vermogensgrens_bijstand("gehuwden").period_label == "grens van 1 januari 2024"


def test_facts_validation_names_file_and_field(tmp_path):
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    data["huurtoeslag"]["huurgrens_21_plus"]["value"] = "veel"
    data["bijstandsnormen"]["in_use"] = "nieuwste"
    path = tmp_path / "2026.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FactsDataError) as caught:
        load_facts(path)
    message = str(caught.value)
    assert f"{path}: huurtoeslag.huurgrens_21_plus.value: value is not a valid float" in message
    assert f"{path}: bijstandsnormen.in_use: 'nieuwste' is not one of the versions" in message


def test_facts_year_must_match_the_file_name(tmp_path):
    path = tmp_path / "2027.yml"
    path.write_text(DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(FactsDataError, match=r"2027\.yml: year: 2026 does not match the file name 2027\.yml"):
        load_facts(path)
