"""The short risk check: load its questions and wording from data/screening.yml, score the answers
and compose the outcome message. Pure functions, no Rasa: the screening form and the expert console
both use them.

Levels: `informatie` < `advies` < `deskundige` by points (boundaries in the data file), and `urgent`
whenever the one safety question got "ja", whatever the points.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, Extra, StrictBool, StrictStr, conint, conlist, validator

from bot.domain import datafile
from bot.domain.names import EXPERT_LEVELS, ScreeningLevel

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "screening.yml"
SLOT_PREFIX = "screening_"
MAX_WORDS = 15
OPENING = "Op basis van je antwoorden"
LEVELS = ScreeningLevel.values()  # low to high; the console's words for them: data/console_texts.yml


class ScreeningDataError(ValueError):
    """The screening data file is broken; the message names the file and the field."""


@dataclass(frozen=True)
class Question:
    key: str
    domain: str
    text: str
    weight: int
    safety: bool


@dataclass(frozen=True)
class Outcome:
    level: str
    domains: tuple[str, ...]  # domains with at least one "ja": the safety domain first, then most points
    points: int
    unknown: tuple[str, ...]  # keys of unanswered questions, in question order


@dataclass(frozen=True)
class Domain:
    key: str
    label: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    path: Path
    intro: str
    questions: tuple[Question, ...]
    levels: tuple[tuple[str, int], ...]  # (level, lowest points), ascending
    max_steps: int
    domains: Mapping[str, Domain]
    general_tips: tuple[str, ...]
    texts: Mapping[str, str]  # outcome wording; openings as "opening.<level>"

    @property
    def slot_names(self) -> list[str]:
        """The Rasa form's required slots, in the order it asks them."""
        return [SLOT_PREFIX + q.key for q in self.questions]

    def question(self, key: str) -> Question:
        key = key.removeprefix(SLOT_PREFIX)
        for item in self.questions:
            if item.key == key:
                return item
        raise KeyError(f"no screening question {key!r}")

    @property
    def safety_question(self) -> Question:
        return next(q for q in self.questions if q.safety)

    def level_for(self, points: int) -> str:
        return [level for level, lowest in self.levels if points >= lowest][-1]


# --- validation of the data file (pydantic v1) ---

# Which {fields} each text may use; the ones in REQUIRED_FIELDS must be there.
TEXT_FIELDS: dict[str, set[str]] = {
    "clear": set(),
    "informatie": {"domains"},
    "advies": {"domains"},
    "deskundige": {"domains"},
    "urgent": set(),
    "safety_unknown": set(),
    "expert": {"experts", "team_name"},
    "expert_no_titles": {"team_name"},
    "contact_chat_phone": {"phone"},
    "contact_chat": set(),
    "contact_phone": {"phone"},
    "contact": set(),
    "steps_header": set(),
    "tips_header": set(),
    "domains_fallback": set(),
}
REQUIRED_FIELDS = {"contact_chat_phone": {"phone"}, "contact_phone": {"phone"}}


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:  # a lone "{" or "}"
        raise ValueError(f"broken {{placeholder}}: {error}") from None


