"""Payments: creating, starting, settling and refunding. The only code that writes ``Payment.status``.

Calls to a provider (HTTP for Stripe) are made outside row locks where possible and are
always safe to repeat: a payment attempt and a refund each carry an idempotency key the
provider deduplicates on, so a retry after a timeout never charges or refunds twice.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.interactions.services import interaction_record

from .constants import (
    FAILURE_CODES_FOR,
    FAILURE_STATUSES,
    FINISHED_STATUSES,
    IN_PROGRESS_STATUSES,
    REFUND_COUNTED_STATUSES,
    BillStatus,
    EventSource,
    FailureCode,
    PaymentEventType,
    PaymentStatus,
    RefundStatus,
    transition_allowed,
)
from .models import Bill, Payment, PaymentEvent, Refund, pounds
from .providers import ProviderError, get_provider, provider_default
from .providers.base import ProviderRefund, StatusResult

logger = logging.getLogger(__name__)


class PaymentError(ValueError):
    """Something the rules do not allow; the message is written for the person who tried."""


# --- Creating -------------------------------------------------------------------------------


@transaction.atomic
def payment_create(
    *,
    amount_pence: int,
    description: str,
    vat_status: str = "",
    user=None,
    email: str = "",
    case=None,
    bill=None,
    retry_of: Payment | None = None,
) -> Payment:
    """A payment waiting to be made (status ``created``), inside the caller's transaction.

    Nothing is sent to a provider until the payer presses Pay (``payment_start``).
    """
    if int(amount_pence) <= 0:
        raise PaymentError("The amount to pay must be more than £0")
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    service_code = None
    if case is not None:
        service_code = case.service_code
        email = email or case.contact_email
        user = user or case.resident
    elif bill is not None:
        service_code = bill.service_code
    payment = Payment.objects.create(
        amount_pence=int(amount_pence),
        description=description[:200],
        vat_status=vat_status or "",
        user=user,
        email=email or (user.email if user else ""),
        case=case,
        bill=bill,
        service_code=service_code,
        retry_of=retry_of,
        made_with_account=user is not None,
    )
    PaymentEvent.objects.create(payment=payment, type=PaymentEventType.CREATED, status_to=payment.status)
    return payment


# --- The one transition service -------------------------------------------------------------


@transaction.atomic
def payment_transition(
    *,
    payment: Payment,
    to: str,
    source: str,
    failure_code: str = "",
    message: str = "",
    actor=None,
    data: dict | None = None,
    payment_intent: str = "",
    request=None,
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
        if failure_code not in FAILURE_CODES_FOR[to]:
            raise PaymentError(
                f"A {to} payment needs one of the failure codes {sorted(FAILURE_CODES_FOR[to])}"
            )
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
            type="payment",
            public=False,
            message=f"Payment {payment.reference} not completed: {FailureCode(failure_code).label.lower()}.",
        )
    return event


def _settle_if_created(
    payment: Payment, *, to: str, source: str, failure_code: str = "", **kwargs
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
    *, payment: Payment, result: StatusResult, source: str, data: dict | None = None, request=None
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
    return f"second charge {intent}: refund {refund.pk} started"


# --- Starting, returning, cancelling, retrying ----------------------------------------------


def _absolute(request, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def payment_start(*, payment: Payment, request=None) -> Payment:
    """Send the payer to the provider: opens its payment page and moves ``created → started``.

    Refused when the case or bill no longer needs paying. Any other attempt still open for
    the same case or bill is closed first, so two browser tabs can never both take money.

    One open checkout per payment: the payment's row stays locked while the provider opens
    its page, so two presses of Pay at the same moment (in any number of processes) open a
    single checkout. Every later press reuses it, once the provider confirms it can still be
    paid (an expired one ends the attempt, and the payer is offered a new one).
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status == PaymentStatus.STARTED:
        return _checkout_reuse(payment, request=request)
    if payment.status != PaymentStatus.CREATED:
        raise PaymentError("This payment has already been made or closed")
    _close_other_attempts(payment)

    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.STARTED:
            opened_elsewhere = True  # another press opened it while this one waited for the lock
        elif locked.status != PaymentStatus.CREATED:
            raise PaymentError("This payment has already been made or closed")
        else:
            opened_elsewhere = False
            _checkout_open(locked, request=request)
    if opened_elsewhere:
        return _checkout_reuse(Payment.objects.get(pk=payment.pk), request=request)
    return Payment.objects.get(pk=payment.pk)


