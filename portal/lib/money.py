"""Money as the portal stores it (integer pence) and as GOV.UK writes it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def pounds(pence: int | float | Decimal | None, *, none: str = "") -> str:
    """``£12.50``, ``£12`` for whole pounds, ``£1,250``; ``none`` when there is no amount.

    Fractions of a penny (an average cost, say) are rounded half up to the penny.
    """
    if pence is None:
        return none
    amount = (Decimal(str(pence)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    return f"£{amount:,}"


def pounds_value(pence: int | float | Decimal | None) -> str:
    """``12.50``: pounds and pence with no symbol, for CSV files and form fields ("" if none)."""
    if pence is None:
        return ""
    return str((Decimal(str(pence)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