def _check_text(text: str, name: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError("is empty")
    used, allowed = _fields(text), TEXT_FIELDS[name]
    if used - allowed:
        raise ValueError(f"unknown placeholder(s) {sorted(used - allowed)}; allowed: {sorted(allowed)}")
    if REQUIRED_FIELDS.get(name, set()) - used:
        raise ValueError(f"must contain {sorted(REQUIRED_FIELDS[name])}")
    return text


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid


class _QuestionModel(_Model):
    key: StrictStr
    domain: StrictStr
    text: StrictStr
    weight: conint(strict=True, ge=0, le=10)  # type: ignore[valid-type]
    safety: StrictBool = False

    @validator("key")
    def _key(cls, value: str) -> str:
        if not value.isidentifier() or value != value.lower() or value.startswith(SLOT_PREFIX):
            raise ValueError(f"must be a lower-case name like 'vaste_lasten', without '{SLOT_PREFIX}'")
        return value

    @validator("text")
    def _text(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value[:1].isupper() or not value.endswith("?"):
            raise ValueError("must start with a capital and end with '?'")
        if len(value.split()) > MAX_WORDS:
            raise ValueError(f"has {len(value.split())} words; at most {MAX_WORDS}")
        if {"u", "uw"} & set(value.lower().rstrip("?").replace(",", " ").split()):
            raise ValueError("speak to the parent with 'je', not 'u'")
        return value


class _LevelsModel(_Model):
    informatie: conint(strict=True, ge=0, le=0)  # type: ignore[valid-type]
    advies: conint(strict=True, ge=1)  # type: ignore[valid-type]
    deskundige: conint(strict=True, ge=1)  # type: ignore[valid-type]

    @validator("deskundige")
    def _ascending(cls, value: int, values: dict[str, Any]) -> int:
        if "advies" in values and value <= values["advies"]:
            raise ValueError(f"must be more than advies ({values['advies']})")
        return value


class _DomainModel(_Model):
    label: StrictStr
    steps: conlist(StrictStr, min_items=2)  # type: ignore[valid-type]

    @validator("label", "steps", each_item=True)
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return " ".join(value.split())


class _OpeningModel(_Model):
    clear: StrictStr
    informatie: StrictStr
    advies: StrictStr
    deskundige: StrictStr
    urgent: StrictStr

    @validator("*")
    def _opening(cls, value: str, field: Any) -> str:
        value = _check_text(value, field.name)
        if not value.startswith(OPENING):
            raise ValueError(f"must start with '{OPENING}'")
        return value


class _OutcomeModel(_Model):
    opening: _OpeningModel
    safety_unknown: StrictStr
    expert: StrictStr
    expert_no_titles: StrictStr
    contact_chat_phone: StrictStr
    contact_chat: StrictStr
    contact_phone: StrictStr
    contact: StrictStr
    steps_header: StrictStr
    tips_header: StrictStr
    domains_fallback: StrictStr

    @validator("*")
    def _text(cls, value: Any, field: Any) -> Any:
        return value if field.name == "opening" else _check_text(value, field.name)


class _FileModel(_Model):
    intro: StrictStr
    questions: conlist(_QuestionModel, min_items=6, max_items=10)  # type: ignore[valid-type]
    levels: _LevelsModel
    max_steps: conint(strict=True, ge=2, le=3)  # type: ignore[valid-type]
    domains: dict[str, _DomainModel]
    general_tips: conlist(StrictStr, min_items=2)  # type: ignore[valid-type]
    outcome: _OutcomeModel

    @validator("intro")
    def _intro(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value or _fields(value) - {"count"}:
            raise ValueError("must be one non-empty sentence; the only placeholder is {count}")
        return value

    @validator("questions")
    def _questions(cls, questions: list[_QuestionModel]) -> list[_QuestionModel]:
        doubles = datafile.used_twice([q.key for q in questions])
        if doubles:
            raise ValueError(f"keys used twice: {doubles}")
        safety = [q.key for q in questions if q.safety]
        if len(safety) != 1:
            raise ValueError(f"exactly one question needs 'safety: true', found {len(safety)}")
        return questions

    @validator("domains")
    def _domains(cls, domains: dict[str, _DomainModel], values: dict[str, Any]) -> dict[str, _DomainModel]:
        for index, question in enumerate(values.get("questions") or []):
            if question.domain not in domains:
                raise ValueError(f"no entry for '{question.domain}' (questions.{index}.domain)")
        return domains


def load_screening(path: Path = DEFAULT) -> Screening:
    """The screening from its data file, validated and cached per path."""
    return _load(Path(path).resolve())


@cache
def _load(path: Path) -> Screening:
    data = datafile.load_model(path, _FileModel, ScreeningDataError)
    questions = tuple(Question(q.key, q.domain, q.text, q.weight, q.safety) for q in data.questions)
    texts = {f"opening.{name}": text for name, text in data.outcome.opening.dict().items()}
    texts.update({name: text for name, text in data.outcome.dict().items() if name != "opening"})
    return Screening(
        path=path,
        intro=data.intro.format(count=len(questions)),
        questions=questions,
        levels=tuple(data.levels.dict().items()),
        max_steps=data.max_steps,
        domains=MappingProxyType(
            {key: Domain(key, item.label, tuple(item.steps)) for key, item in data.domains.items()}
        ),
        general_tips=tuple(" ".join(tip.split()) for tip in data.general_tips),
        texts=MappingProxyType(texts),
    )


# --- scoring ---


def score(answers: Mapping[str, bool | None], screening: Screening | None = None) -> Outcome:
    """Score the answers. Keys are question keys (slot names "screening_<key>" are accepted too);
    a missing or None answer counts as 0 points and is listed in `unknown`."""
    screening = screening or load_screening()
    given: dict[str, bool | None] = {}
    for name, answer in answers.items():
        key = name.removeprefix(SLOT_PREFIX)
        if answer is not None and not isinstance(answer, bool):
            raise TypeError(f"answer to {name!r} must be True, False or None, not {answer!r}")
        given[key] = answer
    strange = sorted(set(given) - {q.key for q in screening.questions})
    if strange:
        raise ValueError(f"no screening question for {strange} (in {screening.path})")

    points, unknown, urgent = 0, [], False
    domain_points: dict[str, int] = {}
    for question in screening.questions:
        answer = given.get(question.key)
        if answer is None:
            unknown.append(question.key)
        elif answer:
            points += question.weight
            domain_points[question.domain] = domain_points.get(question.domain, 0) + question.weight
            urgent = urgent or question.safety
    safety_domain = screening.safety_question.domain
    # Strongest first, so the outcome's next steps start with what matters most (sort is stable:
    # ties keep the question order).
    domains = sorted(domain_points, key=lambda d: (d != safety_domain, -domain_points[d]))
    level = ScreeningLevel.URGENT.value if urgent else screening.level_for(points)
    return Outcome(level=level, domains=tuple(domains), points=points, unknown=tuple(unknown))


# --- the outcome message ---


def _join(items: Sequence[str], conjunction: str) -> str:
    """'a', 'a en b', 'a, b en c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _in_sentence(title: str) -> str:
    """'Scheidingsdeskundige' -> 'scheidingsdeskundige' mid-sentence; 'MEE-consulent' stays."""
    title = " ".join(title.split())
    return title[0].lower() + title[1:] if title[:2].istitle() else title


def next_steps(outcome: Outcome, screening: Screening | None = None) -> list[str]:
    """Up to `max_steps` steps, taking turns over the scored domains (strongest first) so that
    each of them gets a step before any gets a second one; the general tips when none scored."""
    screening = screening or load_screening()
    lists = [screening.domains[d].steps for d in outcome.domains]
    if not lists:
        return list(screening.general_tips[: screening.max_steps])
    steps: list[str] = []
    for turn in range(max(len(items) for items in lists)):
        steps.extend(items[turn] for items in lists if turn < len(items))
    return steps[: screening.max_steps]


def compose_outcome(
    outcome: Outcome,
    *,
    team_name: str,
    expert_titles: Sequence[str],
    team_phone: str | None,
    screening: Screening | None = None,
    live_chat: bool = True,
) -> str:
    """The message after the last question: a few sentences, then a short list of next steps.

    `expert_titles` are nouns without an article ("scheidingsdeskundige"). `live_chat=False`
    (outside opening hours) offers only a callback or the phone, never a closed chat.
    """
    screening = screening or load_screening()
    if outcome.level not in LEVELS:
        raise ValueError(f"unknown screening level {outcome.level!r}; expected one of {LEVELS}")
    missing = [d for d in outcome.domains if d not in screening.domains]
    if missing:
        raise ValueError(f"domains {missing} are not in {screening.path}")
    texts = screening.texts
    labels = [screening.domains[d].label for d in outcome.domains]
    domains = _join(labels, "en") or texts["domains_fallback"]

    answered_any = len(outcome.unknown) < len(screening.questions)
    if outcome.level == ScreeningLevel.INFORMATIE and not outcome.domains and answered_any:
        sentences = [texts["opening.clear"]]
    else:
        sentences = [texts[f"opening.{outcome.level}"].format(domains=domains)]
    if outcome.level != ScreeningLevel.URGENT and screening.safety_question.key in outcome.unknown:
        sentences.append(texts["safety_unknown"])

    if outcome.level in EXPERT_LEVELS:
        titles = [_in_sentence(title) for title in expert_titles if title.strip()]
        if titles:
            experts = _join([f"een {title}" for title in titles], "of")
            sentences.append(texts["expert"].format(experts=experts, team_name=team_name))
        else:
            sentences.append(texts["expert_no_titles"].format(team_name=team_name))
        contact = ("contact_chat" if live_chat else "contact") + ("_phone" if team_phone else "")
        sentences.append(texts[contact].format(phone=team_phone))

    header = texts["steps_header"] if outcome.domains else texts["tips_header"]
    bullets = "\n".join(f"- {step}" for step in next_steps(outcome, screening))
    return f"{' '.join(sentences)}\n\n{header}\n{bullets}"