def _checkout_open(payment: Payment, *, request=None) -> None:
    """Open the provider's page for a locked ``created`` payment (called inside its transaction)."""
    _payable_check(payment)
    if not payment.idempotency_key:
        payment.idempotency_key = uuid.uuid4().hex
        payment.provider = provider_default()
        payment.save(update_fields=["idempotency_key", "provider", "updated_at"])
    provider = get_provider(payment.provider)
    return_url = _absolute(request, reverse("payments:return", kwargs={"reference": payment.reference}))
    cancel_url = _absolute(request, reverse("payments:cancel", kwargs={"reference": payment.reference}))
    try:
        started = provider.start(payment, return_url=return_url, cancel_url=cancel_url)
    except ProviderError as exc:
        logger.warning("Payment %s could not be started: %s", payment.reference, exc)
        payment_transition(
            payment=payment,
            to=PaymentStatus.ERROR,
            failure_code=FailureCode.PROVIDER_ERROR,
            source=EventSource.SYSTEM,
            message=str(exc)[:300],
            request=request,
        )
        return
    payment.provider_id = started.provider_id
    payment.next_url = started.next_url
    if started.payment_intent:
        payment.provider_payment_intent = started.payment_intent
    payment.save(update_fields=["provider_id", "next_url", "provider_payment_intent", "updated_at"])
    payment_transition(
        payment=payment,
        to=PaymentStatus.STARTED,
        source=EventSource.RESIDENT,
        data={"provider_id": started.provider_id},
    )
    interaction_record(
        type="payment_start",
        request=request,
        user=payment.user if request is None else None,
        service_code=payment.service_code,
        journey=_journey(payment),
        step=payment.provider,
        extras={"payment": payment.reference, "amount_pence": payment.amount_pence},
    )


def _checkout_reuse(payment: Payment, *, request=None) -> Payment:
    """The checkout already open for ``payment``, if the provider says it can still be paid.

    Otherwise the payment as the provider's answer leaves it (paid, expired...), for the
    caller to show; if the provider cannot be reached, the open checkout is offered as it is.
    """
    if not payment.next_url:
        raise PaymentError("This payment has already been made or closed")
    return payment_status_sync(payment=payment, source=EventSource.STATUS_CHECK, request=request)


def _payable_check(payment: Payment) -> None:
    if payment.case_id:
        from portal.cases.constants import CaseStatus

        if payment.case.status != CaseStatus.AWAITING_PAYMENT:
            raise PaymentError("This request does not need paying for any more")
        if Payment.objects.filter(case_id=payment.case_id, status=PaymentStatus.SUCCESS).exists():
            raise PaymentError("This request has already been paid for")
    if payment.bill_id:
        bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
        if not bill.is_payable:
            raise PaymentError("This bill has already been paid")
        if payment.amount_pence > bill.outstanding_pence:
            raise PaymentError(f"You can pay up to {pounds(bill.outstanding_pence)} on this bill")


def _siblings(payment: Payment):
    if payment.case_id:
        return Payment.objects.filter(case_id=payment.case_id).exclude(pk=payment.pk)
    if payment.bill_id:
        return Payment.objects.filter(bill_id=payment.bill_id).exclude(pk=payment.pk)
    return Payment.objects.none()


def _close_other_attempts(payment: Payment) -> None:
    """Close other open attempts for the same case or bill at their provider."""
    for other in _siblings(payment).filter(status__in=[PaymentStatus.CREATED, *IN_PROGRESS_STATUSES]):
        payment_cancel(
            payment=other, failure_code=FailureCode.CANCELLED_BY_SERVICE, source=EventSource.SYSTEM
        )
        other.refresh_from_db()
        if other.status == PaymentStatus.SUCCESS:
            raise PaymentError("This has already been paid for")
        if other.status in IN_PROGRESS_STATUSES:
            raise PaymentError(
                "Another payment for this is still being confirmed. Wait a few minutes and check your email "
                "before you try again."
            )


