"""Reading what residents type: stripping control characters, numbers, month names.

Shared by the fields (which hold what was typed) and the question types (which check it).
"""

import calendar
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DIGITS = re.compile(r"^[0-9]+$")
NUMBER_PATTERN = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
NUMBER_LIMIT = Decimal("1000000000000")
TEXT_MAX = 1000
LONG_TEXT_MAX = 10000

MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    MONTHS[calendar.month_name[_number].lower()] = _number
    MONTHS[calendar.month_abbr[_number].lower()] = _number
MONTHS["sept"] = 9
del _number


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """What was typed, as one string: control characters gone, spaces trimmed (the last of a list)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    value = _CONTROL.sub("", str(value))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


def normalise(value: Any) -> str:
    """For comparing answers: case and runs of spaces ignored."""
    return " ".join(str(value).split()).casefold()


def to_decimal(value: Any) -> Decimal | None:
    """A finite number, or None when ``value`` is empty or not a number."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def number_text(number: Decimal) -> str:
    """A number as stored: no exponent, no trailing zeros, never "-0"."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text
