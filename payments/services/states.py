"""The guarded writers of ``Refund.status``, ``Bill.status`` and a payment link's paid mark.

``Payment.status`` has its own writer, ``settlement.payment_transition``, because a payment's
move carries its consequences (crediting the bill, moving the case, the receipt).
"""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..constants import BillStatus, RefundStatus, bill_transition_allowed, refund_transition_allowed
from ..models import Bill, Payment, PaymentLink, Refund
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


def payment_links_paid_mark(*, payment: Payment) -> int:
    """Mark paid the links ``payment`` (just successful) settles; returns how many.

    The link it was started through, whatever its state; and the links still standing for
    the same fee (any attempt for its case) or, once the bill is paid in full, the same
    bill, however the resident paid (a link replaced or cancelled stays so).
    """
    standing = Q(revoked_at__isnull=True)
    settles = Q(attempts=payment)
    if payment.case_id:
        settles |= standing & Q(payment__case_id=payment.case_id)
    else:
        settles |= standing & Q(payment=payment)
    if (
        payment.bill_id
        and Bill.objects.filter(pk=payment.bill_id, amount_paid_pence__gte=F("amount_due_pence")).exists()
    ):
        settles |= standing & Q(bill_id=payment.bill_id)
    ids = list(
        PaymentLink.objects.filter(settles, paid_at__isnull=True).values_list("pk", flat=True).distinct()
    )
    return PaymentLink.objects.filter(pk__in=ids).update(paid_at=timezone.now(), paid_payment=payment)
