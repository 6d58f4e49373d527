"""Deterministic detection of safety signals (violence, abuse, acute danger, suicidal statements).

The patterns live in data/safety/patterns.yml so that they can be reviewed without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from language.normalize import for_matching

REPO = Path(__file__).resolve().parent.parent
PATTERNS_FILE = REPO / "data" / "safety" / "patterns.yml"
CALM_FILE = REPO / "data" / "safety" / "calm_examples.yml"

SUICIDE = "safety_suicide"
VIOLENCE = "safety_violence"
_INTENT_FOR_CATEGORY = {"suicide": SUICIDE, "violence": VIOLENCE}


@dataclass(frozen=True)
class SafetyPatterns:
    by_intent: tuple[tuple[str, tuple[re.Pattern, ...]], ...]
    benign: tuple[re.Pattern, ...] = ()

    def detect(self, text: str) -> str | None:
        """The safety intent a message signals, or None. Suicide wins when both match."""
        normalised = for_matching(text)
        for intent, patterns in self.by_intent:
            if any(pattern.search(normalised) for pattern in patterns):
                return intent
        return None

    def is_benign(self, text: str) -> bool:
        """An everyday phrase the classifier tends to mistake for violence ("de deur dichtgeslagen")."""
        normalised = for_matching(text)
        return any(pattern.search(normalised) for pattern in self.benign)


@cache
def load(path: Path = PATTERNS_FILE) -> SafetyPatterns:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    unknown = set(data) - set(_INTENT_FOR_CATEGORY) - {"benign"}
    if unknown:
        raise ValueError(f"{path}: unknown categories {sorted(unknown)}")
    return SafetyPatterns(
        by_intent=tuple(
            (_INTENT_FOR_CATEGORY[category], tuple(re.compile(p) for p in data[category]))
            for category in ("suicide", "violence")
        ),
        benign=tuple(re.compile(p) for p in data.get("benign", ())),
    )


def calm_examples(path: Path = CALM_FILE) -> list[str]:
    """Harmless messages with alarming words, for training what is not a signal."""
    return [str(text) for text in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["calm"]]
