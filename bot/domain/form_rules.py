"""How often a form asks again when it cannot use an answer, and what it does then (data/forms.yml).

Read once and checked at start-up (bot/startup.py); actions/form_validation.py applies it.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, conint, root_validator

from bot.domain import datafile

FILE = datafile.REPO / "data" / "forms.yml"


class FormDataError(ValueError):
    """data/forms.yml cannot be used; the message names the file and the field."""


class Then(str, Enum):
    SKIP = "skip"  # the question gets `value` and the form goes on
    STOP = "stop"  # the form ends; its last step offers another way to reach the team


class Retry(BaseModel):
    """The rule for one question: keep asking (no tries), or give up after `tries` answers."""

    class Config:
        extra = "forbid"  # a misspelt key is an error, not a rule that silently does nothing

    tries: conint(ge=1) | None = None
    then: Then | None = None
    value: str | None = None
    say: str | None = None

    @root_validator(skip_on_failure=True)
    def _complete(cls, values: dict) -> dict:
        tries, then = values.get("tries"), values.get("then")
        if (tries is None) != (then is None):
            raise ValueError("tries and then go together")
        if then == Then.SKIP and not (values.get("value") and values.get("say")):
            raise ValueError("then: skip needs the value the question gets and the response to say")
        if then != Then.SKIP and (values.get("value") or values.get("say")):
            raise ValueError("value and say are only for then: skip")
        return values

    @property
    def keeps_asking(self) -> bool:
        return self.tries is None


class FormRule(Retry):
    questions: dict[str, Retry] = {}


class FormRules(BaseModel):
    class Config:
        extra = "forbid"

    forms: dict[str, FormRule] = {}

    def retry(self, form: str, slot: str) -> Retry:
        """The rule for one question: its own lines, else its form's, else keep asking."""
        rule = self.forms.get(form)
        if rule is None:
            return Retry()
        if slot in rule.questions:
            return rule.questions[slot]
        return Retry(tries=rule.tries, then=rule.then, value=rule.value, say=rule.say)


@cache
def load_form_rules(path: Path = FILE) -> FormRules:
    return datafile.load_model(path, FormRules, FormDataError)
