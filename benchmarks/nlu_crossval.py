"""NLU quality: k-fold cross-validation of our config and Rasa's default config on the same data.

Prints intent macro-F1 / accuracy and response-selection accuracy / macro-F1 side by side.
Goal (issue 4): intent macro-F1 >= 0.92 and >= 0.03 above the default; response selection >= 0.90.

Usage: python -m benchmarks.nlu_crossval [--folds 5] [--only ours|default]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
CONFIGS = {"ours": REPO / "config.yml", "default": REPO / "benchmarks" / "default_config.yml"}


def cross_validate(name: str, folds: int) -> dict:
    out = RESULTS / f"crossval_{name}"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONHASHSEED": "0"}
    started = time.time()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--cross-validation",
         "--folds", str(folds), "--config", str(CONFIGS[name]), "--nlu", "data/nlu",
         "--out", str(out), "--no-plot"],
        cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    intents = json.loads((out / "intent_report.json").read_text())
    responses = json.loads((out / "response_selection_report.json").read_text())
    return {
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "intent_accuracy": intents.get("accuracy", intents.get("micro avg", {}).get("f1-score")),
        "response_accuracy": responses.get("accuracy", responses.get("micro avg", {}).get("f1-score")),
        "response_macro_f1": responses["macro avg"]["f1-score"],
        "minutes": (time.time() - started) / 60,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", choices=sorted(CONFIGS))
    args = parser.parse_args()
    names = [args.only] if args.only else ["ours", "default"]
    # With --only, the other config's last result (same fold count) is shown beside it.
    stored = RESULTS / "nlu_crossval.json"
    results = json.loads(stored.read_text()) if stored.exists() else {}
    results = {n: r for n, r in results.items() if r.get("folds") == args.folds}
    for name in names:
        results[name] = {**cross_validate(name, args.folds), "folds": args.folds}
    stored.write_text(json.dumps(results, indent=2))
    shown = [n for n in ("ours", "default") if n in results]
    print(f"NLU {args.folds}-fold cross-validation on data/nlu")
    print(f"{'metric':<22}" + "".join(f"{name:>12}" for name in shown))
    for metric in ("intent_macro_f1", "intent_accuracy", "response_accuracy", "response_macro_f1", "minutes"):
        print(f"{metric:<22}" + "".join(f"{results[n][metric]:>12.3f}" for n in shown))


if __name__ == "__main__":
    main()
