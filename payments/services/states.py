"""The guarded writers of ``Refund.status`` and ``Bill.status``: the only code that assigns them.

``Payment.status`` has its own writer, ``settlement.payment_transition``, because a payment's
move carries its consequences (crediting the bill, moving the case, the receipt).
"""

from django.db import transaction
from django.utils import timezone

from ..constants import BillStatus, RefundStatus, bill_transition_allowed, refund_transition_allowed
from ..models import Bill, Refund
from .errors import PaymentError


def refund_transition(*, refund: Refund, to: str, failure_message: str = "") -> Refund:
    """Move a (locked) refund to ``to`` if ``constants.REFUND_TRANSITIONS`` allows it, and save it.

    Records when it settled, and on ``error`` why. Raises ``PaymentError`` for a move the
    table forbids.
    """
    if to not in RefundStatus.values or not refund_transition_allowed(refund.status, to):
        raise PaymentError(f"A {refund.status} refund cannot become {to}")
    refund.status = to
    refund.settled_at = timezone.now()
    if to == RefundStatus.ERROR:
        refund.failure_message = (failure_message or "The payment provider refused the refund")[:300]
    refund.save()
    return refund


@transaction.atomic
def bill_transition(*, bill: Bill, to: str) -> Bill:
    """Move ``bill`` to ``to`` if ``constants.BILL_TRANSITIONS`` allows it, and save its status.

    Moving to the status it already has changes nothing. Raises ``PaymentError`` for a move
    the table forbids.
    """
    if to not in BillStatus.values:
        raise PaymentError(f"{to!r} is not a bill status")
    if bill.status == to:
        return bill
    if not bill_transition_allowed(bill.status, to):
        raise PaymentError(f"A {bill.status} bill cannot become {to}")
    bill.status = to
    bill.save(update_fields=["status", "updated_at"])
    return bill
