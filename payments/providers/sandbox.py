"""The built-in test provider: a hosted-style card page served by the portal itself.

It behaves like a small Stripe: it keeps its own records (``SandboxCheckout``), answers
status fetches from them, and tells the portal about outcomes with webhooks that are
Stripe-shaped and signed with Stripe's scheme using the sandbox secret, so they go
through exactly the same verification, storage and processing as Stripe's.
"""

import hashlib
import hmac
import json
import math
import secrets
import time
from datetime import date, datetime, timedelta

import stripe

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.lib.retry import task_enqueue

from ..constants import FailureCode, PaymentStatus, RefundStatus, SandboxStatus
from ..models import Refund, SandboxCheckout, SandboxRefund
from .base import (
    PaymentProvider,
    ProviderError,
    ProviderRefund,
    ProviderTransaction,
    RefundResult,
    StartResult,
    StatusResult,
    WebhookMessage,
)
from .checkout import REFUND_STATUS
from .events import event_verify

# Card numbers that choose the outcome, as on GOV.UK Pay's and Stripe's test cards.
TEST_CARDS = {
    "4242424242424242": "success",
    "4000000000000002": "declined",
    "4000000000000119": "error",
    "4000000000003220": "delayed",
}

_STATUS = {
    SandboxStatus.OPEN: StatusResult(PaymentStatus.STARTED),
    SandboxStatus.PROCESSING: StatusResult(PaymentStatus.SUBMITTED),
    SandboxStatus.PAID: StatusResult(PaymentStatus.SUCCESS),
    SandboxStatus.DECLINED: StatusResult(
        PaymentStatus.FAILED, FailureCode.DECLINED, message="Your card was declined"
    ),
    SandboxStatus.ERROR: StatusResult(
        PaymentStatus.ERROR, FailureCode.PROVIDER_ERROR, message="The card processor had a problem"
    ),
    SandboxStatus.CANCELLED: StatusResult(PaymentStatus.CANCELLED, FailureCode.CANCELLED_BY_USER),
    SandboxStatus.EXPIRED: StatusResult(PaymentStatus.FAILED, FailureCode.EXPIRED),
}


def sandbox_webhook_secret() -> str:
    """``SANDBOX_WEBHOOK_SECRET``, or one derived from ``SECRET_KEY`` so it is never a known value."""
    configured = getattr(settings, "SANDBOX_WEBHOOK_SECRET", "")
    if configured:
        return configured
    digest = hmac.new(settings.SECRET_KEY.encode(), b"payments.sandbox.webhook", hashlib.sha256).hexdigest()
    return f"whsec_sandbox_{digest[:32]}"


def _intent_id(checkout: SandboxCheckout) -> str:
    return f"pi_{checkout.id}"


def session_object(checkout: SandboxCheckout) -> dict:
    """The checkout as a Stripe Checkout Session object."""
    status = {
        SandboxStatus.OPEN: ("open", "unpaid"),
        SandboxStatus.PROCESSING: ("complete", "unpaid"),
        SandboxStatus.PAID: ("complete", "paid"),
        SandboxStatus.EXPIRED: ("expired", "unpaid"),
    }.get(checkout.status, ("open", "unpaid"))
    return {
        "id": checkout.id,
        "object": "checkout.session",
        "status": status[0],
        "payment_status": status[1],
        "amount_total": checkout.amount_pence,
        "currency": "gbp",
        "client_reference_id": checkout.payment_reference,
        "metadata": {"payment_reference": checkout.payment_reference},
        "payment_intent": _intent_id(checkout),
    }


def webhook_send(event_type: str, data_object: dict) -> tuple[int, str]:
    """Sign a Stripe-shaped event with the sandbox secret and hand it to the webhook endpoint's
    code (the same function the HTTP endpoint calls)."""
    from ..services.webhooks import webhook_receive  # circular: payments.services imports this module

    body = json.dumps(
        {
            "id": f"evt_sbx_{secrets.token_hex(12)}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": data_object},
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(body, sandbox_webhook_secret())
    return webhook_receive(provider_name="sandbox", body=body.encode(), signature=signature)


def sandbox_card_submit(*, checkout: SandboxCheckout, card_number: str) -> str:
    """Record the outcome a test card chooses and send the webhook a real provider would.

    Returns the outcome: ``success``, ``declined``, ``error`` or ``delayed``.
    """
    outcome = TEST_CARDS[card_number]
    now = timezone.now()
    with transaction.atomic():
        checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout.pk)
        if checkout.status != SandboxStatus.OPEN:
            raise ProviderError("This payment page has already been used")
        checkout.card_last4 = card_number[-4:]
        if outcome == "success":
            checkout.status, checkout.paid_at = SandboxStatus.PAID, now
        elif outcome == "declined":
            checkout.status = SandboxStatus.DECLINED
        elif outcome == "error":
            checkout.status = SandboxStatus.ERROR
        else:
            checkout.status = SandboxStatus.PROCESSING
            checkout.settle_after = now + timedelta(seconds=settings.SANDBOX_DELAY_SECONDS)
        checkout.save()
    if outcome in ("success", "delayed"):
        webhook_send("checkout.session.completed", session_object(checkout))
    if outcome == "delayed":
        _schedule_settlement(checkout)
    return outcome


def _schedule_settlement(checkout: SandboxCheckout) -> None:
    from ..tasks import sandbox_settle  # circular: payments.tasks imports this module

    # Without a backend that can defer (tests, development), the housekeeping job settles it.
    delay = max(1, math.ceil((checkout.settle_after - timezone.now()).total_seconds()))
    transaction.on_commit(lambda: task_enqueue(sandbox_settle, delay_seconds=delay), robust=True)


