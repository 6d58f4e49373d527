"""What a trained model understands of the held-out sets (tests/data/heldout/), NLU only, in process.

Usage: python -m benchmarks.understanding [--model models/scheidingspunt.tar.gz] [--split dev]

Prints FAQ top-1/top-3 answer accuracy, safety recall and false alarms, out-of-scope recall and the
share of in-scope questions refused, municipality questions recognised. Tune on `dev` only; the
figures we report come from `test` (benchmarks/heldout.py runs them side by side for three configs).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.names import SAFETY_INTENTS
from tests import heldout

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
SAFETY = SAFETY_INTENTS
WORRY = "share_worry"
# What a parent sees for these intents: an honest "not my subject" rather than an answer.
REFUSALS = ("out_of_scope",)

Parse = Callable[[str], dict]


def load_parser(model: Path) -> Parse:
    from rasa.core.agent import Agent

    loop = asyncio.new_event_loop()
    agent = Agent.load(str(model))

    def parse(text: str) -> dict:
        return loop.run_until_complete(agent.parse_message(text))

    return parse


def intent_of(parse: dict) -> str:
    return (parse.get("intent") or {}).get("name") or ""


def answer_ranking(parse: dict) -> list[str]:
    """FAQ answer keys best first, as the ResponseSelector (or ExactExampleMatch) ranked them."""
    selectors = parse.get("response_selector") or {}
    # Rasa's default config trains one selector for all retrieval intents, under "default".
    selected = selectors.get("faq") or selectors.get("default") or {}
    chosen = (selected.get("response") or {}).get("intent_response_key")
    ranking = [r.get("intent_response_key") for r in selected.get("ranking", [])]
    return ([chosen] if chosen else []) + [key for key in ranking if key != chosen]


def faq_answer_shown(parse: dict) -> str | None:
    """The FAQ answer a parent gets for this message, or None (fallback, refusal, other flow)."""
    intent = intent_of(parse)
    if intent == "faq" or (intent == "share_worry" and parse.get("faq_answer_too")):
        ranking = answer_ranking(parse)
        return ranking[0] if ranking else None
    return None


@dataclass
class Report:
    figures: dict[str, float] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.figures[name] = value

    def miss(self, name: str, text: str) -> None:
        self.misses.setdefault(name, []).append(text)


def evaluate(parse: Parse, split: str) -> Report:
    report = Report()
    faq_items = heldout.faq(split)
    top1 = top3 = refused = 0
    started = time.perf_counter()
    for item in faq_items:
        result = parse(item.text)
        shown = faq_answer_shown(result)
        top1 += shown == item.label
        # Top-3: the right answer among the three best, for a message taken as a question.
        top3 += intent_of(result) in ("faq", "nlu_fallback", "share_worry") \
            and item.label in answer_ranking(result)[:3]
        refused += intent_of(result) in REFUSALS
        if shown != item.label:
            report.miss("faq", f"{item.text!r} -> {intent_of(result)} {shown} (want {item.label})")
    seconds = time.perf_counter() - started
    report.add("faq top-1", top1 / len(faq_items))
    report.add("faq top-3", top3 / len(faq_items))
    report.add("in-scope refused", refused / len(faq_items))
    report.add("ms per message", 1000 * seconds / len(faq_items))

    signals = heldout.safety(split)
    caught = right = helped = 0
    by_category: Counter = Counter()
    for item in signals:
        intent = intent_of(parse(item.text))
        caught += intent in SAFETY
        helped += intent in SAFETY or intent == WORRY  # the worry answer names every helpline too
        right += intent == item.label or (intent in SAFETY and item.label == "safety_suicide"
                                           and intent == "safety_suicide")
        if intent in SAFETY:
            by_category[item.group] += 1
        else:
            report.miss("safety", f"{item.text!r} -> {intent} ({item.group})")
    report.add("safety recall", caught / len(signals))
    report.add("safety right helpline", right / len(signals))
    report.add("safety helplines (+worry)", helped / len(signals))

    calm = heldout.harmless(split) + [heldout.Item(i.text, "") for i in faq_items]
    alarms = worries = 0
    for item in calm:
        intent = intent_of(parse(item.text))
        if intent in SAFETY:
            alarms += 1
            report.miss("false alarm", f"{item.text!r} -> {intent}")
        if intent == WORRY:  # gentle, with the helplines (and the answer), but not asked for
            worries += 1
            report.miss("worry answer to a calm message", item.text)
    report.add("safety false alarms", alarms / len(calm))
    report.add("calm messages: worry answer", worries / len(calm))

    oos = heldout.out_of_scope(split)
    hits = 0
    for item in oos:
        result = parse(item.text)
        hits += intent_of(result) in REFUSALS
        if intent_of(result) not in REFUSALS:
            report.miss("out of scope", f"{item.text!r} -> {intent_of(result)} {faq_answer_shown(result)}")
    report.add("out-of-scope recall", hits / len(oos))

    places = heldout.municipality(split)
    local = 0
    for item in places:
        result = parse(item.text)
        found = [e.get("value") for e in result.get("entities", []) if e.get("entity") == "gemeente"]
        ok = intent_of(result) == "ask_municipality" and item.label in found
        local += ok
        if not ok:
            report.miss("municipality", f"{item.text!r} -> {intent_of(result)} {found} (want {item.label})")
    report.add("municipality questions", local / len(places))
    return report


def print_report(report: Report, *, misses: bool = False) -> None:
    for name, value in report.figures.items():
        print(f"{name:26s} {value:8.3f}")
    if misses:
        for name, lines in report.misses.items():
            print(f"\n# {name} ({len(lines)})")
            for line in lines:
                print("  ", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--split", choices=heldout.SPLITS, default="dev")
    parser.add_argument("--misses", action="store_true", help="list every miss (dev split only)")
    args = parser.parse_args()
    if args.misses and args.split != "dev":
        parser.error("misses are for tuning: use the dev split")
    print_report(evaluate(load_parser(args.model), args.split), misses=args.misses)


if __name__ == "__main__":
    main()
