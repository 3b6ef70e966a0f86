"""Refunds: by staff or automatic (money taken twice), sent, settled, and those made at the provider."""

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.cases.constants import Actor, EventType
from portal.lib.money import pounds
from portal.notifications.services import message_send

from ..constants import (
    REFUND_COUNTED_STATUSES,
    EventSource,
    PaymentEventType,
    RefundStatus,
    refund_transition_allowed,
)
from ..messages import REFUND
from ..models import Payment, PaymentEvent, Refund
from ..providers import ProviderError, get_provider
from ..providers.base import ProviderRefund, ProviderUnavailable
from .errors import PaymentError
from .history import _case_event
from .states import refund_transition

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("payments.services")


def payment_refund(*, payment: Payment, amount_pence: int, reason: str, staff: "User") -> Refund:
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
        if not locked.is_success:
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
    if status == current or not refund_transition_allowed(current, status):
        return refund
    if status == RefundStatus.ERROR and not refund.is_duplicate_charge:
        Payment.objects.filter(pk=payment.pk).update(
            amount_refunded_pence=F("amount_refunded_pence") - refund.amount_pence, updated_at=timezone.now()
        )
    refund = refund_transition(refund=refund, to=status, failure_message=message)
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
        _case_event(payment, type=EventType.REFUND, message=message, actor=refund.staff, role=Actor.STAFF)
        return
    if payment.user_id or payment.receipt_email:
        message_send(
            key=REFUND,
            context={
                "payment_reference": payment.reference,
                "amount": refund.amount_display,
                "paid_for": payment.description,
                "reason": refund.reason,
                "test_notice": "TEST payment – no money was taken or refunded. This is from the council's "
                "test payment service."
                if payment.is_test
                else "",
            },
            user=payment.user,
            email=payment.receipt_email,
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
        if not locked.is_success:
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