def sandbox_settle_due(*, now: datetime | None = None) -> int:
    """Settle delayed sandbox payments whose time has come, each with a signed webhook."""
    now = now or timezone.now()
    settled = 0
    for checkout_id in SandboxCheckout.objects.filter(
        status=SandboxStatus.PROCESSING, settle_after__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout_id)
            if checkout.status != SandboxStatus.PROCESSING:
                continue
            checkout.status, checkout.paid_at = SandboxStatus.PAID, now
            checkout.save(update_fields=["status", "paid_at"])
        webhook_send("checkout.session.async_payment_succeeded", session_object(checkout))
        settled += 1
    return settled


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def start(self, payment, *, return_url: str, cancel_url: str) -> StartResult:
        # The idempotency key doubles as the lookup: pressing Pay twice opens one checkout.
        checkout = SandboxCheckout.objects.filter(payment_reference=payment.reference).first()
        if checkout is None:
            checkout = SandboxCheckout.objects.create(
                payment_reference=payment.reference,
                amount_pence=payment.amount_pence,
                description=payment.description,
                return_url=return_url,
                cancel_url=cancel_url,
            )
        url = reverse("payments:sandbox", kwargs={"checkout_id": checkout.pk})
        return StartResult(provider_id=checkout.pk, next_url=url, payment_intent=_intent_id(checkout))

    def _checkout(self, payment) -> SandboxCheckout:
        checkout = SandboxCheckout.objects.filter(pk=payment.provider_id).first()
        if checkout is None:
            raise ProviderError(f"The sandbox has no checkout {payment.provider_id!r}")
        return checkout

    def fetch_status(self, payment) -> StatusResult:
        checkout = self._checkout(payment)
        result = _STATUS[SandboxStatus(checkout.status)]
        return StatusResult(
            result.status, result.failure_code, _intent_id(checkout), result.message, checkout.amount_pence
        )

    def cancel(self, payment) -> StatusResult:
        with transaction.atomic():
            checkout = SandboxCheckout.objects.select_for_update().get(pk=self._checkout(payment).pk)
            if checkout.status == SandboxStatus.OPEN:
                checkout.status = SandboxStatus.CANCELLED
                checkout.save(update_fields=["status"])
        return self.fetch_status(payment)

    def _charged_checkout(self, refund) -> SandboxCheckout:
        """The checkout whose charge ``refund`` gives back: a second charge's, or the payment's."""
        intent = refund.charge_payment_intent or refund.payment.provider_payment_intent
        if intent.startswith("pi_"):
            checkout = SandboxCheckout.objects.filter(pk=intent.removeprefix("pi_")).first()
            if checkout is not None:
                return checkout
        if refund.charge_payment_intent:
            raise ProviderError(f"The sandbox has no payment {intent!r}")
        return self._checkout(refund.payment)

    def refund(self, refund) -> RefundResult:
        with transaction.atomic():
            checkout = SandboxCheckout.objects.select_for_update().get(pk=self._charged_checkout(refund).pk)
            existing = SandboxRefund.objects.filter(idempotency_key=str(refund.idempotency_key)).first()
            if existing:
                return RefundResult(existing.pk, RefundStatus.SUCCESS)
            if checkout.status != SandboxStatus.PAID:
                raise ProviderError("The sandbox cannot refund a payment that was not taken")
            if checkout.amount_refunded_pence + refund.amount_pence > checkout.amount_pence:
                raise ProviderError("The sandbox refused: the refund is more than is left on the payment")
            created = SandboxRefund.objects.create(
                checkout=checkout,
                amount_pence=refund.amount_pence,
                idempotency_key=str(refund.idempotency_key),
            )
            checkout.amount_refunded_pence += refund.amount_pence
            checkout.save(update_fields=["amount_refunded_pence"])
        return RefundResult(created.pk, RefundStatus.SUCCESS)

    def list_refunds(self, payment_intent: str) -> list[ProviderRefund]:
        checkout_id = payment_intent.removeprefix("pi_") if payment_intent.startswith("pi_") else ""
        refunds = SandboxRefund.objects.filter(checkout_id=checkout_id).order_by("created_at")
        # The sandbox keeps no metadata: the portal's refund is found by its idempotency key.
        local = dict(
            Refund.objects.filter(idempotency_key__in=[r.idempotency_key for r in refunds]).values_list(
                "idempotency_key", "pk"
            )
        )
        return [
            ProviderRefund(
                provider_id=refund.pk,
                amount_pence=refund.amount_pence,
                status=REFUND_STATUS.get(refund.status, RefundStatus.SUBMITTED),
                local_id=str(local.get(refund.idempotency_key, "")),
            )
            for refund in refunds
        ]

    def parse_webhook(self, body: bytes, signature: str) -> WebhookMessage:
        return event_verify(
            body, signature, secret=sandbox_webhook_secret(), tolerance=settings.PAYMENTS_WEBHOOK_TOLERANCE
        )

    def list_transactions(self, day: date) -> list[ProviderTransaction]:
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        end = start + timedelta(days=1)
        found = [
            ProviderTransaction(
                kind="payment",
                provider_id=checkout.pk,
                amount_pence=checkout.amount_pence,
                created=checkout.paid_at,
                payment_reference=checkout.payment_reference,
                payment_intent=_intent_id(checkout),
            )
            for checkout in SandboxCheckout.objects.filter(paid_at__gte=start, paid_at__lt=end)
        ]
        found += [
            ProviderTransaction(
                kind="refund",
                provider_id=refund.pk,
                amount_pence=refund.amount_pence,
                created=refund.created_at,
                payment_reference=refund.checkout.payment_reference,
                payment_intent=_intent_id(refund.checkout),
            )
            for refund in SandboxRefund.objects.filter(
                created_at__gte=start, created_at__lt=end
            ).select_related("checkout")
        ]
        return found
