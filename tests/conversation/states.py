"""Every place a conversation can wait for the parent: idle, each slot of each form, the deletion
question, the feedback comment. Each state is reached by the messages of its set-up (buttons where
the flow offers them), and the bot's last message of the set-up is the question it waits on.

Used by tests/conversation/test_every_state.py and benchmarks/heldout.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCREENING_SLOTS = [q["key"] for q in yaml.safe_load(
    (REPO / "data" / "screening.yml").read_text(encoding="utf-8"))["questions"]]


@dataclass(frozen=True)
class State:
    name: str
    setup: tuple[str, ...]
    form: bool = True   # False: no question waits (idle)


def _screening() -> list[State]:
    return [State(f"screening:{slot}", ("/start_screening", *["nee"] * i))
            for i, slot in enumerate(SCREENING_SLOTS)]


SCHEMES_ANSWERS = ("Zwolle", "ja", "2 kinderen van 4 en 7", "1500 euro", "huur")
SCHEMES_SLOTS = ("gemeente", "single_parent", "children", "income", "housing", "savings")
CALLBACK_ANSWERS = ("06 1234 5678", "Twenterand")

STATES: tuple[State, ...] = (
    State("idle", (), form=False),
    *_screening(),
    *[State(f"schemes:{slot}", ("/check_schemes", *SCHEMES_ANSWERS[:i])) for i, slot in enumerate(SCHEMES_SLOTS)],
    State("callback:phone", ("/request_callback",)),
    State("callback:gemeente", ("/request_callback", CALLBACK_ANSWERS[0])),
    State("callback:moment", ("/request_callback", *CALLBACK_ANSWERS)),
    State("handoff:gemeente", ("/request_human",)),
    State("delete:confirmation", ("/delete_conversation",)),
    State("feedback:comment", ("/thanks", "/feedback_negative")),
)


def new_sender(prefix: str = "state") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def enter(send, state: State, sender: str) -> str:
    """Bring a fresh conversation into `state`; returns the question it now waits on ("" when idle)."""
    last = ""
    for text in state.setup:
        replies = send(sender, text)
        last = replies[-1].get("text", "") if replies else ""
    return last if state.form else ""
