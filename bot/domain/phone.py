"""Dutch phone numbers for a callback: read one from free text, mask it, ask again kindly.

libphonenumber (`phonenumbers`, region NL) does the reading and checking; this module only decides
which numbers we can call back: Dutch personal numbers (mobile, fixed line, VoIP), not service lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.domain.texts import text

REGION = "NL"
COUNTRY_CODE = 31
# Dutch personal numbers (mobile, geographic, 085/091 VoIP) have 9 digits after the leading 0.
NATIONAL_LENGTH = 9
EXAMPLE = "06-12345678"

# Lines that are not someone's own phone: free (0800), paid (090x), shared cost, company numbers (088).
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
}
# Pagers, voicemail access and unknown ranges are left out: nobody answers them.
_CALLABLE_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
}
# A run of digits with the separators people type: "(020) 123 45 67", "06.12.34.56.78", "+31 6-1234".
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d|\d")

_PARSE_ERRORS = {
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_LONG: "too_long",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
}


@dataclass(frozen=True)
class PhoneResult:
    """`problem` is a machine code: not_a_number, too_short, too_long, foreign, service_number, invalid."""

    ok: bool
    e164: str | None = None
    masked: str | None = None
    problem: str | None = None


def _problem(number: phonenumbers.PhoneNumber) -> str | None:
    """Why we cannot call this number back, or None when we can."""
    if number.country_code != COUNTRY_CODE:
        return "foreign"
    if not phonenumbers.is_valid_number(number):
        length = len(phonenumbers.national_significant_number(number))
        if length < NATIONAL_LENGTH:
            return "too_short"
        return "too_long" if length > NATIONAL_LENGTH else "invalid"
    kind = phonenumbers.number_type(number)
    if kind in _SERVICE_TYPES:
        return "service_number"
    return None if kind in _CALLABLE_TYPES else "invalid"


def _result(number: phonenumbers.PhoneNumber) -> PhoneResult:
    problem = _problem(number)
    if problem:
        return PhoneResult(ok=False, problem=problem)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneResult(ok=True, e164=e164, masked=mask(e164))


def _parse_run(run: str) -> PhoneResult:
    try:
        return _result(phonenumbers.parse(run, REGION))
    except NumberParseException as error:
        return PhoneResult(ok=False, problem=_PARSE_ERRORS.get(error.error_type, "invalid"))


def parse_callback_phone(text: str) -> PhoneResult:
    """Read the phone number in `text` ("mijn nummer is 06 12345678") and say if we can call it.

    libphonenumber finds numbers inside a sentence; when it finds none (too short, too long,
    garbled) the longest run of digits is judged instead, so the re-ask can say what is wrong.
    """
    text = text or ""
    matches = list(phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.POSSIBLE))
    results = [_result(match.number) for match in matches]
    if results:
        return next((result for result in results if result.ok), results[0])
    runs = _DIGIT_RUN.findall(text)
    if not runs:
        return PhoneResult(ok=False, problem="not_a_number")
    return _parse_run(max(runs, key=lambda run: sum(char.isdigit() for char in run)))


def mask(e164: str) -> str:
    """'+31612345678' -> '06-****5678', '+31201234567' -> '020-***4567'.

    Keeps the leading 0 with the area or mobile prefix and the last 4 digits. A number from another
    country keeps its '+<country code>' instead.
    """
    number = phonenumbers.parse(e164, None)
    digits = phonenumbers.national_significant_number(number)
    prefix_length = phonenumbers.length_of_national_destination_code(number)
    if prefix_length >= len(digits) - 4:  # a short number: hide what is not the last 4 digits
        prefix_length = 0
    rest = digits[prefix_length:]
    hidden = "*" * max(len(rest) - 4, 0) + rest[-4:]
    lead = "0" if number.country_code == COUNTRY_CODE else f"+{number.country_code}"
    return f"{lead}{digits[:prefix_length]}-{hidden}" if prefix_length else f"{lead}{hidden}"


# The re-asks (data/action_texts.yml, phone) per problem; an unknown problem gets the general one.
_PROBLEMS = ("not_a_number", "too_short", "too_long", "foreign", "service_number", "invalid")


def re_ask_text(problem: str, attempt: int) -> str:
    """A friendly Dutch re-ask for `problem`; from the 2nd attempt (1-based) with extra help."""
    said = text(f"phone.{problem if problem in _PROBLEMS else 'invalid'}", example=EXAMPLE)
    return f"{said} {text('phone.extra_help')}" if attempt >= 2 else said
