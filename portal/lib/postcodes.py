"""UK postcodes: one way to compare them, one way to show them, one check of their shape."""

from __future__ import annotations

import re

# The shape of a UK postcode (outward code, then inward code), after spaces are removed
# and letters are upper-cased. BS 7666, as used by the Royal Mail and the ONS; GIR 0AA
# is Girobank's and still valid.
POSTCODE_PATTERN = re.compile(
    r"^(GIR0AA|"
    r"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def postcode_compact(value: str | None) -> str:
    """``sw1a 1aa`` → ``SW1A1AA``: the form to compare or index postcodes by."""
    return "".join((value or "").split()).upper()


def postcode_is_valid(value: str | None) -> bool:
    return bool(POSTCODE_PATTERN.match(postcode_compact(value)))


def postcode_display(value: str | None) -> str:
    """``sw1a1aa`` → ``SW1A 1AA``; a value too short to be a postcode is returned compacted."""
    compact = postcode_compact(value)
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 4 else compact
