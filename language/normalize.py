"""Normalise chat text for rule-based matching (not for the ML featurizers)."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides, zero-width characters and other invisible format characters (Cf)
# are dropped; control characters (Cc) become spaces; an unpaired UTF-16 surrogate (Cs, half of a
# broken emoji) becomes U+FFFD, since no UTF-8 encoder (HTTP, database, log) accepts it.
_CHAT_FORMS = [
    (re.compile(r"\bm['’]?n\b"), "mijn"),
    (re.compile(r"\bz['’]?n\b"), "zijn"),
    (re.compile(r"\bd['’]?r\b"), "haar"),
    (re.compile(r"\bk\b"), "ik"),
    (re.compile(r"\bff\b"), "even"),
]

REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """Remove control and invisible format characters, replace unpaired surrogates; collapse white
    space. Keeps case and accents."""
    out = []
    for ch in unicodedata.normalize("NFKC", text or ""):
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        out.append(" " if category == "Cc" else REPLACEMENT if category == "Cs" else ch)
    return " ".join("".join(out).split())


def for_matching(text: str) -> str:
    """Lower case, no accents, chat forms written out: the form safety patterns are written for."""
    text = unicodedata.normalize("NFKD", clean(text).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'")
    for pattern, replacement in _CHAT_FORMS:
        text = pattern.sub(replacement, text)
    return text


def letter_share(text: str) -> tuple[int, float]:
    """(number of letters, share of them in the Latin script)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0, 0.0
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return len(letters), latin / len(letters)
