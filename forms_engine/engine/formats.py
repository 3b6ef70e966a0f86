"""Formats an editor can require of a one-line text answer, each with the words its error uses.

A format checks what was typed after forgiving spaces and letter case, and stores the answer
written the usual way ("ab12cde" is kept as "AB12 CDE"). The error is "Enter " and the
format's description, which an editor can replace (``format_description``); a custom format
is a regular expression the whole answer must match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from portal.lib.validation import phone_normalise, postcode_normalise

# Patterns are applied to short answers only (a text answer is at most TEXT_MAX characters).
CUSTOM_MAX_INPUT = 200

_REGISTRATION = re.compile(
    r"^(?:"
    r"[A-Z]{2}[0-9]{2}[A-Z]{3}"  # current: AB12 CDE
    r"|[A-Z][0-9]{1,3}[A-Z]{3}"  # prefix: A123 BCD
    r"|[A-Z]{3}[0-9]{1,3}[A-Z]"  # suffix: ABC 123D
    r"|[A-Z]{1,3}[0-9]{1,4}"  # dateless: ABC 1234
    r"|[0-9]{1,4}[A-Z]{1,3}"  # dateless: 1234 ABC
    r")$"
)
# HMRC's rules for the two letters, plus QQ: GOV.UK's example number, never issued to anyone.
_NI_NUMBER = re.compile(r"^(?:QQ|(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[0-9]{6}[A-D]$")
_COUNCIL_TAX_ACCOUNT = re.compile(r"^[0-9]{8,10}$")


def _squash(value: str) -> str:
    return re.sub(r"[\s-]+", "", value).upper()


def _registration(value: str) -> str:
    plate = _squash(value)
    if not _REGISTRATION.match(plate):
        raise ValidationError("invalid")
    if re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z]{3}", plate):
        return f"{plate[:4]} {plate[4:]}"
    return plate


def _ni_number(value: str) -> str:
    number = _squash(value)
    if not _NI_NUMBER.match(number):
        raise ValidationError("invalid")
    return f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:8]} {number[8]}"


def _phone(value: str) -> str:
    number = phone_normalise(value)
    if not number.startswith("0"):
        raise ValidationError("invalid")
    return number


def _council_tax_account(value: str) -> str:
    number = re.sub(r"[\s-]+", "", value)
    if not _COUNCIL_TAX_ACCOUNT.match(number):
        raise ValidationError("invalid")
    return number


@dataclass(frozen=True)
class TextFormat:
    label: str  # in the editor's list
    description: str  # after "Enter " in the error message
    check: Callable[[str], str] | None  # returns the answer as stored, or raises ValidationError


FORMATS: dict[str, TextFormat] = {
    "uk_vehicle_registration": TextFormat(
        "UK vehicle registration",
        "a vehicle registration in the correct format, like AB12 CDE",
        _registration,
    ),
    "uk_postcode": TextFormat(
        "UK postcode", "a postcode in the correct format, like SW1A 1AA", postcode_normalise
    ),
    "ni_number": TextFormat(
        "National Insurance number",
        "a National Insurance number in the correct format, like QQ 12 34 56 C",
        _ni_number,
    ),
    "uk_phone": TextFormat(
        "UK phone number", "a UK phone number, like 01632 960 001 or 07700 900 982", _phone
    ),
    "council_tax_account": TextFormat(
        "Council tax account number",
        "a council tax account number in the correct format: 8 to 10 numbers, like 12345678",
        _council_tax_account,
    ),
    "custom": TextFormat("Custom pattern (a regular expression)", "an answer in the correct format", None),
}

FORMAT_CHOICES = [("", "Any text"), *((key, fmt.label) for key, fmt in FORMATS.items())]


def pattern_error(pattern: str) -> str | None:
    """Why an editor's custom pattern cannot be used, or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"This is not a valid regular expression: {exc.msg}"
    return None


def format_check(options: dict, value: str) -> tuple[str, str | None]:
    """(the answer as stored, the error message or None) for a text answer under ``options``."""
    key = options.get("format") or ""
    fmt = FORMATS.get(key)
    if fmt is None:
        return value, None
    description = " ".join(str(options.get("format_description") or "").split()) or fmt.description
    message = f"Enter {description}"
    if fmt.check is not None:
        try:
            return fmt.check(value), None
        except ValidationError:
            return value, message
    pattern = options.get("format_pattern") or ""
    if not pattern or pattern_error(pattern):
        return value, None  # a broken pattern cannot be published (blocks check it); never block residents
    if len(value) > CUSTOM_MAX_INPUT or not re.fullmatch(pattern, value):
        return value, message
    return value, None
