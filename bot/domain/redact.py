"""Mask phone numbers, e-mail addresses, IBANs and BSNs before anything is stored or logged.

The assistant never needs these in its transcripts: a callback's phone number is stored
encrypted elsewhere. Masks are Dutch words so that an expert reading a transcript understands.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import phonenumbers
from stdnum import iban
from stdnum.nl import bsn

EMAIL_MASK = "[e-mailadres]"
PHONE_MASK = "[telefoonnummer]"
IBAN_MASK = "[IBAN]"
BSN_MASK = "[BSN]"

# Every mask needs a digit or an "@": a text without either has nothing to mask. Most strings of an
# event (intent names, rankings, slot names) are like that, and libphonenumber's matcher is slow.
_MAYBE_PERSONAL = re.compile(r"[\d@]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# IBAN candidates: country code and check digits, then letters/digits, maybe in groups of four.
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,40}")
# BSN: 9 digits (8-digit BSNs are written with a leading zero), optionally grouped 4-2-3 or 3-3-3.
_BSN = re.compile(r"(?<![\w-])(\d{3,4})[ .-]?(\d{2,3})[ .-]?(\d{3})(?![\w-])")
# Dutch numbers libphonenumber may miss in odd notation ("06-123 45 678"); service numbers stay.
_PHONE_FALLBACK = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?!800|900|906|909)[1-9][\d ()-]{7,}\d(?!\w)")
# Free, paid-service and shared-cost lines are not personal: the bot gives them (0800-2000).
_SERVICE_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
}


def _iban_is_valid(candidate: str) -> bool:
    return iban.is_valid(candidate)


def _bsn_is_valid(digits: str) -> bool:
    """The Dutch 'elfproef' (python-stdnum); 000000000 passes it but is no BSN."""
    return digits != "000000000" and bsn.is_valid(digits)


def _mask_ibans(text: str) -> str:
    """Mask the longest valid IBAN at each candidate (a candidate may run into following words)."""
    out, last = [], 0
    for match in _IBAN.finditer(text):
        words = match.group(0).split(" ")
        for n in range(len(words), 0, -1):
            candidate = " ".join(words[:n])
            if _iban_is_valid(candidate):
                out.append(text[last : match.start()] + IBAN_MASK)
                last = match.start() + len(candidate)
                break
    return "".join(out) + text[last:]


def _is_personal_phone(text: str, match: phonenumbers.PhoneNumberMatch) -> bool:
    # Digits inside a word (an id like "0701174623c4cc") are no phone number.
    inside_word = (match.start > 0 and text[match.start - 1].isalnum()) or (
        match.end < len(text) and text[match.end].isalnum())
    return not inside_word and phonenumbers.number_type(match.number) not in _SERVICE_TYPES


def redact(text: str) -> str:
    """Return `text` with personal numbers and addresses replaced by a mask."""
    if not text or not _MAYBE_PERSONAL.search(text) or text in _clean:
        return text
    masked = _masked(text)
    if masked == text:
        _remember_clean(text)
    return masked


# Texts with digits that hold nothing to mask: the assistant's answers ("0800-2000", "in 2026") and the
# answer keys in each message's parse data come back with every message, and matching phone numbers in
# them was most of the redaction's time. Only texts without personal data are kept here.
_CLEAN_SIZE = 4096
_clean: dict[str, None] = {}
_clean_lock = threading.Lock()


def _remember_clean(text: str) -> None:
    with _clean_lock:
        _clean[text] = None
        if len(_clean) > _CLEAN_SIZE:
            del _clean[next(iter(_clean))]


def _masked(text: str) -> str:
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _mask_ibans(text)
    text = _BSN.sub(lambda m: BSN_MASK if _bsn_is_valid("".join(m.groups())) else m.group(0), text)
    matcher = phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in reversed([m for m in matcher if _is_personal_phone(text, m)]):
        text = text[: match.start] + PHONE_MASK + text[match.end :]
    return _PHONE_FALLBACK.sub(PHONE_MASK, text)


def redact_data(value: Any) -> Any:
    """Redact every string inside a JSON-like structure (events, parse data, slots)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_data(item) for item in value]
    return value