def payment_status_sync(*, payment: Payment, source: str = EventSource.STATUS_CHECK, request=None) -> Payment:
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


def payment_cancel(
    *,
    payment: Payment,
    failure_code: str = FailureCode.CANCELLED_BY_USER,
    source: str = EventSource.RESIDENT,
    request=None,
) -> Payment:
    """Stop an unfinished attempt so it can no longer take money.

    The provider's page is closed first; if the payer had in fact already paid, the
    payment ends in ``success`` instead (money taken always wins).
    """
    if payment.status in FINISHED_STATUSES:
        return payment
    if payment.status == PaymentStatus.CREATED or not payment.provider_id:
        return _settle_if_created(
            payment, to=PaymentStatus.CANCELLED, failure_code=failure_code, source=source, request=request
        )
    try:
        result = get_provider(payment.provider).cancel(payment)
    except ProviderError as exc:
        logger.warning("Payment %s could not be cancelled: %s", payment.reference, exc)
        return payment
    if result.status == PaymentStatus.CANCELLED:
        result = StatusResult(PaymentStatus.CANCELLED, failure_code, result.payment_intent)
    payment, _ = payment_status_apply(payment=payment, result=result, source=source, request=request)
    return payment


def payment_retry(*, payment: Payment, request=None) -> Payment:
    """A new attempt after a failed, cancelled or errored one, for the same amount and purpose.

    Returns the attempt to send the payer to: the existing one if the case or bill was
    paid or has an attempt in progress meanwhile.
    """
    if payment.status not in FAILURE_STATUSES:
        raise PaymentError("This payment cannot be tried again")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        newer = _siblings(payment).filter(retry_of=payment).order_by("-created_at").first()
        if newer is not None and newer.status not in FAILURE_STATUSES:
            return newer
        paid = _siblings(payment).filter(status=PaymentStatus.SUCCESS).first()
        if paid is not None and not payment.bill_id:
            return paid
        user = payment.user
        if request is not None and request.user.is_authenticated and user is None:
            user = request.user
        return payment_create(
            amount_pence=payment.amount_pence,
            description=payment.description,
            vat_status=payment.vat_status,
            user=user,
            email=payment.email,
            case=payment.case,
            bill=payment.bill,
            retry_of=payment,
        )


# --- What success means ---------------------------------------------------------------------


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


def _on_success(payment: Payment, *, previous: str) -> None:
    if payment.bill_id:
        bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
        bill.amount_paid_pence += payment.amount_pence
        if bill.amount_paid_pence >= bill.amount_due_pence and bill.status == BillStatus.OPEN:
            bill.status = BillStatus.PAID
        bill.save(update_fields=["amount_paid_pence", "status", "updated_at"])
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
    payment_receipt_send(payment=payment)


def _case_paid(payment: Payment) -> None:
    from portal.cases.constants import CaseStatus
    from portal.cases.models import Case
    from portal.cases.services import case_transition

    case = Case.objects.select_for_update().get(pk=payment.case_id)
    others_paid = _siblings(payment).filter(status=PaymentStatus.SUCCESS).exists()
    if case.status == CaseStatus.AWAITING_PAYMENT:
        case_transition(case=case, to=CaseStatus.SUBMITTED, actor_role="system")
    # The payer made the payment: a "resident" entry, so the case does not email them about
    # it on top of the receipt.
    _case_event(
        payment,
        type="payment",
        message=f"Payment of {payment.amount_display} received (payment reference {payment.reference}).",
        actor=payment.user,
        role="resident",
    )
    if others_paid:
        text = (
            f"Payment {payment.reference} was taken but this request was already paid for: "
            "it is being refunded automatically."
        )
        _note(payment, text)
        _case_event(payment, type="internal_note", message=text, public=False)
        refund_automatic(
            payment=payment,
            amount_pence=payment.amount_pence,
            source=EventSource.SYSTEM,
            reason=f"Request {case.reference} was already paid for, so we refunded this second payment.",
        )
    elif case.status not in (CaseStatus.AWAITING_PAYMENT, CaseStatus.SUBMITTED):
        text = (
            f"Payment {payment.reference} was taken but the request is {case.status}: "
            "check whether it needs refunding."
        )
        _note(payment, text)
        _case_event(payment, type="internal_note", message=text, public=False)


