"""Settling a payment: the one ``Payment.status`` writer, applying a provider's news, and what success means.

News arrives in any order and number (webhooks, status fetches, the return from the payment
page); ``payment_status_apply`` makes it converge. A second charge for a payment already
paid is refunded automatically, once.
"""

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Proxy
from portal.cases.constants import Actor, CaseStatus, EventType
from portal.cases.models import Case
from portal.cases.services import case_transition
from portal.interactions.constants import Channel
from portal.lib.money import pounds

from ..constants import (
    FAILURE_CODES_FOR,
    FAILURE_STATUSES,
    FINISHED_STATUSES,
    BillStatus,
    EventSource,
    FailureCode,
    PaymentEventType,
    PaymentStatus,
    transition_allowed,
)
from ..models import Bill, Payment, PaymentEvent, Refund
from ..providers import ProviderError, get_provider
from ..providers.base import StatusResult
from ..selectors import payment_other_attempts
from .errors import PaymentError
from .history import _case_event, _note, _result_record, _transaction_record, payment_started_channel
from .receipts import payment_receipt_send
from .refunds import refund_automatic
from .states import bill_transition, payment_links_paid_mark

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("payments.services")


@transaction.atomic
def payment_transition(
    *,
    payment: Payment,
    to: str,
    source: str,
    failure_code: str = "",
    message: str = "",
    actor: "User | None" = None,
    data: dict[str, Any] | None = None,
    payment_intent: str = "",
    request: HttpRequest | None = None,
) -> PaymentEvent:
    """Move ``payment`` to status ``to`` if ``constants.TRANSITIONS`` allows it.

    Locks the row, writes a ``PaymentEvent`` for the change, and does what the new state
    means: on ``success`` the bill is credited, the case moves to ``submitted`` with a
    payment entry on its timeline, and the receipt is emailed (once); every finished
    state records a ``payment_result`` interaction. Raises ``PaymentError``.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    current = payment.status
    if to not in PaymentStatus.values:
        raise PaymentError(f"{to!r} is not a payment status")
    if not transition_allowed(current, to):
        raise PaymentError(f"A {current} payment cannot become {to}")
    if to in FAILURE_STATUSES:
        codes = FAILURE_CODES_FOR[PaymentStatus(to)]
        if failure_code not in codes:
            raise PaymentError(f"A {to} payment needs one of the failure codes {sorted(codes)}")
    else:
        failure_code = ""
    now = timezone.now()
    payment.status = to
    payment.failure_code = failure_code
    payment.failure_message = message[:300] if to in FAILURE_STATUSES else ""
    if payment_intent:
        payment.provider_payment_intent = payment_intent
    if to == PaymentStatus.STARTED and not payment.started_at:
        payment.started_at = now
    if to in FINISHED_STATUSES:
        payment.finished_at = now
    payment.save()
    event = PaymentEvent.objects.create(
        payment=payment,
        type=PaymentEventType.STATUS_CHANGE,
        source=source,
        status_from=current,
        status_to=to,
        failure_code=failure_code,
        message=message,
        data=data or {},
        actor=actor,
    )
    if to in FINISHED_STATUSES:
        _result_record(payment, request=request)
    if to == PaymentStatus.SUCCESS:
        _on_success(payment, previous=current)
    elif to in FAILURE_STATUSES and payment.case_id:
        _case_event(
            payment,
            type=EventType.PAYMENT,
            public=False,
            message=f"Payment {payment.reference} not completed: {FailureCode(failure_code).label.lower()}.",
        )
    return event


def _settle_if_created(
    payment: Payment, *, to: str, source: str, failure_code: str = "", **kwargs: Any
) -> Payment:
    """Move a payment the provider never saw (still ``created``) to ``to``, under a row lock.

    Does nothing if another request moved it first; returns the payment as it now is.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.CREATED:
            payment_transition(payment=locked, to=to, source=source, failure_code=failure_code, **kwargs)
    return Payment.objects.get(pk=payment.pk)


