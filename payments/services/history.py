"""What a payment writes outside its own row: its history notes, the case timeline, the interaction log."""

import logging
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from portal.cases.constants import Actor
from portal.cases.services import case_event_add
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record, transaction_record
from portal.lib.assisted import assisted_for

from ..constants import PaymentEventType, PaymentStatus
from ..models import Payment, PaymentEvent

if TYPE_CHECKING:
    from accounts.models import User
    from portal.cases.models import CaseEvent

logger = logging.getLogger("payments.services")


def _journey(payment: Payment) -> str:
    if payment.case is not None:
        return payment.case.reference
    if payment.bill is not None:
        return payment.bill.reference
    return payment.reference


def _logged_by(request: HttpRequest | None, payment: Payment | None = None) -> dict[str, Any]:
    """How a payment's events are logged: from the payer's own browser, on the web; or, when
    an agent opened the page at a desk for the resident to pay (``request.assisted``, or,
    for a result the provider reports later, the payment's "started" event), on the call's
    channel with the agent as staff, never as web activity."""
    assisted = assisted_for(request)
    if assisted is not None:
        return {"request": None, "channel": assisted.channel, "staff": assisted.staff}
    if request is None and payment is not None:
        started = _started_event(payment)
        if started is not None and (started.data or {}).get("channel"):
            return {"request": None, "channel": started.data["channel"], "staff": started.actor}
    return {"request": request}


def _started_event(payment: Payment) -> PaymentEvent | None:
    return (
        PaymentEvent.objects.filter(payment=payment, status_to=PaymentStatus.STARTED)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )


def payment_started_channel(payment: Payment) -> str:
    """The channel the payment was made on: the call's, when an agent opened its page at a
    desk (kept on the payment's "started" event), else the web."""
    started = _started_event(payment)
    return ((started.data or {}).get("channel") if started is not None else None) or Channel.WEB


def _result_record(payment: Payment, *, request: HttpRequest | None = None) -> None:
    interaction_record(
        type=InteractionType.PAYMENT_RESULT,
        **_logged_by(request, payment),
        # the payment's resident, not whoever's browser it is (a payment link: a desk, a relative)
        user=payment.user,
        service_code=payment.service_code,
        journey=_journey(payment),
        step=payment.provider,
        outcome=payment.status,
        reason_code=payment.failure_code,
        case_reference=payment.case.reference if payment.case is not None else "",
        extras={"payment": payment.reference, "amount_pence": payment.amount_pence},
    )


def _transaction_record(payment: Payment, *, kind: str, channel: str = "web") -> None:
    """The payment completed a transaction (a bill paid, or a request's fee paid): for the
    measures' digital take-up and failed web contact."""
    transaction_record(
        kind=kind,
        # a case taken "with help from our staff" before channels were recorded: not the web
        channel=channel if channel in Channel.values else Channel.PHONE,
        service_code=payment.service_code,
        journey=_journey(payment),
        user=payment.user,
        case_reference=payment.case.reference if payment.case is not None else "",
    )


def _case_event(
    payment: Payment,
    *,
    type: str,
    message: str,
    public: bool = True,
    actor: "User | None" = None,
    role: str = "",
    data: dict[str, Any] | None = None,
) -> "CaseEvent":
    assert payment.case is not None  # only called for a payment made for a case
    return case_event_add(
        case=payment.case,
        type=type,
        actor=actor,
        actor_role=role or Actor.SYSTEM,
        message=message,
        public=public,
        data={"payment": payment.reference, "amount_pence": payment.amount_pence, **(data or {})},
    )


def _note(payment: Payment, message: str, *, data: dict[str, Any] | None = None) -> PaymentEvent:
    logger.warning("Payment %s: %s", payment.reference, message)
    return PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.NOTE, message=message, data=data or {}
    )