def _note(payment: Payment, message: str, *, data: dict | None = None) -> PaymentEvent:
    logger.warning("Payment %s: %s", payment.reference, message)
    return PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.NOTE, message=message, data=data or {}
    )


def payment_receipt_send(*, payment: Payment) -> bool:
    """Email the receipt for a successful payment, once."""
    from portal.notifications.services import notification_email_send

    to = payment.receipt_email
    updated = Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    if not updated or not to:
        return False
    payment.refresh_from_db()
    context = {"payment": payment, "council_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL}
    notification_email_send(
        to=to,
        user=payment.user,
        subject=f"{'TEST payment – ' if payment.is_test else ''}Your payment receipt: {payment.reference}",
        body_text=render_to_string("payments/email/receipt.txt", context),
        template="payments/receipt",
    )
    PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.RECEIPT_SENT, message=f"Receipt sent to {to}"
    )
    return True


# --- Refunds --------------------------------------------------------------------------------


def payment_refund(*, payment: Payment, amount_pence: int, reason: str, staff) -> Refund:
    """Give back all or part of a successful payment through its provider.

    The amount is reserved against the payment under a row lock before the provider is
    called, so concurrent refunds can never add up to more than was paid (the database
    check ``payment_refunds_within_amount`` backs this up). If the provider refuses, the
    refund ends in ``error`` and the reserved amount is released. If the provider cannot
    be reached, the refund stays ``submitted`` and the housekeeping job retries it with
    the same idempotency key.
    """
    reason = (reason or "").strip()
    amount_pence = int(amount_pence)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCESS:
            raise PaymentError("Only a successful payment can be refunded")
        if not reason:
            raise PaymentError("Enter the reason for the refund")
        if amount_pence <= 0:
            raise PaymentError("The refund must be more than £0")
        if amount_pence > locked.refundable_pence:
            raise PaymentError(
                f"The refund must be {pounds(locked.refundable_pence)} or less: that is what is left of the "
                f"{locked.amount_display} paid"
            )
        refund = Refund.objects.create(payment=locked, amount_pence=amount_pence, reason=reason, staff=staff)
        Payment.objects.filter(pk=locked.pk).update(
            amount_refunded_pence=F("amount_refunded_pence") + amount_pence, updated_at=timezone.now()
        )
        PaymentEvent.objects.create(
            payment=locked,
            type=PaymentEventType.REFUND_REQUESTED,
            source=EventSource.STAFF,
            actor=staff,
            message=f"Refund of {pounds(amount_pence)} requested: {reason}",
            data={"refund": refund.pk, "amount_pence": amount_pence},
        )
    refund_submit(refund=refund)
    refund.refresh_from_db()
    return refund


