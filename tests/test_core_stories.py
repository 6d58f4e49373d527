"""The test stories in tests/stories/ all pass against the trained model.

`rasa test core --e2e` runs the NLU on each story's user text, so a story checks the predicted
intent (for FAQ questions the full retrieval intent, faq/<topic>_<question>, i.e. the answer chosen)
as well as the actions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
RASA = Path(sys.executable).parent / "rasa"
STORIES = REPO / "tests" / "stories"  # every file in it: FAQ and basics, and the forms


def _stories() -> list[dict]:
    return [story for path in sorted(STORIES.glob("*.yml"))
            for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]]


def test_there_are_at_least_40_test_stories():
    assert len(_stories()) >= 40


def _what_happens_in(form: str, steps: list[dict]) -> set[str]:
    """What a story's steps do with the active `form`, whatever the story is called:
    "happy" the form asks its last question and closes itself;
    "stop" the parent stops it (stop_form), it is deactivated and the assistant says so;
    "safety" a safety signal during the form gets its safety answer, and the form goes on."""
    found: set[str] = set()
    active = False
    for index, step in enumerate(steps):
        after = steps[index + 1:]
        if "active_loop" in step:
            active = step["active_loop"] == form
        elif not active:
            continue
        elif step == {"action": form} and after[:1] == [{"active_loop": None}]:
            found.add("happy")
        elif step.get("intent") == "stop_form" and after[:2] == [
                {"action": "action_deactivate_loop"}, {"active_loop": None}] \
                and {"action": "action_form_stopped"} in after:
            found.add("stop")
        elif str(step.get("intent", "")).startswith("safety_") and len(after) >= 3 \
                and str(after[0].get("action", "")).startswith("utter_safety_") \
                and after[1:3] == [{"action": form}, {"active_loop": form}]:
            found.add("safety")
    return found


def test_every_form_has_a_happy_a_stop_and_a_safety_story():
    for form in ("screening_form", "schemes_form", "callback_form", "handoff_form"):
        found = set().union(*(_what_happens_in(form, story["steps"]) for story in _stories()))
        assert found == {"happy", "stop", "safety"}, \
            f"{form}: no test story for {sorted({'happy', 'stop', 'safety'} - found)}"


def test_all_test_stories_pass(trained_model, tmp_path):
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [str(RASA), "test", "core", "--model", str(trained_model), "--stories", str(STORIES),
         "--out", str(tmp_path), "--e2e"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=1200,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    failed = yaml.safe_load((tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8"))
    assert not (failed or {}).get("stories"), (tmp_path / "failed_test_stories.yml").read_text()