def payment_status_apply(
    *,
    payment: Payment,
    result: StatusResult,
    source: str,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> tuple[Payment, str]:
    """Apply what a provider said (a webhook, a status fetch), converging whatever the order.

    Returns the payment as it now stands and a note: ``"changed"``, or why nothing was
    done (already in that state; a move the rules forbid, e.g. ``expired`` after
    ``success``). Deliveries in any order or number end in the same state.

    News of a *second* charge for a payment already paid (another checkout for it was paid
    too) never counts as the payment: that charge is refunded automatically, once.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if _is_second_charge(locked, result):
            return locked, _second_charge_refund(locked, result, source=source)
        if result.payment_intent and not locked.provider_payment_intent:
            Payment.objects.filter(pk=locked.pk).update(provider_payment_intent=result.payment_intent)
        if locked.status == result.status:
            return Payment.objects.get(pk=locked.pk), f"already {locked.status}"
        if not transition_allowed(locked.status, result.status):
            return locked, f"ignored: a {locked.status} payment does not become {result.status}"
        event = payment_transition(
            payment=locked,
            to=result.status,
            source=source,
            failure_code=result.failure_code,
            message=result.message,
            data=data,
            payment_intent=result.payment_intent,
            request=request,
        )
        if result.status == PaymentStatus.SUCCESS and source != EventSource.WEBHOOK:
            # Provider news that waited for this success (a refund sent first) can apply now;
            # a webhook that made the change wakes them itself.
            # imported late: .webhooks imports this module
            from .webhooks import webhook_events_wake

            payment_pk = locked.pk
            transaction.on_commit(lambda: webhook_events_wake(payment_pk=payment_pk))
    return event.payment, "changed"


def _is_second_charge(payment: Payment, result: StatusResult) -> bool:
    """Money taken by a different charge than the one that paid ``payment``."""
    return bool(
        result.status == PaymentStatus.SUCCESS
        and payment.status == PaymentStatus.SUCCESS
        and result.payment_intent
        and payment.provider_payment_intent
        and result.payment_intent != payment.provider_payment_intent
    )


def _second_charge_refund(payment: Payment, result: StatusResult, *, source: str) -> str:
    """Refund a second charge for a locked, paid payment (once per charge); returns a note."""
    intent = result.payment_intent
    if Refund.objects.filter(payment=payment, charge_payment_intent=intent).exists():
        return "second charge already being refunded"
    amount = result.amount_pence or payment.amount_pence
    refund = refund_automatic(
        payment=payment,
        amount_pence=amount,
        charge_payment_intent=intent,
        source=source,
        reason=(
            f"You were charged twice for payment {payment.reference}, so we refunded the second "
            f"charge of {pounds(amount)}."
        ),
    )
    assert refund is not None  # a second charge is for a positive amount, so a refund is always made
    return f"second charge {intent}: refund {refund.pk} started"


def payment_status_sync(
    *, payment: Payment, source: str = EventSource.STATUS_CHECK, request: HttpRequest | None = None
) -> Payment:
    """Ask the provider where an unfinished payment stands and apply the answer.

    Used when the payer comes back from the provider (never trusting the return URL
    alone) and by the job that catches payments whose webhook never came.
    """
    if payment.status in FINISHED_STATUSES or not payment.provider_id:
        return payment
    try:
        result = get_provider(payment.provider).fetch_status(payment)
    except ProviderError as exc:
        logger.warning("Status of payment %s could not be fetched: %s", payment.reference, exc)
        return payment
    payment, _ = payment_status_apply(payment=payment, result=result, source=source, request=request)
    return payment


def _on_success(payment: Payment, *, previous: str) -> None:
    if payment.bill_id:
        bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
        bill.amount_paid_pence += payment.amount_pence
        bill.save(update_fields=["amount_paid_pence", "updated_at"])
        if bill.amount_paid_pence - payment.amount_pence < bill.amount_due_pence:
            # a payment towards a bill still owing; one on a bill already paid is refunded below
            _transaction_record(payment, kind="bill", channel=payment_started_channel(payment))
        if bill.amount_paid_pence >= bill.amount_due_pence and bill.is_open:
            bill_transition(bill=bill, to=BillStatus.PAID)
        if bill.amount_paid_pence > bill.amount_due_pence:
            over = min(bill.amount_paid_pence - bill.amount_due_pence, payment.amount_pence)
            _note(payment, f"The bill is now overpaid by {pounds(over)}: refunding it automatically")
            refund_automatic(
                payment=payment,
                amount_pence=over,
                source=EventSource.SYSTEM,
                reason=f"Bill {bill.reference} was already paid, so we refunded the {pounds(over)} overpaid.",
            )
    if payment.case_id:
        _case_paid(payment)
    elif not payment.bill_id:
        # a form's fee for a form that opens no case: the request is complete once paid
        _transaction_record(payment, kind="form", channel=payment_started_channel(payment))
    payment_links_paid_mark(payment=payment)
    payment_receipt_send(payment=payment)


def _proxy_payer(payment: Payment) -> "tuple[User | None, Proxy | None]":
    """Who opened the payment page, when that was someone acting for the payment's resident
    (``accounts`` proxies), and the arrangement they paid under; else (None, None)."""
    started = (
        PaymentEvent.objects.filter(payment=payment, status_to=PaymentStatus.STARTED, actor__isnull=False)
        .exclude(actor_id=payment.user_id)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if started is None or payment.user_id is None:
        return None, None
    proxy = (
        Proxy.objects.filter(resident_id=payment.user_id, person_id=started.actor_id, can_pay=True)
        .order_by("-accepted_at", "-pk")
        .first()
    )
    return (started.actor, proxy) if proxy is not None else (None, None)


def _case_paid(payment: Payment) -> None:
    assert payment.case_id is not None  # only called for a payment made for a case
    case = Case.objects.select_for_update().get(pk=payment.case_id)
    others_paid = payment_other_attempts(payment=payment).filter(status=PaymentStatus.SUCCESS).exists()
    if case.is_awaiting_payment:
        case_transition(case=case, to=CaseStatus.SUBMITTED, actor_role=Actor.SYSTEM)
        # the request with a fee is complete now that it is paid (once: later payments are refunded)
        _transaction_record(payment, kind="form", channel=case.channel or Channel.WEB)
    # The payer made the payment: a "resident" entry, so the case does not email them about
    # it on top of the receipt. Someone who paid for the resident is named, for them.
    payer, proxy = _proxy_payer(payment)
    _case_event(
        payment,
        type=EventType.PAYMENT,
        message=f"Payment of {payment.amount_display} received (payment reference {payment.reference}).",
        actor=payer or payment.user,
        role=Actor.RESIDENT,
        data={"proxy": proxy.pk} if proxy is not None else None,
    )
    if others_paid:
        text = (
            f"Payment {payment.reference} was taken but this request was already paid for: "
            "it is being refunded automatically."
        )
        _note(payment, text)
        _case_event(payment, type=EventType.INTERNAL_NOTE, message=text, public=False)
        refund_automatic(
            payment=payment,
            amount_pence=payment.amount_pence,
            source=EventSource.SYSTEM,
            reason=f"Request {case.reference} was already paid for, so we refunded this second payment.",
        )
    elif not case.is_awaiting_payment and case.status != CaseStatus.SUBMITTED:
        text = (
            f"Payment {payment.reference} was taken but the request is {case.status}: "
            "check whether it needs refunding."
        )
        _note(payment, text)
        _case_event(payment, type=EventType.INTERNAL_NOTE, message=text, public=False)