def refund_automatic(
    *, payment: Payment, amount_pence: int, reason: str, source: str, charge_payment_intent: str = ""
) -> Refund | None:
    """Give back money taken twice for the same thing, without waiting for staff.

    Either a second charge for the payment (``charge_payment_intent``: another checkout
    for it was paid too), refunded at that charge and not counted against the payment;
    or all or part of the payment itself (a request paid by two attempts, a bill paid
    over). The refund is recorded now, with its reason, for staff and the resident to see;
    the provider is called once the transaction commits (the housekeeping job retries it,
    with the same idempotency key, if the provider cannot be reached).
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not charge_payment_intent:
            amount_pence = min(int(amount_pence), locked.refundable_pence)
        if amount_pence <= 0:
            return None
        refund = Refund.objects.create(
            payment=locked,
            amount_pence=amount_pence,
            reason=reason,
            automatic=True,
            charge_payment_intent=charge_payment_intent,
        )
        if not charge_payment_intent:
            Payment.objects.filter(pk=locked.pk).update(
                amount_refunded_pence=F("amount_refunded_pence") + amount_pence, updated_at=timezone.now()
            )
        PaymentEvent.objects.create(
            payment=locked,
            type=PaymentEventType.REFUND_REQUESTED,
            source=source,
            message=f"Automatic refund of {pounds(amount_pence)}: {reason}",
            data={
                "refund": refund.pk,
                "amount_pence": amount_pence,
                "charge_payment_intent": charge_payment_intent,
            },
        )
        logger.warning("Payment %s: automatic refund %s of %s", locked.reference, refund.pk, amount_pence)
        transaction.on_commit(lambda: _refund_submit_pk(refund.pk), robust=True)
    return refund


def _refund_submit_pk(pk: int) -> None:
    refund = Refund.objects.filter(pk=pk).select_related("payment").first()
    if refund is not None:
        refund_submit(refund=refund)


def refund_submit(*, refund: Refund) -> Refund:
    """Send a submitted refund to the provider (again, if need be: the key makes it safe)."""
    from .providers.base import ProviderUnavailable

    if refund.status != RefundStatus.SUBMITTED or refund.provider_id:
        return refund
    try:
        result = get_provider(refund.payment.provider).refund(refund)
    except ProviderUnavailable as exc:
        logger.warning("Refund %s not sent yet, will retry: %s", refund.pk, exc)
        return refund
    except ProviderError as exc:
        return refund_settle(
            refund=refund, status=RefundStatus.ERROR, message=str(exc), source=EventSource.SYSTEM
        )
    return refund_settle(
        refund=refund,
        status=result.status,
        provider_id=result.provider_id,
        message=result.message,
        source=EventSource.SYSTEM,
    )


_REFUND_MOVES = {
    (RefundStatus.SUBMITTED, RefundStatus.SUCCESS),
    (RefundStatus.SUBMITTED, RefundStatus.ERROR),
    # A card refund can still fail after the provider first said it succeeded.
    (RefundStatus.SUCCESS, RefundStatus.ERROR),
}


@transaction.atomic
def refund_settle(
    *, refund: Refund, status: str, source: str, provider_id: str = "", message: str = ""
) -> Refund:
    """Record the provider's news about a refund; repeated or stale news changes nothing.

    On ``error`` the amount is released from the payment's refunded total, so the money
    is always accounted for. On ``success`` the resident is told (on the case timeline,
    or by email for a bill).
    """
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if provider_id and not refund.provider_id:
        refund.provider_id = provider_id
        refund.save(update_fields=["provider_id", "updated_at"])
    current = refund.status
    if status == current or (current, status) not in _REFUND_MOVES:
        return refund
    refund.status = status
    refund.settled_at = timezone.now()
    if status == RefundStatus.ERROR:
        refund.failure_message = (message or "The payment provider refused the refund")[:300]
    if status == RefundStatus.ERROR and not refund.is_duplicate_charge:
        Payment.objects.filter(pk=payment.pk).update(
            amount_refunded_pence=F("amount_refunded_pence") - refund.amount_pence, updated_at=timezone.now()
        )
    refund.save()
    PaymentEvent.objects.create(
        payment=payment,
        type=PaymentEventType.REFUND_UPDATED,
        source=source,
        message=(
            f"Refund of {refund.amount_display} {'succeeded' if status == RefundStatus.SUCCESS else 'failed'}"
            + (f": {refund.failure_message}" if status == RefundStatus.ERROR else "")
        ),
        data={"refund": refund.pk, "from": current, "to": status},
    )
    if status == RefundStatus.SUCCESS:
        _refund_tell_resident(payment, refund)
    return refund


def _refund_tell_resident(payment: Payment, refund: Refund) -> None:
    if refund.is_duplicate_charge:
        message = f"We have refunded {refund.amount_display}. {refund.reason}"
    else:
        message = (
            f"We have refunded {refund.amount_display} of your payment {payment.reference}. "
            f"Reason: {refund.reason}"
        )
    message += " It can take up to 10 working days to reach your account."
    if payment.case_id:
        _case_event(payment, type="refund", message=message, actor=refund.staff, role="staff")
        return
    from portal.notifications.services import notification_email_send

    if payment.receipt_email:
        notification_email_send(
            to=payment.receipt_email,
            user=payment.user,
            subject=f"Refund of {refund.amount_display}: {payment.reference}",
            body_text=render_to_string(
                "payments/email/refund.txt",
                {"payment": payment, "refund": refund, "council_name": settings.WAGTAIL_SITE_NAME},
            ),
            template="payments/refund",
        )


REFUND_OUTSIDE_REASON = "Refunded outside the portal, in the payment provider's dashboard."


def refund_record_from_provider(
    *, payment: Payment, refund: ProviderRefund, payment_intent: str, source: str
) -> tuple[Refund | None, str]:
    """Record what the provider says about one of its refunds of ``payment``, in any order.

    The local refund is found by the provider's id, or by the portal's own id (sent in the
    refund's metadata); its status then only moves forward (``refund_settle``), so stale or
    repeated news changes nothing. A refund of the payment's own charge that the portal did
    not make (in the provider's dashboard) is recorded as a new refund, once: the provider's
    id is unique.

    Returns the refund and ``"changed"`` or ``"unchanged"``; or ``None`` and why nothing was
    recorded: ``"waiting: ..."`` when it cannot be recorded *yet* (the payment has not
    succeeded here yet, or the refunds would add up to more than was paid while another
    refund may still fail), ``"ignored: ..."`` otherwise.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        local = Refund.objects.filter(provider_id=refund.provider_id).first() if refund.provider_id else None
        if local is None and refund.local_id.isdigit():
            local = Refund.objects.filter(pk=int(refund.local_id), payment=locked).first()
        if local is not None:
            before = local.status
            local = refund_settle(
                refund=local,
                status=refund.status,
                provider_id=refund.provider_id,
                message=refund.message,
                source=source,
            )
            return local, "changed" if local.status != before else "unchanged"
        if not refund.provider_id or refund.amount_pence <= 0:
            return None, "ignored: the provider's refund has no id or amount"
        own_intent = locked.provider_payment_intent
        if payment_intent and own_intent and payment_intent != own_intent:
            return None, "ignored: a refund of another charge that the portal did not make"
        if locked.status != PaymentStatus.SUCCESS:
            return None, f"waiting: the payment is {locked.status}, not yet successful"
        counts = refund.status in REFUND_COUNTED_STATUSES
        if counts and refund.amount_pence > locked.amount_pence - locked.amount_refunded_pence:
            return None, "waiting: more than is left of the payment (another refund may yet fail)"
        now = timezone.now()
        created = Refund.objects.create(
            payment=locked,
            amount_pence=refund.amount_pence,
            reason=REFUND_OUTSIDE_REASON,
            status=refund.status,
            provider_id=refund.provider_id,
            settled_at=None if refund.status == RefundStatus.SUBMITTED else now,
            failure_message=(refund.message or "The payment provider refused the refund")[:300]
            if refund.status == RefundStatus.ERROR
            else "",
        )
        if counts:
            Payment.objects.filter(pk=locked.pk).update(
                amount_refunded_pence=F("amount_refunded_pence") + refund.amount_pence, updated_at=now
            )
        PaymentEvent.objects.create(
            payment=locked,
            type=PaymentEventType.REFUND_UPDATED,
            source=source,
            message=(
                f"Refund of {pounds(refund.amount_pence)} made at the provider recorded "
                f"({RefundStatus(refund.status).label.lower()})"
            ),
            data={"refund": created.pk, "provider_id": refund.provider_id, "to": refund.status},
        )
        if refund.status == RefundStatus.SUCCESS:
            _refund_tell_resident(locked, created)
    return created, "changed"


# --- Bills ----------------------------------------------------------------------------------


def postcode_normalise(value: str) -> str:
    return "".join((value or "").split()).upper()


def bill_find(*, reference: str, postcode: str) -> Bill | None:
    """The bill with this reference, if the postcode matches too (spaces and case ignored)."""
    bill = Bill.objects.filter(reference__iexact=(reference or "").strip()).first()
    if bill is None or postcode_normalise(bill.postcode) != postcode_normalise(postcode):
        return None
    return bill


@transaction.atomic
def bill_payment_create(
    *, bill: Bill, amount_pence: int | None = None, user=None, email: str = ""
) -> Payment:
    """A payment for all of a bill's outstanding amount, or part of it where the bill allows."""
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if not bill.is_payable:
        raise PaymentError(
            "This bill has already been paid"
            if bill.status != BillStatus.CANCELLED
            else "This bill has been cancelled, so it cannot be paid"
        )
    outstanding = bill.outstanding_pence
    amount = outstanding if amount_pence is None else int(amount_pence)
    if amount != outstanding and not bill.allows_part_payment:
        raise PaymentError(f"This bill must be paid in full: {pounds(outstanding)}")
    if amount <= 0:
        raise PaymentError("Enter an amount more than £0")
    if amount > outstanding:
        raise PaymentError(f"Enter an amount of {pounds(outstanding)} or less")
    return payment_create(
        amount_pence=amount,
        description=f"{bill.description} (bill {bill.reference})",
        vat_status=bill.vat_status,
        user=user,
        email=email,
        bill=bill,
    )


# --- Housekeeping ---------------------------------------------------------------------------


def payments_stuck_settle(*, now=None) -> int:
    """Fetch the status of payments left started or submitted (their webhook may be lost)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_STUCK_MINUTES)
    settled = 0
    for payment in Payment.objects.filter(status__in=IN_PROGRESS_STATUSES, updated_at__lt=cutoff):
        before = payment.status
        after = payment_status_sync(payment=payment, source=EventSource.STATUS_CHECK)
        settled += after.status != before
    for refund in Refund.objects.filter(status=RefundStatus.SUBMITTED, provider_id="", created_at__lt=cutoff):
        refund_submit(refund=refund)
    return settled


def cases_unpaid_close(*, now=None) -> int:
    """Close requests still awaiting payment ``PAYMENT_EXPIRY_HOURS`` after they were made.

    An attempt still open at the provider is closed first; if it turns out to be paid,
    the request goes ahead instead. One still being confirmed (a delayed payment
    method) keeps the request open until it settles.
    """
    from portal.cases.constants import CaseStatus
    from portal.cases.models import Case
    from portal.cases.services import CaseError, case_transition

    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PAYMENT_EXPIRY_HOURS)
    closed = 0
    for case in Case.objects.filter(status=CaseStatus.AWAITING_PAYMENT, created_at__lt=cutoff):
        for payment in Payment.objects.filter(case=case).exclude(status__in=FINISHED_STATUSES):
            if payment.status == PaymentStatus.CREATED:
                _settle_if_created(
                    payment,
                    to=PaymentStatus.FAILED,
                    failure_code=FailureCode.EXPIRED,
                    source=EventSource.SYSTEM,
                )
            else:
                payment_cancel(
                    payment=payment, failure_code=FailureCode.CANCELLED_BY_SERVICE, source=EventSource.SYSTEM
                )
        payments = Payment.objects.filter(case=case)
        if payments.filter(Q(status=PaymentStatus.SUCCESS) | Q(status__in=IN_PROGRESS_STATUSES)).exists():
            continue
        hours = settings.PAYMENT_EXPIRY_HOURS
        try:
            case_transition(
                case=case,
                to=CaseStatus.CLOSED_UNPAID,
                actor_role="system",
                message=(
                    f"We closed this request because it was not paid for within {hours} hours. "
                    "If you still need it, please make a new request."
                ),
            )
        except CaseError as exc:
            logger.warning("Case %s could not be closed as unpaid: %s", case.reference, exc)
            continue
        closed += 1
    return closed


def payments_created_expire(*, now=None) -> int:
    """Payments never sent to a provider (a bill payment the payer walked away from) expire."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PAYMENT_EXPIRY_HOURS)
    expired = 0
    for payment in Payment.objects.filter(
        status=PaymentStatus.CREATED, created_at__lt=cutoff, case__isnull=True
    ):
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status == PaymentStatus.CREATED:
                payment_transition(
                    payment=locked,
                    to=PaymentStatus.FAILED,
                    failure_code=FailureCode.EXPIRED,
                    source=EventSource.SYSTEM,
                )
                expired += 1
    return expired


def payments_housekeeping(*, now=None) -> dict[str, int]:
    """The periodic job: settle stuck payments and refunds, expire unpaid ones, close unpaid cases."""
    from .providers.sandbox import sandbox_settle_due
    from .webhooks import webhook_events_retry

    return {
        "webhooks_retried": webhook_events_retry(),
        "sandbox_settled": sandbox_settle_due(now=now),
        "stuck_settled": payments_stuck_settle(now=now),
        "created_expired": payments_created_expire(now=now),
        "cases_closed_unpaid": cases_unpaid_close(now=now),
    }
