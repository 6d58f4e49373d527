"""Safety and the commands hold in every state: idle, every slot of every form, the deletion question
and the feedback comment, with the trained assistant over REST.

Every held-out safety signal is sent in every state, and the form then asks its question again. A
signal of the development half (what the guards are tuned on) must get its helplines everywhere; a
signal of the test half must be treated in every state as it is when nothing else goes on (its
recall is a measurement, printed by benchmarks/heldout.py, not something to tune until a test
passes). Each command ("verwijder mijn gesprek", "stop", "ik wil een mens", "help" and the
buttons/Telegram commands) does what it says in every form slot and is never taken as an answer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import heldout
from tests.conversation.states import STATES, State, enter, new_sender

DEV, TEST = heldout.safety("dev"), heldout.safety("test")
SIGNALS = DEV + TEST
CHUNK = 20  # signals per conversation: the form asks again after each, so one set-up serves many
HELPLINES = {"safety_violence": ("0800-2000", "112"), "safety_suicide": ("113", "0800-0113", "112")}
FORM_STATES = [s for s in STATES if s.form and not s.name.startswith("delete")]
# How the safety answers and the worry answers begin (domain.yml).
SIGNAL_ANSWERS = ("Wat naar dat je dit meemaakt", "Wat goed dat je dit vertelt", "Dat klinkt zwaar")


def joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def helped(item: heldout.Item, replies: list[dict]) -> bool:
    text = joined(replies)
    return all(number in text for number in HELPLINES[item.label])


def heard_as_signal(replies: list[dict]) -> bool:
    """The assistant recognised a signal or a worry (not: a FAQ answer that happens to name a helpline)."""
    text = joined(replies)
    return any(opening in text for opening in SIGNAL_ANSWERS)


def _signals_in_state(assistant, state: State, signals: list[heldout.Item]) -> dict[str, tuple[bool, bool]]:
    """{signal: (helplines given, the form asked its question again)}; when idle, the first is whether
    the assistant recognised it as a signal or a worry."""
    sender = new_sender("safety")
    question = enter(assistant.ask, state, sender)
    seen = {}
    for item in signals:
        replies = assistant.ask(sender, item.text)
        recognised = heard_as_signal(replies)
        heard = helped(item, replies) and (state.form or recognised)
        # Recognised as a signal or a worry: the form must ask its question again.
        seen[item.text] = (heard, not question or not recognised or (replies[-1].get("text") or "") == question)
        if not recognised:
            # A test-half signal taken as an answer or a question (a FAQ answer may name the helplines
            # too) can move the conversation on: from here on only the helplines are checked.
            question = ""
    return seen


@pytest.mark.slow
def test_every_safety_signal_in_every_state(assistant):
    jobs = [(state, SIGNALS[i:i + CHUNK]) for state in STATES for i in range(0, len(SIGNALS), CHUNK)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: (job[0], _signals_in_state(assistant, *job)), jobs))
    idle = {text: ok for state, seen in results if not state.form for text, (ok, _) in seen.items()}
    dev = {item.text for item in DEV}
    problems = []
    for state, seen in results:
        for text, (ok, back) in seen.items():
            if not ok and (text in dev or idle[text]):
                problems.append(f"{state.name}: no helplines for {text!r}")
            if ok and not back:  # heard, answered, and then the form must go on where it was
                problems.append(f"{state.name}: the form did not ask its question again after {text!r}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


COMMANDS = {
    "delete": ["verwijder mijn gesprek", "/delete_conversation"],
    "stop": ["stop", "laat maar"],
    "human": ["ik wil een mens", "/request_human"],
    "help": ["help", "/help"],
}


def _expect(command: str, state: State, question: str, replies: list[dict]) -> str | None:
    text = joined(replies)
    last = replies[-1].get("text") or "" if replies else ""
    if command == "delete":
        ok = "Wil je dat ik dit gesprek verwijder?" in last
    elif command == "stop":
        ok = text.startswith("Oké") and "Waar kan ik je nog mee helpen?" in text
    elif command == "human":
        # The hand-over starts: it asks the municipality, or (known already) connects or says when.
        ok = any(words in text for words in ("In welke gemeente woon je?", "niemand beschikbaar",
                                             "wachtrij", "medewerker")) and "begrijp" not in text
    else:
        ok = "Typ \"stop\" om te stoppen" in text and last == question
    return None if ok else f"{state.name} / {command}: {text[:160]!r}"


@pytest.mark.slow
@pytest.mark.parametrize("state", FORM_STATES, ids=lambda s: s.name)
def test_commands_work_in_every_form_slot(assistant, state):
    problems = []
    for command, phrasings in COMMANDS.items():
        for phrasing in phrasings:
            sender = new_sender("command")
            question = enter(assistant.ask, state, sender)
            problem = _expect(command, state, question, assistant.ask(sender, phrasing))
            if problem:
                problems.append(f"{phrasing!r}: {problem}")
    assert not problems, "\n".join(problems)


def test_the_states_cover_every_slot_of_every_form(repo):
    import yaml

    domain = yaml.safe_load((repo / "domain.yml").read_text(encoding="utf-8"))
    slots = sum(len(form["required_slots"]) for form in domain["forms"].values())
    assert len([s for s in STATES if s.form and not s.name.startswith("delete")]) == slots
