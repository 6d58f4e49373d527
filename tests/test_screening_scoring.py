"""The risk screening: the data file's rules, scoring, level boundaries and the outcome text."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml

from actions.screening_scoring import (
    DEFAULT,
    LEVELS,
    Outcome,
    Screening,
    ScreeningDataError,
    compose_outcome,
    load_screening,
    next_steps,
    score,
)

TEAM = "Scheidingspunt Twenterand"
TITLES = ["scheidingsdeskundige", "financieel preventiemedewerker"]
PHONE = "0546-123456"


@pytest.fixture(scope="module")
def screening() -> Screening:
    return load_screening()


def compose(outcome: Outcome, screening: Screening, **overrides) -> str:
    kwargs = {"team_name": TEAM, "expert_titles": TITLES, "team_phone": PHONE, "screening": screening}
    return compose_outcome(outcome, **{**kwargs, **overrides})


def all_no(screening: Screening) -> dict[str, bool]:
    return {q.key: False for q in screening.questions}


def answers_worth(screening: Screening, points: int) -> dict[str, bool]:
    """All answered, "ja" on non-safety questions whose weights add up to exactly `points`."""
    plain = [q for q in screening.questions if not q.safety]
    for size in range(len(plain) + 1):
        for chosen in itertools.combinations(plain, size):
            if sum(q.weight for q in chosen) == points:
                return {**all_no(screening), **{q.key: True for q in chosen}}
    raise AssertionError(f"no combination of answers is worth exactly {points} points")


def prose_and_bullets(text: str) -> tuple[str, str, list[str]]:
    prose, rest = text.split("\n\n")
    header, *bullets = rest.split("\n")
    return prose, header, bullets


def sentences(prose: str) -> int:
    return len(re.findall(r"[.?!](\s|$)", prose))


# --- the data file ---


def test_questions_follow_the_rules(screening):
    assert 6 <= len(screening.questions) <= 10
    for question in screening.questions:
        words = question.text.split()
        assert question.text[0].isupper() and question.text.endswith("?"), question.text
        assert len(words) <= 15, question.text
        assert "je" in [w.strip(",?").lower() for w in words], f"not in the 'je' form: {question.text}"
        assert question.weight >= 1, question.key
    domains = {q.domain for q in screening.questions if not q.safety}
    assert {"conflict", "kinderen", "geld", "wonen"} <= domains
    assert len(domains) >= 4


def test_exactly_one_safety_question_and_it_comes_last(screening):
    safety = [q for q in screening.questions if q.safety]
    assert len(safety) == 1
    assert screening.questions[-1] == safety[0] == screening.safety_question
    assert safety[0].domain == "veiligheid"


def test_slot_names_follow_the_question_order(screening):
    assert screening.slot_names == [f"screening_{q.key}" for q in screening.questions]
    assert len(set(screening.slot_names)) == len(screening.questions)
    first = screening.questions[0]
    assert screening.question(first.key) is first
    assert screening.question(f"screening_{first.key}") is first
    with pytest.raises(KeyError):
        screening.question("bestaat_niet")


def test_intro_is_one_sentence_and_says_anonymous(screening):
    assert "anoniem" in screening.intro
    assert sentences(screening.intro) == 1
    assert str(len(screening.questions)) in screening.intro and "{" not in screening.intro


def test_every_step_names_a_link_a_number_or_a_scheme(screening):
    steps = [s for d in screening.domains.values() for s in d.steps] + list(screening.general_tips)
    for step in steps:
        assert re.search(r"\b0[89]00-\d{4}\b|\w\.nl\b|ouderschapsplan|KIES-groep|huurtoeslag", step), step
        assert len(step.split()) <= 20, step


def test_loading_is_cached(screening):
    assert load_screening() is screening
    assert load_screening(str(DEFAULT)) is screening


# --- scoring ---


def test_all_no_is_informatie_with_real_information_and_tips(screening):
    outcome = score(all_no(screening), screening)
    assert outcome == Outcome(level="informatie", domains=(), points=0, unknown=())
    text = compose(outcome, screening)
    prose, header, bullets = prose_and_bullets(text)
    assert text.startswith("Op basis van je antwoorden")
    assert "ouderschapsplan" in prose  # real information, not an empty "alles goed"
    assert header == screening.texts["tips_header"]
    assert 2 <= len(bullets) <= 3
    assert bullets == [f"- {tip}" for tip in screening.general_tips[: len(bullets)]]
    assert TEAM not in text and "0800-2000" not in text


def test_one_money_worry_is_advies_with_money_steps(screening):
    outcome = score({**all_no(screening), "vaste_lasten": True}, screening)
    assert outcome.level == "advies"
    assert outcome.domains == ("geld",)
    assert outcome.points == screening.question("vaste_lasten").weight
    text = compose(outcome, screening)
    prose, header, bullets = prose_and_bullets(text)
    assert prose.startswith("Op basis van je antwoorden") and "geld" in prose
    assert header == screening.texts["steps_header"]
    assert bullets == [f"- {step}" for step in screening.domains["geld"].steps[:3]]
    assert "0800-8115" in text  # Geldfit
    assert TEAM not in text  # the expert is offered from `deskundige` up


def test_many_worries_are_deskundige_with_the_team_named(screening):
    answers = {**all_no(screening), "ruzie_kinderen": True, "kind_moeilijk": True, "schulden": True,
               "vaste_lasten": True}  # fmt: skip
    outcome = score(answers, screening)
    assert outcome.level == "deskundige"
    assert outcome.points == 9
    assert outcome.domains == ("geld", "conflict", "kinderen")  # most points first, then question order
    text = compose(outcome, screening)
    prose, _, bullets = prose_and_bullets(text)
    assert "deskundige" in prose
    assert f"een scheidingsdeskundige of een financieel preventiemedewerker van {TEAM}" in prose
    assert "in de chat" in prose and "terugbellen" in prose and PHONE in prose
    # one step from each scored domain before any gets a second one
    assert bullets == ["- " + screening.domains[d].steps[0] for d in outcome.domains]


def test_safety_yes_is_urgent_whatever_the_points(screening):
    outcome = score({**all_no(screening), "veiligheid": True}, screening)
    assert outcome.points < dict(screening.levels)["deskundige"]
    assert outcome.level == "urgent"
    assert outcome.domains == ("veiligheid",)
    text = compose(outcome, screening)
    assert text.startswith("Op basis van je antwoorden")
    crisis_end = max(text.index("0800-2000"), text.index("112"))
    assert crisis_end < text.index(TEAM) < text.index(screening.texts["steps_header"])
    assert "direct gevaar" in text


def test_safety_comes_first_among_the_domains_of_an_urgent_outcome(screening):
    answers = {**all_no(screening), "schulden": True, "vaste_lasten": True, "veiligheid": True}
    outcome = score(answers, screening)
    assert outcome.level == "urgent"
    assert outcome.domains == ("veiligheid", "geld")
    _, _, bullets = prose_and_bullets(compose(outcome, screening))
    assert bullets[0] == "- " + screening.domains["veiligheid"].steps[0]


@pytest.mark.parametrize("level", ["advies", "deskundige"])
def test_boundaries_of_the_real_file(screening, level):
    boundary = dict(screening.levels)[level]
    below = LEVELS[LEVELS.index(level) - 1]
    assert score(answers_worth(screening, boundary - 1), screening).level == below
    assert score(answers_worth(screening, boundary), screening).level == level
    assert score(answers_worth(screening, boundary + 1), screening).level == level


def test_boundaries_come_from_the_data_file(tmp_path):
    raw = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    raw["levels"] = {"informatie": 0, "advies": 3, "deskundige": 4}
    path = tmp_path / "screening.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    changed = load_screening(path)
    expected = {0: "informatie", 1: "informatie", 2: "informatie", 3: "advies", 4: "deskundige",
                5: "deskundige"}  # fmt: skip
    for points, level in expected.items():
        outcome = score(answers_worth(changed, points), changed)
        assert (outcome.points, outcome.level) == (points, level)


def test_unanswered_questions_count_zero_and_are_listed(screening):
    answers = {"afspraken": None, "vaste_lasten": True, "schulden": None}  # the rest is missing
    outcome = score(answers, screening)
    assert outcome.points == screening.question("vaste_lasten").weight
    assert outcome.level == "advies"
    assert outcome.unknown == tuple(q.key for q in screening.questions if q.key != "vaste_lasten")
    # the safety question was not answered: the crisis numbers are given anyway, but not as urgent
    text = compose(outcome, screening)
    assert "0800-2000" in text and "112" in text and TEAM not in text


def test_nothing_answered_gives_no_all_clear(screening):
    outcome = score({}, screening)
    assert outcome == Outcome("informatie", (), 0, tuple(q.key for q in screening.questions))
    text = compose(outcome, screening)
    assert screening.texts["opening.clear"] not in text
    assert text.startswith("Op basis van je antwoorden") and "0800-2000" in text


def test_slot_names_are_accepted_as_keys(screening):
    answers = {name: False for name in screening.slot_names} | {"screening_schulden": True}
    assert score(answers, screening) == score({**all_no(screening), "schulden": True}, screening)


def test_wrong_keys_and_values_are_refused(screening):
    with pytest.raises(ValueError, match="geld"):
        score({"geld": True}, screening)
    with pytest.raises(TypeError, match="schulden"):
        score({"schulden": "ja"}, screening)


# --- the outcome text ---


@pytest.mark.parametrize("points", [0, 1, 2, 4, 5, 9, 14])
@pytest.mark.parametrize("safe", [True, False])
def test_outcome_is_short(screening, points, safe):
    answers = answers_worth(screening, points) | {"veiligheid": not safe}
    text = compose(score(answers, screening), screening)
    prose, header, bullets = prose_and_bullets(text)
    assert prose.startswith("Op basis van je antwoorden")
    assert sentences(prose) <= 7, prose
    assert header.endswith(":")
    assert 2 <= len(bullets) <= 3 and all(b.startswith("- ") for b in bullets)
    assert "{" not in text and "}" not in text


def test_expert_offer_without_phone_without_titles_or_outside_opening_hours(screening):
    outcome = score({**all_no(screening), "veiligheid": True}, screening)
    no_phone = compose(outcome, screening, team_phone=None)
    assert "bel " + PHONE not in no_phone and "in de chat" in no_phone and "terugbellen" in no_phone
    capitals = compose(outcome, screening, expert_titles=["Scheidingsdeskundige", "MEE-consulent", " "])
    assert f"een scheidingsdeskundige of een MEE-consulent van {TEAM}" in capitals
    no_titles = compose(outcome, screening, expert_titles=[])
    assert f"een deskundige van {TEAM}" in no_titles
    closed = compose(outcome, screening, live_chat=False)
    assert "chat" not in closed.split("\n\n")[0].replace("chatten", "")
    assert "terugbellen" in closed and PHONE in closed


def test_steps_take_turns_over_the_domains(screening):
    outcome = Outcome("advies", ("wonen", "geld"), 3, ())
    assert next_steps(outcome, screening) == [
        screening.domains["wonen"].steps[0],
        screening.domains["geld"].steps[0],
        screening.domains["wonen"].steps[1],
    ]


def test_compose_refuses_unknown_levels_and_domains(screening):
    with pytest.raises(ValueError, match="level"):
        compose(Outcome("hoog", (), 0, ()), screening)
    with pytest.raises(ValueError, match="sport"):
        compose(Outcome("advies", ("sport",), 2, ()), screening)


# --- validation errors name the file and the field ---


def _broken(raw: dict, change: str) -> None:
    questions = raw["questions"]
    if change == "weight_text":
        questions[0]["weight"] = "twee"
    elif change == "weight_negative":
        questions[1]["weight"] = -1
    elif change == "levels_order":
        raw["levels"]["deskundige"] = raw["levels"]["advies"]
    elif change == "levels_missing":
        del raw["levels"]["advies"]
    elif change == "levels_start":
        raw["levels"]["informatie"] = 1
    elif change == "two_safety":
        questions[0]["safety"] = True
    elif change == "no_safety":
        questions[-1]["safety"] = False
    elif change == "long_question":
        questions[2]["text"] = "Heb je " + "heel " * 14 + "veel zorgen?"
    elif change == "no_question_mark":
        questions[3]["text"] = "Je maakt je zorgen."
    elif change == "formal":
        questions[4]["text"] = "Maakt u zich zorgen over geld?"
    elif change == "too_few":
        del questions[:4]
    elif change == "same_key":
        questions[1]["key"] = questions[0]["key"]
    elif change == "unknown_domain":
        questions[0]["domain"] = "sport"
    elif change == "one_step":
        raw["domains"]["geld"]["steps"] = raw["domains"]["geld"]["steps"][:1]
    elif change == "placeholder":
        raw["outcome"]["expert"] = "Praat met {expert} van {team_name}."
    elif change == "phone_missing":
        raw["outcome"]["contact_chat_phone"] = "Praat nu met een medewerker in de chat."
    elif change == "opening":
        raw["outcome"]["opening"]["advies"] = "Je kunt advies vragen over {domains}."
    elif change == "extra_field":
        raw["levels"]["crisis"] = 9


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("weight_text", "questions.0.weight"),
        ("weight_negative", "questions.1.weight"),
        ("levels_order", "levels.deskundige"),
        ("levels_missing", "levels.advies"),
        ("levels_start", "levels.informatie"),
        ("two_safety", "questions"),
        ("no_safety", "questions"),
        ("long_question", "questions.2.text"),
        ("no_question_mark", "questions.3.text"),
        ("formal", "questions.4.text"),
        ("too_few", "questions"),
        ("same_key", "questions"),
        ("unknown_domain", "domains"),
        ("one_step", "domains.geld.steps"),
        ("placeholder", "outcome.expert"),
        ("phone_missing", "outcome.contact_chat_phone"),
        ("opening", "outcome.opening.advies"),
        ("extra_field", "levels.crisis"),
    ],
)
def test_broken_file_is_refused_with_file_and_field(tmp_path: Path, change: str, field: str):
    raw = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    _broken(raw, change)
    path = tmp_path / f"{change}.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScreeningDataError) as error:
        load_screening(path)
    message = str(error.value)
    assert str(path.resolve()) in message
    assert re.search(rf"(^|\s){re.escape(field)}: ", message), message


def test_unreadable_files_name_the_file(tmp_path: Path):
    missing = tmp_path / "bestaat_niet.yml"
    with pytest.raises(ScreeningDataError, match="bestaat_niet.yml"):
        load_screening(missing)
    broken = tmp_path / "kapot.yml"
    broken.write_text("questions: [\n", encoding="utf-8")
    with pytest.raises(ScreeningDataError, match="kapot.yml"):
        load_screening(broken)
    listing = tmp_path / "lijst.yml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ScreeningDataError, match="lijst.yml"):
        load_screening(listing)
