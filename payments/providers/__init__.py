"""Payment providers: ``sandbox`` (the built-in test provider) and ``stripe``."""

from django.conf import settings

from .base import PaymentProvider, ProviderError, WebhookVerificationError
from .stripe import StripeProvider

__all__ = ["PaymentProvider", "ProviderError", "WebhookVerificationError", "get_provider", "provider_default"]


def provider_default() -> str:
    """The provider new payments use: ``PAYMENTS_PROVIDER`` (``stripe`` or ``sandbox``)."""
    return settings.PAYMENTS_PROVIDER


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or provider_default()
    if name == "stripe":
        return StripeProvider()
    if name == "sandbox":
        # circular: the sandbox imports payments.models, which imports this package
        from .sandbox import SandboxProvider

        return SandboxProvider()
    raise ValueError(f"Unknown payment provider {name!r}")
