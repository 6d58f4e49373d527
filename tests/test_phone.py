"""Callback phone numbers: which ones we accept, why we refuse the others, and how we ask again."""

from __future__ import annotations

import pytest

from bot.domain.phone import mask, parse_callback_phone, re_ask_text


@pytest.mark.parametrize(
    "text, e164, masked",
    [
        ("06-12345678", "+31612345678", "06-****5678"),
        ("+31612345678", "+31612345678", "06-****5678"),
        ("0031 6 12345678", "+31612345678", "06-****5678"),
        ("0201234567", "+31201234567", "020-***4567"),
        ("06 1234 5678", "+31612345678", "06-****5678"),
        ("(020) 123 45 67", "+31201234567", "020-***4567"),
        ("06.12.34.56.78", "+31612345678", "06-****5678"),
        ("mijn nummer is 06 12345678", "+31612345678", "06-****5678"),
        ("bel me dinsdag om 10 uur op 06-12345678", "+31612345678", "06-****5678"),
        ("+31 6 1234 5678", "+31612345678", "06-****5678"),
        ("0591 123456", "+31591123456", "0591-**3456"),  # a 4-digit area code
        ("085 1234567", "+31851234567", "085-***4567"),  # VoIP at home is a personal number
    ],
)
def test_accepted(text, e164, masked):
    result = parse_callback_phone(text)
    assert (result.ok, result.e164, result.masked, result.problem) == (True, e164, masked, None)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("abc", "not_a_number"),
        ("", "not_a_number"),
        ("bel me maar", "not_a_number"),
        ("123", "too_short"),
        ("12345", "too_short"),
        ("061234567", "too_short"),  # one digit missing
        ("06-123456789012", "too_long"),
        ("0612345678901", "too_long"),
        ("+32470123456", "foreign"),
        ("+4915123456789", "foreign"),
        ("0032 470 12 34 56", "foreign"),
        ("0900-8020", "service_number"),
        ("0900 1234567", "service_number"),
        ("0800-2000", "service_number"),
        ("0800 1234567", "service_number"),
        ("0906 1234567", "service_number"),
        ("0909 1234567", "service_number"),
        ("088 1234567", "service_number"),  # company number (UAN)
        ("066 1234567", "invalid"),  # pager
        ("0123456789", "invalid"),  # 10 digits, but no such area code
        ("0690000000", "invalid"),  # a mobile range not in use
    ],
)
def test_rejected(text, problem):
    result = parse_callback_phone(text)
    assert (result.ok, result.e164, result.masked, result.problem) == (False, None, None, problem)


def test_the_first_callable_number_in_a_sentence_wins():
    assert parse_callback_phone("niet 0900-8020 maar 06-12345678").e164 == "+31612345678"
    assert parse_callback_phone("020-1234567 of 06-12345678").e164 == "+31201234567"


@pytest.mark.parametrize(
    "e164, expected",
    [
        ("+31612345678", "06-****5678"),
        ("+31201234567", "020-***4567"),
        ("+31101234567", "010-***4567"),
        ("+31591123456", "0591-**3456"),
        ("+318002000", "0***2000"),  # too short for a prefix: only the last 4 digits show
    ],
)
def test_mask(e164, expected):
    assert mask(e164) == expected


def test_mask_shows_no_more_than_the_prefix_and_last_four_digits():
    assert "1234" not in mask("+31612345678")


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("foreign", "Ik kan alleen naar Nederlandse nummers bellen."),
        ("service_number", "We bellen je op je eigen nummer."),
        ("too_short", "te kort"),
        ("too_long", "te lang"),
        ("not_a_number", "Ik zie geen telefoonnummer"),
        ("invalid", "Dat nummer kan ik niet gebruiken."),
        ("something_new", "Dat nummer kan ik niet gebruiken."),
    ],
)
def test_re_ask_names_the_problem_and_gives_an_example(problem, expected):
    text = re_ask_text(problem, 1)
    assert expected in text
    assert "bijvoorbeeld 06-12345678" in text


def test_re_ask_texts_differ_per_problem():
    problems = ["not_a_number", "too_short", "too_long", "foreign", "service_number", "invalid"]
    assert len({re_ask_text(problem, 1) for problem in problems}) == len(problems)


def test_re_ask_helps_more_on_a_second_attempt():
    first, second = re_ask_text("invalid", 1), re_ask_text("invalid", 2)
    assert second.startswith(first) and "netnummer" in second and "netnummer" not in first
