"""Reading Stripe-shaped Checkout Session objects, which both providers' webhooks carry."""

from typing import Any

from ..constants import FailureCode, PaymentStatus
from .base import StatusResult


def session_status(session: dict[str, Any]) -> StatusResult:
    """A Checkout Session's ``status`` and ``payment_status`` in local terms."""
    status = session.get("status")
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    intent = session.get("payment_intent") or ""
    if isinstance(intent, dict):
        intent = intent.get("id", "")
    if status == "complete":
        # Complete but unpaid: an asynchronous method (e.g. Bacs) that settles later.
        return StatusResult(PaymentStatus.SUCCESS if paid else PaymentStatus.SUBMITTED, payment_intent=intent)
    if status == "expired":
        return StatusResult(PaymentStatus.FAILED, FailureCode.EXPIRED, payment_intent=intent)
    return StatusResult(PaymentStatus.STARTED, payment_intent=intent)


def session_payment_reference(session: dict[str, Any]) -> str:
    metadata = session.get("metadata") or {}
    return metadata.get("payment_reference") or session.get("client_reference_id") or ""
