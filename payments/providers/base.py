"""The small interface every payment provider implements, and the values it passes back."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class ProviderError(Exception):
    """The provider could not be reached or refused a request; the payment is not lost."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached: whether the request took effect is unknown, so it is
    retried later with the same idempotency key."""


class WebhookVerificationError(Exception):
    """A webhook whose signature, secret or timestamp does not check out."""


class WebhookMalformedError(WebhookVerificationError):
    """A webhook that verifies but is not an event the portal can store and read."""


@dataclass(frozen=True)
class StartResult:
    provider_id: str
    next_url: str
    payment_intent: str = ""


@dataclass(frozen=True)
class StatusResult:
    """What the provider says about a payment, in local terms (a ``PaymentStatus``)."""

    status: str
    failure_code: str = ""
    payment_intent: str = ""
    message: str = ""
    # What the provider took, where it says (a Checkout Session's ``amount_total``).
    amount_pence: int | None = None


@dataclass(frozen=True)
class RefundResult:
    provider_id: str
    status: str  # a RefundStatus
    message: str = ""


@dataclass(frozen=True)
class ProviderRefund:
    """One refund as the provider records it (a ``RefundStatus``); ``local_id`` is the portal's
    own refund id where the portal made it."""

    provider_id: str
    amount_pence: int
    status: str
    local_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class WebhookMessage:
    """A verified webhook: its unique id, type and the whole parsed body."""

    event_id: str
    type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ProviderTransaction:
    """Money the provider moved: a payment in, or a refund out (amount always positive)."""

    kind: str  # "payment" or "refund"
    provider_id: str
    amount_pence: int
    created: datetime
    payment_reference: str = ""
    payment_intent: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


class PaymentProvider(ABC):
    name: str = ""

    @abstractmethod
    def start(self, payment, *, return_url: str, cancel_url: str) -> StartResult:
        """Open the provider's payment page for ``payment``; safe to repeat with the same key."""

    @abstractmethod
    def fetch_status(self, payment) -> StatusResult:
        """Ask the provider where ``payment`` stands."""

    @abstractmethod
    def cancel(self, payment) -> StatusResult:
        """Close the payment page so it can no longer take money; returns the final status
        (which is ``success`` if the payer had already paid)."""

    @abstractmethod
    def refund(self, refund) -> RefundResult:
        """Give back ``refund.amount_pence`` of a successful payment; safe to repeat.

        ``refund.charge_payment_intent``, when set, names the charge to refund (a second
        charge for the payment) instead of the payment's own."""

    @abstractmethod
    def list_refunds(self, payment_intent: str) -> list[ProviderRefund]:
        """Every refund the provider holds against the charge ``payment_intent`` names."""

    @abstractmethod
    def parse_webhook(self, body: bytes, signature: str) -> WebhookMessage:
        """Verify and parse a webhook; raises ``WebhookVerificationError``."""

    @abstractmethod
    def list_transactions(self, day: date) -> list[ProviderTransaction]:
        """Payments and refunds the provider recorded on ``day`` (local time), for reconciliation."""
