"""The test stories in tests/test_stories.yml all pass against the trained model (`rasa test core`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
RASA = Path(sys.executable).parent / "rasa"
STORIES = REPO / "tests" / "test_stories.yml"


def test_there_are_at_least_40_test_stories():
    assert len(yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]) >= 40


def test_all_test_stories_pass(trained_model, tmp_path):
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [str(RASA), "test", "core", "--model", str(trained_model), "--stories", str(STORIES),
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=1200,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, (details or (result.stdout + result.stderr))[-5000:]
    assert "Failed stories" not in details or details.strip().endswith("stories: []")
