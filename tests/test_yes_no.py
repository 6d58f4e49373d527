"""Typed yes/no answers to the screening questions (Dutch and English)."""

from __future__ import annotations

import pytest

from bot.domain.yes_no import YES_NO_BUTTONS, parse_yes_no

YES = [
    "ja", "Ja", "JA", "ja.", "Ja!", "  ja  ", "jaaa", "Jaaaa!!", "jazeker", "ja zeker", "ja hoor",
    "Ja, hoor.", "klopt", "klopt wel", "dat klopt", "zeker", "inderdaad", "jawel",
    # hedges count as a concern: every question is phrased so that "ja" is the worry
    "soms", "Soms wel", "een beetje", "Een beetje...", "best wel", "vaak", "ja, heel vaak", "af en toe",
    "yes", "Yes!", "yep", "yeah", "sometimes",
    "👍", "👍🏽", "✅", "ja 😢", "ik denk het wel",
    # typos
    "jazker", "inderdaat", "zekerrr", "klopte",
]  # fmt: skip
NO = [
    "nee", "Nee", "NEE!", "Nee.", "neee", "Neeee", "nee hoor", "Nee hoor!", "niet echt", "Niet echt.",
    "nooit", "nooooit", "helemaal niet", "klopt niet", "Dat klopt niet", "nope", "no", "No.", "nah",
    "👎", "❌", "valt mee", "Het valt wel mee", "zeker niet", "gelukkig niet", "nee, nooit", "néé",
    "not really", "never", "ik denk het niet",
]  # fmt: skip
UNSURE = [
    "", "   ", "?", "...", "weet ik niet", "Weet ik niet.", "ik weet het niet", "weet niet", "geen idee",
    "misschien", "no idea", "I don't know", "not sure", "maybe",
    # questions
    "ja?", "nee?", "wat bedoel je?", "hoezo", "Wat is een vaste last",
    # a mix of yes and no
    "nee, soms", "ja, niet echt", "soms niet",
    # longer or unrelated text, even with a yes or no word in it
    "mijn ex schreeuwt soms tegen mij",
    "ja want mijn ex betaalt de alimentatie al drie maanden niet meer",
    "Ik wil graag weten hoe het zit met de kinderbijslag",
    "ok", "oke", "wel", "best", "zeer", "neem", "jaarlijks", "nee maar ik ben wel bang",
    "😢", "123",
]  # fmt: skip


@pytest.mark.parametrize("text", YES)
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", UNSURE)
def test_not_a_plain_yes_or_no(text):
    assert parse_yes_no(text) is None


def test_the_table_is_big_enough_and_has_no_doubles():
    cases = YES + NO + UNSURE
    assert len(cases) >= 40
    assert len(set(cases)) == len(cases)


def test_buttons_send_the_affirm_and_deny_intents():
    assert YES_NO_BUTTONS == [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
    assert [parse_yes_no(b["title"]) for b in YES_NO_BUTTONS] == [True, False]
