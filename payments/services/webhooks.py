"""Webhooks from the payment providers: verified, stored once, processed once, in any order.

The HTTP endpoint (``payments.views.webhook``) and the sandbox provider both call
``webhook_receive``; the stored event is then processed by a background task. Both
providers send Stripe-shaped events, so one interpreter serves both.

* A request that does not verify (signature, secret, timestamp, see
  ``providers.events``) or is not an event the portal can read is refused with 400 and
  nothing is stored, so forged requests cost no database row (the endpoint also limits
  them per client).
* The unique ``(provider, event_id)`` constraint decides which of two parallel
  deliveries stores the event; the other is answered 200 and counted as a repeat.
* Processing locks the event row and skips it if already processed, so a repeated or
  concurrent task does nothing the second time.
* An event that cannot apply *yet* is kept as ``deferred``, never dropped: a refund that
  arrives before the payment's success, news of a charge before the portal knows which
  payment it belongs to. It is applied again as soon as another event has been applied to
  that payment (or the payment succeeded another way), and by the housekeeping job; after
  ``DEFER_FOR`` it is given up, with a warning in the log.
* Payment news goes through ``payment_status_apply`` and refund news through
  ``refund_record_from_provider``. Both only ever move forward (see ``constants``), and a
  refund is known by the provider's id, so any order of deliveries converges on the same
  state. A ``charge.refunded`` event is a snapshot of totals, so it is read as "the
  refunds of this charge changed": the charge's refunds are fetched from the provider.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.lib.retry import backoff_delay, task_enqueue

from ..constants import EventSource, FailureCode, PaymentStatus, WebhookStatus
from ..models import Payment, Refund, WebhookEvent
from ..providers import WebhookVerificationError, get_provider
from ..providers.base import ProviderRefund, StatusResult, WebhookMalformedError
from ..providers.checkout import (
    metadata,
    object_id,
    refund_from_object,
    session_payment_reference,
    session_status,
    text,
)
from .refunds import refund_record_from_provider
from .settlement import payment_status_apply

logger = logging.getLogger("payments.webhooks")  # the name it has always logged under

MAX_ATTEMPTS = 6
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)
# How long an event that cannot apply yet is kept trying. Stripe retries a delivery for
# three days and a delayed payment method settles within a few working days.
DEFER_FOR = timedelta(days=7)
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed"})

# The events the providers send that the portal acts on (the README lists them for Stripe).
EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    *sorted(REFUND_EVENTS),
)


def webhook_receive(
    *, provider_name: str, body: bytes, signature: str, log_rejection: bool = True
) -> tuple[int, str]:
    """Verify, store and queue one webhook delivery. Returns (HTTP status, short reason).

    A delivery that does not verify, or is not a readable event, is refused (400) without
    storing anything; ``log_rejection=False`` keeps it out of the log too (a client already
    over its limit of unverified requests).
    """
    provider = get_provider(provider_name)
    try:
        message = provider.parse_webhook(body, signature or "")
    except WebhookVerificationError as exc:
        malformed = isinstance(exc, WebhookMalformedError)
        if log_rejection:
            logger.warning(
                "Refused a %s webhook (%s): %s",
                provider_name,
                "signed, but not a readable event" if malformed else "not verified",
                str(exc)[:300],
            )
        return 400, "not a readable event" if malformed else "signature not verified"

    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    provider=provider_name,
                    event_id=message.event_id,
                    type=message.type,
                    payload=message.payload,
                )
        except IntegrityError:
            WebhookEvent.objects.filter(provider=provider_name, event_id=message.event_id).update(
                deliveries=F("deliveries") + 1
            )
            event = WebhookEvent.objects.get(provider=provider_name, event_id=message.event_id)
            if event.status not in (WebhookStatus.FAILED, WebhookStatus.DEFERRED):
                return 200, "already received"
        transaction.on_commit(lambda: _enqueue(event.pk))
    return 200, "received"


def _enqueue(event_pk: int, *, delay_seconds: int = 0) -> None:
    from ..tasks import process_webhook_event  # imported late: payments.tasks imports this package

    # A retry the backend cannot defer is left to the next delivery or the housekeeping job.
    task_enqueue(process_webhook_event, event_pk, delay_seconds=delay_seconds)


def webhook_events_retry() -> int:
    """Process again events whose processing failed, and those waiting to apply (deferred).

    The housekeeping job calls this. Returns how many events were processed.
    """
    pending = WebhookEvent.objects.filter(
        Q(status=WebhookStatus.FAILED, attempts__lt=MAX_ATTEMPTS) | Q(status=WebhookStatus.DEFERRED)
    ).order_by("received_at")
    retried = 0
    for pk in pending.values_list("pk", flat=True):
        webhook_event_process(event_pk=pk)
        retried += 1
    return retried


def webhook_events_wake(*, payment_pk: int) -> int:
    """Queue again the deferred events that may have been waiting for this payment.

    Called once an event has been applied to the payment, or the payment has succeeded:
    the events linked to it, and those naming its reference or its charge.
    """
    payment = Payment.objects.filter(pk=payment_pk).first()
    if payment is None or not payment.provider:
        return 0
    related = Q(payment=payment) | Q(payload__data__object__metadata__payment_reference=payment.reference)
    if payment.provider_payment_intent:
        related |= Q(payload__data__object__payment_intent=payment.provider_payment_intent)
    waiting = list(
        WebhookEvent.objects.filter(status=WebhookStatus.DEFERRED, provider=payment.provider)
        .filter(related)
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    for pk in waiting:
        _enqueue(pk)
    return len(waiting)


def webhook_event_process(*, event_pk: int) -> WebhookEvent | None:
    """Apply one stored event, exactly once; a failure is retried with backoff, and an event
    that cannot apply yet is kept (deferred) and applied later."""
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
                delay = backoff_delay(event.attempts, RETRY_DELAYS)
                transaction.on_commit(lambda: _enqueue(event.pk, delay_seconds=delay))
            return event
        now = timezone.now()
        if status == WebhookStatus.DEFERRED and now - event.received_at >= DEFER_FOR:
            logger.warning(
                "Webhook event %s (%s) given up after %s days: %s",
                event.event_id,
                event.type,
                DEFER_FOR.days,
                note,
            )
            status, note = WebhookStatus.IGNORED, f"given up after {DEFER_FOR.days} days: {note}"
        event.status = status
        event.note = note[:300]
        event.payment = payment or event.payment
        event.last_error = ""
        event.processed_at = None if status == WebhookStatus.DEFERRED else now
        event.save(update_fields=["status", "note", "payment", "last_error", "processed_at", "attempts"])
        if status != WebhookStatus.DEFERRED and event.payment_id:
            payment_pk = event.payment_id
            transaction.on_commit(lambda: webhook_events_wake(payment_pk=payment_pk))
    return event


# --- What an event means --------------------------------------------------------------------


def _object(payload: dict) -> dict:
    data = payload.get("data") if isinstance(payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _apply(event: WebhookEvent) -> tuple[str, str, Payment | None]:
    """What an event means for the local records: (webhook status, note, payment)."""
    obj = _object(event.payload)
    kind = event.type
    if kind.startswith("checkout.session."):
        return _apply_checkout(event, kind, obj)
    if kind == "charge.refunded":
        return _apply_charge_refunded(event, obj)
    if kind in REFUND_EVENTS:
        return _apply_refund(event, obj)
    return WebhookStatus.IGNORED, f"{kind} is not used", None


def _payment_for_session(provider: str, session: dict) -> Payment | None:
    reference = session_payment_reference(session)
    payment = Payment.objects.filter(reference=reference).first() if reference else None
    session_id = text(session.get("id"))
    if payment is None and session_id:
        payment = Payment.objects.filter(provider=provider, provider_id=session_id).first()
    return payment


def _payment_for_charge(provider: str, obj: dict) -> Payment | None:
    """The payment a charge or refund object belongs to: by its PaymentIntent (the payment's
    own, or a second charge being refunded), else by the reference in its metadata."""
    intent = object_id(obj.get("payment_intent"))
    payments = Payment.objects.filter(provider=provider)
    if intent:
        payment = payments.filter(provider_payment_intent=intent).first()
        if payment is not None:
            return payment
        refund = (
            Refund.objects.filter(charge_payment_intent=intent, payment__provider=provider)
            .select_related("payment")
            .first()
        )
        if refund is not None:
            return refund.payment
    reference = text(metadata(obj).get("payment_reference"))
    return payments.filter(reference=reference).first() if reference else None


def _apply_checkout(event: WebhookEvent, kind: str, obj: dict) -> tuple[str, str, Payment | None]:
    payment = _payment_for_session(event.provider, obj)
    if payment is None:
        return WebhookStatus.IGNORED, "no payment here has this checkout", None
    if payment.provider and payment.provider != event.provider:
        return WebhookStatus.IGNORED, f"the payment is made with {payment.provider}", None
    if payment.status == PaymentStatus.CREATED:
        # Its checkout is being opened at this moment: apply once the payment has started.
        return WebhookStatus.DEFERRED, "the payment has not started here yet", payment
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
    payment, note = payment_status_apply(
        payment=payment, result=result, source=EventSource.WEBHOOK, data={"webhook_event": event.event_id}
    )
    return (WebhookStatus.PROCESSED if note == "changed" else WebhookStatus.IGNORED), note, payment


def _apply_charge_refunded(event: WebhookEvent, charge: dict) -> tuple[str, str, Payment | None]:
    payment = _payment_for_charge(event.provider, charge)
    if payment is None:
        return WebhookStatus.DEFERRED, "no payment here has this charge (yet)", None
    if payment.status != PaymentStatus.SUCCESS:
        return WebhookStatus.DEFERRED, f"waiting for the payment's success (it is {payment.status})", payment
    intent = object_id(charge.get("payment_intent")) or payment.provider_payment_intent
    refunds = get_provider(event.provider).list_refunds(intent)
    return _record_refunds(payment, intent, refunds)


def _apply_refund(event: WebhookEvent, obj: dict) -> tuple[str, str, Payment | None]:
    found = refund_from_object(obj)
    local = Refund.objects.filter(provider_id=found.provider_id).first() if found.provider_id else None
    if local is None and found.local_id.isdigit():
        local = Refund.objects.filter(pk=int(found.local_id), payment__provider=event.provider).first()
    payment = local.payment if local is not None else _payment_for_charge(event.provider, obj)
    if payment is None:
        return WebhookStatus.DEFERRED, "no payment here has this refund's charge (yet)", None
    intent = object_id(obj.get("payment_intent")) or payment.provider_payment_intent
    return _record_refunds(payment, intent, [found])


def _record_refunds(
    payment: Payment, intent: str, refunds: list[ProviderRefund]
) -> tuple[str, str, Payment | None]:
    changed, notes, waiting = False, [], False
    for found in refunds:
        refund, note = refund_record_from_provider(
            payment=payment, refund=found, payment_intent=intent, source=EventSource.WEBHOOK
        )
        changed |= note == "changed"
        waiting |= note.startswith("waiting")
        notes.append(f"{found.provider_id}: {note}")
    note = "; ".join(notes) or "the provider lists no refunds for this charge"
    if waiting:
        return WebhookStatus.DEFERRED, note, payment
    return (WebhookStatus.PROCESSED if changed else WebhookStatus.IGNORED), note, payment
