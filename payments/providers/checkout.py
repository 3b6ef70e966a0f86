"""Reading the Stripe-shaped objects both providers' webhooks carry: Checkout Sessions,
charges and refunds.

The objects come from verified events, but their fields are read defensively (a field of
an unexpected type reads as empty), so an odd event is ignored rather than failing.
"""

from typing import Any

from ..constants import FailureCode, PaymentStatus, RefundStatus
from .base import ProviderRefund, StatusResult

REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCESS,
    "pending": RefundStatus.SUBMITTED,
    "requires_action": RefundStatus.SUBMITTED,
    "failed": RefundStatus.ERROR,
    "canceled": RefundStatus.ERROR,
}


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def object_id(value: Any) -> str:
    """An id, whether the field holds it or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return text(value)


def metadata(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def pence(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def session_status(session: dict[str, Any]) -> StatusResult:
    """A Checkout Session's ``status`` and ``payment_status`` in local terms."""
    status = session.get("status")
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    intent = object_id(session.get("payment_intent"))
    if status == "complete":
        amount = session.get("amount_total")
        # Complete but unpaid: an asynchronous method (e.g. Bacs) that settles later.
        return StatusResult(
            PaymentStatus.SUCCESS if paid else PaymentStatus.SUBMITTED,
            payment_intent=intent,
            amount_pence=int(amount) if isinstance(amount, int) and amount > 0 else None,
        )
    if status == "expired":
        return StatusResult(PaymentStatus.FAILED, FailureCode.EXPIRED, payment_intent=intent)
    return StatusResult(PaymentStatus.STARTED, payment_intent=intent)


def session_payment_reference(session: dict[str, Any]) -> str:
    return text(metadata(session).get("payment_reference")) or text(session.get("client_reference_id"))


def refund_from_object(refund: dict[str, Any]) -> ProviderRefund:
    """A Stripe-shaped Refund object in local terms."""
    return ProviderRefund(
        provider_id=object_id(refund.get("id")),
        amount_pence=pence(refund.get("amount")),
        status=REFUND_STATUS.get(text(refund.get("status")), RefundStatus.SUBMITTED),
        local_id=text(metadata(refund).get("refund_id")),
        message=text(refund.get("failure_reason")),
    )
