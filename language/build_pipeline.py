"""Build the Dutch spaCy pipeline that Rasa's SpacyNLP loads (``model: build/nl_pipeline``).

No Dutch model can be downloaded here, so the pipeline is made from ``spacy.blank("nl")``:
the Dutch tokenizer, a lookup lemmatizer (tables from spacy-lookups-data) and an entity ruler
with our patterns. Deterministic: the same inputs give the same directory.

Usage: python -m language.build_pipeline OUTPUT_DIR
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import spacy

from language import entity_patterns, gemeenten


def build() -> spacy.language.Language:
    nlp = spacy.blank("nl")
    # Lookup mode needs no part-of-speech tagger, which we do not have.
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    # initialize() loads the lemma tables and empties the ruler, so patterns come after it.
    nlp.initialize()
    ruler.add_patterns(entity_patterns.all_patterns(gemeenten.load()))
    nlp.meta["name"] = "scheidingspunt_nl"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank Dutch pipeline + lookup lemmas + entity ruler (built in repo)."
    return nlp


def main(output: str) -> None:
    target = Path(output)
    nlp = build()
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    print(f"spaCy pipeline written to {target} ({', '.join(nlp.pipe_names)})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/nl_pipeline")
