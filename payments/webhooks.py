"""Webhooks from the payment providers: verified, stored once, processed once.

The HTTP endpoint (``views.webhook``) and the sandbox provider both call
``webhook_receive``; the stored event is then processed by a background task. Both
providers send Stripe-shaped events, so one interpreter serves both.

* An unverified request (signature, secret or timestamp wrong) is refused with 400 and
  recorded as a ``WebhookRejection``; nothing in it is acted on.
* The unique ``(provider, event_id)`` constraint decides which of two parallel
  deliveries stores the event; the other is answered 200 and counted as a repeat.
* Processing locks the event row and skips it if already processed, so a repeated or
  concurrent task does nothing the second time.
* What an event means is applied through ``payment_status_apply``, whose rules (see
  ``constants``) make any order of deliveries converge on the same state.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import default_task_backend
from django.utils import timezone

from .constants import EventSource, FailureCode, PaymentStatus, RefundStatus, WebhookStatus
from .models import Payment, Refund, WebhookEvent, WebhookRejection
from .providers import WebhookVerificationError, get_provider
from .providers.base import StatusResult
from .providers.checkout import session_payment_reference, session_status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)

_REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCESS,
    "pending": RefundStatus.SUBMITTED,
    "requires_action": RefundStatus.SUBMITTED,
    "failed": RefundStatus.ERROR,
    "canceled": RefundStatus.ERROR,
}


def webhook_receive(*, provider_name: str, body: bytes, signature: str) -> tuple[int, str]:
    """Verify, store and queue one webhook delivery. Returns (HTTP status, short reason)."""
    provider = get_provider(provider_name)
    try:
        message = provider.parse_webhook(body, signature or "")
    except WebhookVerificationError as exc:
        WebhookRejection.objects.create(
            provider=provider_name,
            reason=str(exc)[:300],
            signature_header=(signature or "")[:500],
            body_excerpt=body[:2000].decode("utf-8", "replace"),
        )
        logger.warning("Rejected a %s webhook: %s", provider_name, exc)
        return 400, "signature not verified"

    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    provider=provider_name,
                    event_id=message.event_id[:255],
                    type=message.type[:100],
                    payload=message.payload,
                )
        except IntegrityError:
            WebhookEvent.objects.filter(provider=provider_name, event_id=message.event_id).update(
                deliveries=F("deliveries") + 1
            )
            event = WebhookEvent.objects.get(provider=provider_name, event_id=message.event_id)
            if event.status != WebhookStatus.FAILED:
                return 200, "already received"
        transaction.on_commit(lambda: _enqueue(event.pk))
    return 200, "received"


def _enqueue(event_pk: int, *, delay_seconds: int = 0) -> None:
    from .tasks import process_webhook_event

    task = process_webhook_event
    if delay_seconds:
        if not default_task_backend.supports_defer:
            return  # retried by the next delivery or by the housekeeping job, never in a tight loop
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(event_pk)


def webhook_events_retry() -> int:
    """Process again events whose processing failed (the housekeeping job calls this)."""
    retried = 0
    for pk in WebhookEvent.objects.filter(status=WebhookStatus.FAILED, attempts__lt=MAX_ATTEMPTS).values_list(
        "pk", flat=True
    ):
        webhook_event_process(event_pk=pk)
        retried += 1
    return retried


def webhook_event_process(*, event_pk: int) -> WebhookEvent | None:
    """Apply one stored event, exactly once; a failure is retried with backoff."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.processed_at is not None:
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                status, note, payment = _apply(event)
        except Exception as exc:
            logger.exception("Webhook event %s failed (attempt %s)", event.event_id, event.attempts)
            event.status = WebhookStatus.FAILED
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.save(update_fields=["status", "last_error", "attempts"])
            if event.attempts < MAX_ATTEMPTS:
                delay = RETRY_DELAYS[min(event.attempts - 1, len(RETRY_DELAYS) - 1)]
                transaction.on_commit(lambda: _enqueue(event.pk, delay_seconds=delay))
            return event
        event.status = status
        event.note = note[:300]
        event.payment = payment
        event.last_error = ""
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "note", "payment", "last_error", "processed_at", "attempts"])
    return event


def _payment_for_session(provider: str, session: dict) -> Payment | None:
    reference = session_payment_reference(session)
    payment = Payment.objects.filter(reference=reference).first() if reference else None
    if payment is None and session.get("id"):
        payment = Payment.objects.filter(provider=provider, provider_id=session["id"]).first()
    return payment


def _apply(event: WebhookEvent) -> tuple[str, str, Payment | None]:
    """What an event means for the local records: (webhook status, note, payment)."""
    obj = (event.payload.get("data") or {}).get("object") or {}
    kind = event.type
    data = {"webhook_event": event.event_id}
    if kind.startswith("checkout.session."):
        payment = _payment_for_session(event.provider, obj)
        if payment is None:
            return WebhookStatus.IGNORED, "no payment here has this checkout", None
        intent = session_status(obj).payment_intent
        if kind == "checkout.session.completed":
            result = session_status(obj)
        elif kind == "checkout.session.async_payment_succeeded":
            result = StatusResult(PaymentStatus.SUCCESS, payment_intent=intent)
        elif kind == "checkout.session.async_payment_failed":
            result = StatusResult(
                PaymentStatus.FAILED,
                FailureCode.DECLINED,
                intent,
                "The payment was not completed by the bank",
            )
        elif kind == "checkout.session.expired":
            result = StatusResult(PaymentStatus.FAILED, FailureCode.EXPIRED, intent)
        else:
            return WebhookStatus.IGNORED, f"{kind} is not used", payment
        from .services import payment_status_apply

        payment, note = payment_status_apply(
            payment=payment, result=result, source=EventSource.WEBHOOK, data=data
        )
        return (WebhookStatus.PROCESSED if note == "changed" else WebhookStatus.IGNORED), note, payment

    if kind == "charge.refunded":
        intent = obj.get("payment_intent") or ""
        payment = Payment.objects.filter(provider_payment_intent=intent).first() if intent else None
        if payment is None:
            return WebhookStatus.IGNORED, "no payment here has this charge", None
        from .services import refund_from_provider

        recorded = refund_from_provider(
            payment=payment,
            amount_refunded_pence=int(obj.get("amount_refunded") or 0),
            source=EventSource.WEBHOOK,
        )
        note = "refund made at the provider recorded" if recorded else "refunds already recorded"
        return (WebhookStatus.PROCESSED if recorded else WebhookStatus.IGNORED), note, payment

    if kind in ("refund.updated", "refund.created", "refund.failed"):
        refund = Refund.objects.filter(provider_id=obj.get("id") or "-").select_related("payment").first()
        if refund is None:
            local_id = str((obj.get("metadata") or {}).get("refund_id") or "")
            refund = Refund.objects.filter(pk=int(local_id)).first() if local_id.isdigit() else None
        if refund is None:
            return WebhookStatus.IGNORED, "no refund here has this id", None
        status = _REFUND_STATUS.get(obj.get("status") or "", RefundStatus.SUBMITTED)
        from .services import refund_settle

        before = refund.status
        refund = refund_settle(
            refund=refund,
            status=status,
            provider_id=obj.get("id") or "",
            message=obj.get("failure_reason") or "",
            source=EventSource.WEBHOOK,
        )
        changed = refund.status != before
        note = f"refund {before} -> {refund.status}" if changed else f"refund already {refund.status}"
        return (WebhookStatus.PROCESSED if changed else WebhookStatus.IGNORED), note, refund.payment

    return WebhookStatus.IGNORED, f"{kind} is not used", None
