"""Stripe Checkout through ``stripe.StripeClient`` (stripe-python 16).

* Each payment attempt is one Checkout Session, created with the attempt's idempotency
  key and metadata naming the local payment, so a retried request never opens a second
  session and every webhook can be tied back to its payment.
* The status is confirmed server-side: by webhook, or by retrieving the session when the
  payer returns. The return URL alone is never trusted.
* Refunds go through the Refund API with the refund's own idempotency key.
* Reconciliation reads balance transactions (charges and refunds) for a day.
"""

from datetime import date, datetime, timedelta

import stripe

from django.conf import settings
from django.utils import timezone

from ..constants import FailureCode, PaymentStatus, RefundStatus
from .base import (
    PaymentProvider,
    ProviderError,
    ProviderRefund,
    ProviderTransaction,
    ProviderUnavailable,
    RefundResult,
    StartResult,
    StatusResult,
    WebhookMessage,
)
from .checkout import REFUND_STATUS, refund_from_object, session_status
from .events import event_verify


def stripe_client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2),
    )


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _error(exc: stripe.StripeError) -> ProviderError:
    """Connection problems and Stripe's own 5xx leave the outcome unknown; the rest are refusals."""
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (
        isinstance(exc, stripe.APIError) and (exc.http_status or 500) >= 500
    ):
        return ProviderUnavailable(message)
    return ProviderError(message)


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, client: stripe.StripeClient | None = None):
        self.client = client or stripe_client()

    def start(self, payment, *, return_url: str, cancel_url: str) -> StartResult:
        metadata = {"payment_reference": payment.reference}
        if payment.case_id:
            metadata["case_reference"] = payment.case.reference
        if payment.bill_id:
            metadata["bill_reference"] = payment.bill.reference
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": payment.amount_pence,
                        "product_data": {"name": payment.description},
                    },
                }
            ],
            "success_url": return_url,
            "cancel_url": cancel_url,
            "client_reference_id": payment.reference,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": payment.description[:200]},
        }
        if payment.receipt_email:
            params["customer_email"] = payment.receipt_email
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{payment.idempotency_key}"}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        data = _as_dict(session)
        return StartResult(
            provider_id=data["id"],
            next_url=data.get("url") or "",
            payment_intent=data.get("payment_intent") or "",
        )

    def _session(self, payment) -> dict:
        try:
            return _as_dict(self.client.v1.checkout.sessions.retrieve(payment.provider_id))
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def fetch_status(self, payment) -> StatusResult:
        return session_status(self._session(payment))

    def cancel(self, payment) -> StatusResult:
        session = self._session(payment)
        if session.get("status") == "open":
            try:
                session = _as_dict(self.client.v1.checkout.sessions.expire(payment.provider_id))
            except stripe.InvalidRequestError:
                # Completed between the two calls: read where it ended.
                session = self._session(payment)
            except stripe.StripeError as exc:
                raise _error(exc) from exc
            if session.get("status") == "expired":
                return StatusResult(
                    PaymentStatus.CANCELLED,
                    FailureCode.CANCELLED_BY_USER,
                    session.get("payment_intent") or "",
                )
        return session_status(session)

    def refund(self, refund) -> RefundResult:
        payment = refund.payment
        intent = (
            refund.charge_payment_intent
            or payment.provider_payment_intent
            or self._session(payment).get("payment_intent")
            or ""
        )
        if not intent:
            raise ProviderError("Stripe has no payment for this checkout, so there is nothing to refund")
        try:
            created = self.client.v1.refunds.create(
                params={
                    "payment_intent": intent,
                    "amount": refund.amount_pence,
                    "reason": "requested_by_customer",
                    "metadata": {"refund_id": str(refund.pk), "payment_reference": payment.reference},
                },
                options={"idempotency_key": f"refund-{refund.idempotency_key}"},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        data = _as_dict(created)
        return RefundResult(
            provider_id=data["id"],
            status=REFUND_STATUS.get(data.get("status") or "", RefundStatus.SUBMITTED),
            message=data.get("failure_reason") or "",
        )

    def list_refunds(self, payment_intent: str) -> list[ProviderRefund]:
        if not payment_intent:
            return []
        try:
            page = self.client.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
            return [refund_from_object(_as_dict(item)) for item in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def parse_webhook(self, body: bytes, signature: str) -> WebhookMessage:
        return event_verify(
            body,
            signature,
            secret=settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.PAYMENTS_WEBHOOK_TOLERANCE,
        )

    def list_transactions(self, day: date) -> list[ProviderTransaction]:
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        end = start + timedelta(days=1)
        params = {
            "created": {"gte": int(start.timestamp()), "lt": int(end.timestamp())},
            "limit": 100,
            "expand": ["data.source"],
        }
        try:
            page = self.client.v1.balance_transactions.list(params=params)
            found = []
            for item in page.auto_paging_iter():
                transaction = self._transaction(_as_dict(item))
                if transaction is not None:
                    found.append(transaction)
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return found

    @staticmethod
    def _transaction(item: dict) -> ProviderTransaction | None:
        kind = item.get("type")
        source = item.get("source") or {}
        if isinstance(source, str):
            source = {"id": source}
        created = datetime.fromtimestamp(int(item.get("created") or 0), tz=timezone.get_current_timezone())
        metadata = source.get("metadata") or {}
        if kind in ("charge", "payment"):
            return ProviderTransaction(
                kind="payment",
                provider_id=source.get("id") or item.get("id", ""),
                amount_pence=abs(int(item.get("amount") or 0)),
                created=created,
                payment_reference=metadata.get("payment_reference", ""),
                payment_intent=source.get("payment_intent") or "",
                raw=item,
            )
        if kind in ("refund", "payment_refund"):
            return ProviderTransaction(
                kind="refund",
                provider_id=source.get("id") or item.get("id", ""),
                amount_pence=abs(int(item.get("amount") or 0)),
                created=created,
                payment_reference=metadata.get("payment_reference", ""),
                payment_intent=source.get("payment_intent") or "",
                raw=item,
            )
        return None
