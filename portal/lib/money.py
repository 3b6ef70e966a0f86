"""Money as the portal stores it (integer pence) and as GOV.UK writes it."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

MONEY_FORMAT_ERROR = "Enter an amount in pounds and pence, like 12.50"
_POUNDS = re.compile(r"^£?\s*(\d+)(?:\.(\d{1,2}))?$")


def pence_from_pounds(text: str, *, max_pounds: int) -> int:
    """``"12"``, ``"12.5"``, ``"£12.50"`` or ``"1,250"`` in pence (1200, 1250, 1250, 125000).

    What people type into a money field, read one way everywhere. Raises ``ValueError`` with
    ``MONEY_FORMAT_ERROR`` (GOV.UK words) for anything else: pence typed as ``85p``, three
    decimal places, letters, a minus sign, or more than ``max_pounds`` whole pounds (a slip of
    the keyboard, and a bound on what is stored). Whether zero is allowed is the caller's rule.
    """
    match = _POUNDS.match((text or "").strip().replace(",", ""))
    if not match or int(match.group(1)) > max_pounds:
        raise ValueError(MONEY_FORMAT_ERROR)
    return int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))


def pounds(pence: int | float | Decimal | None, *, none: str = "", pence_always: bool = False) -> str:
    """``£12.50``, ``£12`` for whole pounds, ``£1,250``; ``none`` when there is no amount.

    ``pence_always`` writes whole pounds with their pence too (``£12.00``), for a column of
    amounts read down (fees, finance tables). Fractions of a penny (an average cost, say)
    are rounded half up to the penny.
    """
    if pence is None:
        return none
    amount = (Decimal(str(pence)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value() and not pence_always:
        return f"£{int(amount):,}"
    return f"£{amount:,}"


def pounds_value(pence: int | float | Decimal | None) -> str:
    """``12.50``: pounds and pence with no symbol, for CSV files and form fields ("" if none)."""
    if pence is None:
        return ""
    return str((Decimal(str(pence)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
