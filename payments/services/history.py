"""What a payment writes outside its own row: its history notes, the case timeline, the interaction log."""

import logging

from portal.interactions.services import interaction_record

from ..constants import PaymentEventType
from ..models import Payment, PaymentEvent

logger = logging.getLogger("payments.services")


def _journey(payment: Payment) -> str:
    if payment.case_id:
        return payment.case.reference
    if payment.bill_id:
        return payment.bill.reference
    return payment.reference


def _result_record(payment: Payment, *, request=None) -> None:
    interaction_record(
        type="payment_result",
        request=request,
        user=payment.user if request is None else None,
        service_code=payment.service_code,
        journey=_journey(payment),
        step=payment.provider,
        outcome=payment.status,
        reason_code=payment.failure_code,
        case_reference=payment.case.reference if payment.case_id else "",
        extras={"payment": payment.reference, "amount_pence": payment.amount_pence},
    )


def _case_event(payment: Payment, *, type: str, message: str, public: bool = True, actor=None, role=""):
    from portal.cases.services import case_event_add

    return case_event_add(
        case=payment.case,
        type=type,
        actor=actor,
        actor_role=role or "system",
        message=message,
        public=public,
        data={"payment": payment.reference, "amount_pence": payment.amount_pence},
    )


def _note(payment: Payment, message: str, *, data: dict | None = None) -> PaymentEvent:
    logger.warning("Payment %s: %s", payment.reference, message)
    return PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.NOTE, message=message, data=data or {}
    )
