"""A small classifier on the sentence vectors (language/sentence_encoder.py) for one decision.

The SafetyGuard asks "violence, suicide or neither?", the ScopeGuard "out of scope or not?", the
MeaningIntentVote "which intent?" (every intent, no OTHER class). Trained
with the rest of the model on the training examples, with balanced classes (the examples of the
classes we listen for are few). Meaning reaches words the patterns and the word counts never saw
("ze belt me zestig keer per dag", "ik ben alleen nog een last", "hoe snoei ik mijn rozen").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from language import sentence_encoder
from language.normalize import clean

OTHER = ""  # the first class: everything else


def average(first: dict[str, float], second: dict[str, float], weight: float) -> dict[str, float]:
    """{name: (1 - weight) x first + weight x second}: a classifier's confidences and the meaning's
    probabilities as one vote (MeaningIntentVote for intents, FaqMeaningSelector for FAQ answers)."""
    return {name: (1 - weight) * first.get(name, 0.0) + weight * second.get(name, 0.0)
            for name in {*first, *second} if name}


@dataclass(frozen=True)
class MeaningClassifier:
    classes: tuple[str, ...]   # OTHER first (unless every intent is listened for), then the intents
    weights: np.ndarray        # (classes, 512), or (0, 512) when untrained
    bias: np.ndarray

    @classmethod
    def build(cls, examples: list[tuple[str, str]], listen_for: tuple[str, ...] | None,
              strength: float = 1.0, balanced: bool = True) -> MeaningClassifier:
        """From (text, intent) pairs; intents not in `listen_for` count as OTHER, and `None` listens
        for every intent. `strength` is the inverse regularisation (scikit-learn's C); `balanced`
        weighs every class alike however many examples it has."""
        from sklearn.linear_model import LogisticRegression

        classes = (OTHER, *listen_for) if listen_for is not None else tuple(sorted({i for _, i in examples}))
        if len(classes) < 2:
            return cls.empty(classes)
        listen_for = classes if listen_for is None else listen_for
        labels = np.array([classes.index(intent) if intent in listen_for else 0 for _, intent in examples])
        if len(set(labels.tolist())) < len(classes):
            return cls.empty(classes)
        vectors = sentence_encoder.embed([clean(text) for text, _ in examples])
        model = LogisticRegression(C=strength, class_weight="balanced" if balanced else None,
                                   max_iter=5000, random_state=0)
        model.fit(vectors, labels)
        weights, bias = model.coef_, model.intercept_
        if len(classes) == 2:  # scikit-learn keeps one row for two classes
            weights, bias = np.vstack([-weights, weights]) / 2, np.array([-bias[0], bias[0]]) / 2
        return cls(classes, weights.astype(np.float32), bias.astype(np.float32))

    @classmethod
    def empty(cls, classes: tuple[str, ...] = (OTHER,)) -> MeaningClassifier:
        return cls(classes, np.zeros((0, sentence_encoder.DIMENSIONS), dtype=np.float32),
                   np.zeros(0, dtype=np.float32))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, classes=np.array(self.classes), weights=self.weights, bias=self.bias)

    @classmethod
    def load(cls, path: Path) -> MeaningClassifier:
        with np.load(path) as data:
            return cls(tuple(str(c) for c in data["classes"]), data["weights"], data["bias"])

    def probabilities(self, text: str) -> dict[str, float]:
        """{intent listened for: probability}; empty when untrained."""
        if not len(self.bias):
            return {}
        scores = self.weights @ sentence_encoder.embed_one(clean(text)) + self.bias
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        return {c: float(p) for c, p in zip(self.classes, probabilities, strict=True) if c != OTHER}
