"""The fee a form's answers owe: fixed, or an amount per item answered (in pence)."""

from decimal import ROUND_HALF_UP

from .parsing import to_decimal


def fee_pence(schema: dict, answers: dict) -> int:
    """The fee due for these answers: fixed, or the amount times a number answer (0 when none)."""
    fee = schema.get("fee") or {}
    amount = int(fee.get("amount_pence") or 0)
    if fee.get("type") == "fixed":
        return amount
    if fee.get("type") == "per_answer":
        quantity = to_decimal(answers.get(fee.get("field") or ""))
        if quantity is None or quantity <= 0:
            return 0
        return int((quantity * amount).to_integral_value(ROUND_HALF_UP))
    return 0


def fee_quantity(schema: dict, answers: dict) -> str:
    fee = schema.get("fee") or {}
    if fee.get("type") != "per_answer":
        return ""
    return str(answers.get(fee.get("field") or "") or "")
