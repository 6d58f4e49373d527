"""Understand a typed yes or no (Dutch or English) to a screening question.

Choice: hedged answers — "soms", "een beetje", "best wel", "vaak", "af en toe" — count as YES. Every
screening question is phrased so that "ja" signals a concern, and a parent who argues "soms" in front
of the children, or is "een beetje" afraid, has that concern. "Valt mee" and "niet echt" count as NO.

Anything else is None: "weet ik niet", a question ("ja?", "hoe bedoel je?"), a mix of yes and no
("nee, soms"), or a longer story. The form then asks again with the Ja/Nee buttons: we would rather
ask twice than read a "nee" that hides a concern.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

YES_NO_BUTTONS = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]

_YES = (
    "ja", "jaja", "jah", "jep", "jup", "jawel", "jazeker", "ja zeker", "zeker", "zeker weten", "klopt",
    "klopt wel", "inderdaad", "natuurlijk", "absoluut", "echt wel", "denk het wel", "denk van wel",
    # hedges: some of the concern is there (see the module docstring)
    "soms", "af en toe", "een beetje", "beetje", "een klein beetje", "best wel", "vaak", "regelmatig",
    "yes", "yep", "yup", "yeah", "sure", "of course", "sometimes", "often", "a bit", "a little",
    "i think so",
)  # fmt: skip
_NO = (
    "nee", "neen", "nope", "no", "nah", "niet", "geen", "nooit", "niet echt", "helemaal niet",
    "zeker niet", "echt niet", "absoluut niet", "klopt niet", "niet waar", "niet zo", "valt mee",
    "valt wel mee", "denk het niet", "denk van niet",
    "never", "not really", "not at all", "no way", "i dont think so",
)  # fmt: skip
# Checked before anything else: they contain "niet", "geen" or "no" but say "I don't know".
_UNSURE = (
    "weet ik niet", "weet niet", "weet ik veel", "weet ik nog niet", "geen idee", "misschien",
    "twijfel", "kan ik niet zeggen", "no idea", "not sure", "maybe", "dunno", "idk",
)  # fmt: skip
# Words around a yes or no that change nothing ("ja hoor", "nee joh", "dat klopt").
_FILLERS = frozenset(
    "dat het is hoor wel zo ik eigenlijk echt heel erg toch gewoon nou oh o eh uh uhm ehm hmm joh he "
    "denk ook maar en helaas gelukkig dus nog een ok oke okay well really".split()
)
_EMOJI = {"👍": "ja", "✅": "ja", "✔": "ja", "☑": "ja", "👎": "nee", "❌": "nee", "✖": "nee", "❎": "nee"}
_MAX_TOKENS = 8
_TYPO_MIN_LENGTH = 5  # shorter words are too close to other words ("nee"/"neem", "zeker"/"zeer")
_TYPO_CUTOFF = 0.85


def _squeeze(word: str) -> str:
    """'jaaa' -> 'ja', 'neee' -> 'ne', 'nee' -> 'ne': repeated letters never decide the meaning."""
    return re.sub(r"(.)\1+", r"\1", word)


def _phrases(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(_squeeze(w) for w in phrase.split()) for phrase in words}


_PHRASES: dict[tuple[str, ...], bool] = {
    **{phrase: True for phrase in _phrases(_YES)},
    **{phrase: False for phrase in _phrases(_NO)},
}
_UNSURE_PHRASES = _phrases(_UNSURE)
_SQUEEZED_FILLERS = {_squeeze(w) for w in _FILLERS}
_LONGEST = max(len(phrase) for phrase in (*_PHRASES, *_UNSURE_PHRASES))
# Single words long enough to recognise with a typo ("jazker", "inderdaat").
_TYPO_WORDS = {phrase[0]: value for phrase, value in _PHRASES.items()
               if len(phrase) == 1 and len(phrase[0]) >= _TYPO_MIN_LENGTH}  # fmt: skip


def _tokens(text: str) -> list[str]:
    """Lower case, no accents, emoji as words, no punctuation, repeated letters squeezed."""
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, f" {word} ")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’‘`]", "", text)  # "don't" -> "dont"
    return [_squeeze(word) for word in re.sub(r"[\W_]+", " ", text).split()]


def _contains(tokens: list[str], phrases: set[tuple[str, ...]]) -> bool:
    return any(tuple(tokens[i : i + len(p)]) == p for p in phrases for i in range(len(tokens)))


def _typo(token: str) -> bool | None:
    if len(token) < _TYPO_MIN_LENGTH:
        return None
    match = difflib.get_close_matches(token, _TYPO_WORDS, n=1, cutoff=_TYPO_CUTOFF)
    return _TYPO_WORDS[match[0]] if match else None


def parse_yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the text is not clearly one of them."""
    normalized = unicodedata.normalize("NFKC", text or "")
    if "?" in normalized or "❓" in normalized:
        return None
    tokens = _tokens(normalized)
    if not tokens or len(tokens) > _MAX_TOKENS or _contains(tokens, _UNSURE_PHRASES):
        return None
    found: set[bool] = set()
    i = 0
    while i < len(tokens):
        # The longest known phrase at this place wins: "klopt niet" before "klopt".
        for size in range(min(_LONGEST, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            if phrase in _PHRASES:
                found.add(_PHRASES[phrase])
                i += size
                break
        else:
            token = tokens[i]
            if token not in _SQUEEZED_FILLERS:
                value = _typo(token)
                if value is None:
                    return None  # a word we do not know: not a plain yes or no
                found.add(value)
            i += 1
    return found.pop() if len(found) == 1 else None
