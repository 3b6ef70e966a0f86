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
from .providers.base import StatusResult

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
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
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
    return event.payment, "changed"


# --- Starting, returning, cancelling, retrying ----------------------------------------------


def _absolute(request, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def payment_start(*, payment: Payment, request=None) -> Payment:
    """Send the payer to the provider: opens its payment page and moves ``created → started``.

    Refused when the case or bill no longer needs paying. Any other attempt still open for
    the same case or bill is closed first, so two browser tabs can never both take money.
    Pressing Pay twice reuses the same attempt (the provider deduplicates on its key).
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.CREATED:
            if payment.status == PaymentStatus.STARTED and payment.next_url:
                return payment
            raise PaymentError("This payment has already been made or closed")
        _payable_check(payment)
        if not payment.idempotency_key:
            payment.idempotency_key = uuid.uuid4().hex
            payment.provider = provider_default()
            payment.save(update_fields=["idempotency_key", "provider", "updated_at"])
    _close_other_attempts(payment)

    provider = get_provider(payment.provider)
    return_url = _absolute(request, reverse("payments:return", kwargs={"reference": payment.reference}))
    cancel_url = _absolute(request, reverse("payments:cancel", kwargs={"reference": payment.reference}))
    try:
        started = provider.start(payment, return_url=return_url, cancel_url=cancel_url)
    except ProviderError as exc:
        logger.warning("Payment %s could not be started: %s", payment.reference, exc)
        return _settle_if_created(
            payment,
            to=PaymentStatus.ERROR,
            failure_code=FailureCode.PROVIDER_ERROR,
            source=EventSource.SYSTEM,
            message=str(exc)[:300],
            request=request,
        )

    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        locked.provider_id = started.provider_id
        locked.next_url = started.next_url
        if started.payment_intent:
            locked.provider_payment_intent = started.payment_intent
        locked.save(update_fields=["provider_id", "next_url", "provider_payment_intent", "updated_at"])
        if locked.status == PaymentStatus.CREATED:
            payment_transition(
                payment=locked,
                to=PaymentStatus.STARTED,
                source=EventSource.RESIDENT,
                data={"provider_id": started.provider_id},
            )
            interaction_record(
                type="payment_start",
                request=request,
                user=locked.user if request is None else None,
                service_code=locked.service_code,
                journey=_journey(locked),
                step=locked.provider,
                extras={"payment": locked.reference, "amount_pence": locked.amount_pence},
            )
    return Payment.objects.get(pk=payment.pk)


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
            _note(
                payment,
                f"The bill is now overpaid by {pounds(bill.amount_paid_pence - bill.amount_due_pence)}",
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
    if others_paid or case.status not in (CaseStatus.AWAITING_PAYMENT, CaseStatus.SUBMITTED):
        why = "this request was already paid for" if others_paid else f"the request is {case.status}"
        text = f"Payment {payment.reference} was taken but {why}: check whether it needs refunding."
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
        subject=f"Your payment receipt: {payment.reference}",
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
    message = (
        f"We have refunded {refund.amount_display} of your payment {payment.reference}. "
        f"Reason: {refund.reason} It can take up to 10 working days to reach your account."
    )
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


def refund_from_provider(*, payment: Payment, amount_refunded_pence: int, source: str) -> Refund | None:
    """Record a refund made outside the portal (e.g. in Stripe's dashboard) so totals agree."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        counted = sum(
            locked.refunds.filter(status__in=REFUND_COUNTED_STATUSES).values_list("amount_pence", flat=True)
        )
        missing = amount_refunded_pence - counted
        if missing <= 0 or locked.status != PaymentStatus.SUCCESS:
            return None
        missing = min(missing, locked.amount_pence - locked.amount_refunded_pence)
        if missing <= 0:
            return None
        refund = Refund.objects.create(
            payment=locked,
            amount_pence=missing,
            reason="Refunded outside the portal, in the payment provider's dashboard.",
            status=RefundStatus.SUCCESS,
            settled_at=timezone.now(),
        )
        Payment.objects.filter(pk=locked.pk).update(
            amount_refunded_pence=F("amount_refunded_pence") + missing
        )
        PaymentEvent.objects.create(
            payment=locked,
            type=PaymentEventType.REFUND_UPDATED,
            source=source,
            message=f"Refund of {pounds(missing)} made at the provider recorded",
            data={"refund": refund.pk},
        )
    return refund


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
