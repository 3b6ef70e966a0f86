"""Checkout: creating a payment, opening (or reusing) the provider's page, cancelling and retrying.

Calls to a provider (HTTP for Stripe) are made outside row locks where possible and are
always safe to repeat: a payment attempt carries an idempotency key the provider
deduplicates on, so a retry after a timeout never charges twice.
"""

import logging
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from portal.interactions.constants import InteractionType
from portal.interactions.services import interaction_record
from portal.lib.assisted import assisted_for
from portal.lib.money import pounds

from ..constants import (
    FAILURE_STATUSES,
    FINISHED_STATUSES,
    IN_PROGRESS_STATUSES,
    EventSource,
    FailureCode,
    PaymentEventType,
    PaymentStatus,
)
from ..models import Bill, Payment, PaymentEvent
from ..providers import ProviderError, get_provider, provider_default
from ..providers.base import StatusResult
from ..selectors import payment_other_attempts
from .errors import PaymentError
from .history import _journey, _logged_by
from .settlement import _settle_if_created, payment_status_apply, payment_status_sync, payment_transition

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from portal.cases.models import Case

logger = logging.getLogger("payments.services")


@transaction.atomic
def payment_create(
    *,
    amount_pence: int,
    description: str,
    vat_status: str = "",
    user: "User | AnonymousUser | None" = None,
    email: str = "",
    case: "Case | None" = None,
    bill: Bill | None = None,
    retry_of: Payment | None = None,
) -> Payment:
    """A payment waiting to be made (status ``created``), inside the caller's transaction.

    Nothing is sent to a provider until the payer presses Pay (``payment_start``).
    """
    if int(amount_pence) <= 0:
        raise PaymentError("The amount to pay must be more than £0")
    if user is not None and not user.is_authenticated:
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
        email=email or (user.message_email if user else "") or "",
        case=case,
        bill=bill,
        service_code=service_code,
        retry_of=retry_of,
        made_with_account=user is not None,
    )
    PaymentEvent.objects.create(payment=payment, type=PaymentEventType.CREATED, status_to=payment.status)
    return payment


def _absolute(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def payment_start(*, payment: Payment, request: HttpRequest | None = None) -> Payment:
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


def _checkout_open(payment: Payment, *, request: HttpRequest | None = None) -> None:
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
    assisted = assisted_for(request)
    payment_transition(
        payment=payment,
        to=PaymentStatus.STARTED,
        source=EventSource.RESIDENT,
        # At a desk, the call's channel: the payment completes a transaction on it, not the web.
        data={"provider_id": started.provider_id, **({"channel": assisted.channel} if assisted else {})},
        # Who opened the payment page: the resident, or someone paying for them.
        actor=request.user if request is not None and request.user.is_authenticated else None,
    )
    interaction_record(
        type=InteractionType.PAYMENT_START,
        **_logged_by(request),
        # the payment's resident, not whoever's browser it is (a payment link: a desk, a relative)
        user=payment.user,
        service_code=payment.service_code,
        journey=_journey(payment),
        step=payment.provider,
        extras={"payment": payment.reference, "amount_pence": payment.amount_pence},
    )


def _checkout_reuse(payment: Payment, *, request: HttpRequest | None = None) -> Payment:
    """The checkout already open for ``payment``, if the provider says it can still be paid.

    Otherwise the payment as the provider's answer leaves it (paid, expired...), for the
    caller to show; if the provider cannot be reached, the open checkout is offered as it is.
    """
    if not payment.next_url:
        raise PaymentError("This payment has already been made or closed")
    return payment_status_sync(payment=payment, source=EventSource.STATUS_CHECK, request=request)


def _payable_check(payment: Payment) -> None:
    if payment.case_id:
        if payment.case is None or not payment.case.is_awaiting_payment:
            raise PaymentError("This request does not need paying for any more")
        if Payment.objects.filter(case_id=payment.case_id, status=PaymentStatus.SUCCESS).exists():
            raise PaymentError("This request has already been paid for")
    if payment.bill_id:
        bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
        if not bill.is_payable:
            raise PaymentError("This bill has already been paid")
        if payment.amount_pence > bill.outstanding_pence:
            raise PaymentError(f"You can pay up to {pounds(bill.outstanding_pence)} on this bill")


def _close_other_attempts(payment: Payment) -> None:
    """Close other open attempts for the same case or bill at their provider."""
    others = payment_other_attempts(payment=payment)
    for other in others.filter(status__in=[PaymentStatus.CREATED, *IN_PROGRESS_STATUSES]):
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


def payment_cancel(
    *,
    payment: Payment,
    failure_code: str = FailureCode.CANCELLED_BY_USER,
    source: str = EventSource.RESIDENT,
    request: HttpRequest | None = None,
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


def payment_retry(*, payment: Payment, request: HttpRequest | None = None) -> Payment:
    """A new attempt after a failed, cancelled or errored one, for the same amount and purpose.

    Returns the attempt to send the payer to: the existing one if the case or bill was
    paid or has an attempt in progress meanwhile.
    """
    if payment.status not in FAILURE_STATUSES:
        raise PaymentError("This payment cannot be tried again")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        others = payment_other_attempts(payment=payment)
        newer = others.filter(retry_of=payment).order_by("-created_at").first()
        if newer is not None and newer.status not in FAILURE_STATUSES:
            return newer
        paid = others.filter(status=PaymentStatus.SUCCESS).first()
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
