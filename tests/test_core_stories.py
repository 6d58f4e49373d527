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


def test_every_form_has_a_happy_a_stop_and_a_safety_story():
    names = " ".join(story["story"] for story in _stories())
    for form in ("screening", "schemes", "callback", "handoff"):
        for kind in ("happy", "stop", "safety"):
            assert f"{form} {kind}" in names, f"no '{form} {kind}' test story"


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
