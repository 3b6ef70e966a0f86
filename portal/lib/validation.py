"""Cleaning and checking what residents type about themselves: postcodes and phone numbers.

Each function returns the value in the one form the portal stores, or raises a
``ValidationError`` whose message says what to do, in GOV.UK style.
"""

import re

from django.core.exceptions import ValidationError

from portal.lib.postcodes import POSTCODE_PATTERN, postcode_compact, postcode_display

POSTCODE_INVALID = "Enter a full UK postcode, like AA1 1AA"

_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-.]+$")
PHONE_INVALID = "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
MOBILE_REQUIRED = "Enter a UK mobile number, like 07700 900 982, to get text messages"

_UPRN = re.compile(r"^[0-9]{1,12}$")


def postcode_normalise(value: str) -> str:
    """``sw1a1aa`` or `` SW1A  1AA `` becomes ``SW1A 1AA``; anything not a UK postcode is refused."""
    compact = postcode_compact(value)
    if not compact:
        return ""
    if not POSTCODE_PATTERN.match(compact):
        raise ValidationError(POSTCODE_INVALID, code="invalid_postcode")
    return postcode_display(compact)


def phone_normalise(value: str) -> str:
    """A UK number keeps its leading 0 (``07700900982``); others are kept as ``+<digits>``.

    ``+44`` numbers are stored the UK way so the same phone is always stored the same.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    if not _PHONE_CHARACTERS.match(raw):
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
    international = raw.startswith("+") or raw.startswith("00")
    digits = re.sub(r"[^0-9]", "", raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if international and digits.startswith("44"):
        digits = "0" + digits[2:].removeprefix("0")
        international = False
    if international:
        if not 8 <= len(digits) <= 15:
            raise ValidationError(PHONE_INVALID, code="invalid_phone")
        return "+" + digits
    if not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
    return digits


def phone_is_uk_mobile(value: str) -> bool:
    return bool(re.fullmatch(r"07[0-9]{9}", value or ""))


def phone_display(value: str) -> str:
    """``07700900982`` is shown as ``07700 900982``; other numbers as stored."""
    if re.fullmatch(r"0[0-9]{10}", value or ""):
        return f"{value[:5]} {value[5:]}"
    return value or ""


def uprn_clean(value: str) -> str:
    value = (value or "").strip()
    if value and not _UPRN.match(value):
        raise ValidationError("A UPRN is a number of up to 12 digits", code="invalid_uprn")
    return value
