"""System checks: a portal that takes payments must take real money, or say plainly that it does not.

``manage.py check`` (and ``migrate``, and every other command that runs the checks) fails
with an error when, outside development (``DEBUG`` off):

* the payment provider is the sandbox, whose test cards "pay" without taking money, and
  ``PAYMENTS_SANDBOX_TAKES_NO_MONEY`` does not say that this is intended (a demo or test
  site, where every payment page and receipt then says TEST);
* Stripe is chosen but its keys are missing, or the provider is not one the portal has.

A Stripe key for Stripe's test mode outside development is a warning: no money moves.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PROVIDERS = ("stripe", "sandbox")


@register(Tags.security, "startup")
def payments_provider_check(app_configs, **kwargs):
    provider = getattr(settings, "PAYMENTS_PROVIDER", "")
    development = settings.DEBUG
    if provider not in PROVIDERS:
        return [
            Error(
                f"PAYMENTS_PROVIDER is {provider!r}, which is not a payment provider.",
                hint="Set PAYMENTS_PROVIDER to auto, stripe or sandbox.",
                id="payments.E001",
            )
        ]
    if provider == "stripe":
        missing = [
            name for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET") if not getattr(settings, name)
        ]
        if missing:
            return [
                Error(
                    f"Payments use Stripe but {' and '.join(missing)} must be set.",
                    hint="Set both Stripe keys, or PAYMENTS_PROVIDER=sandbox for a site that takes no money.",
                    id="payments.E002",
                )
            ]
        if not development and settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")):
            return [
                Warning(
                    "STRIPE_SECRET_KEY is a Stripe test-mode key: payments will take no real money.",
                    hint="Use a live key to take payments, or silence payments.W001 on a test site.",
                    id="payments.W001",
                )
            ]
        return []
    if not development and not getattr(settings, "PAYMENTS_SANDBOX_TAKES_NO_MONEY", False):
        return [
            Error(
                "Payments use the SANDBOX provider, which takes no money: its test cards 'pay' for "
                "requests and bills without any money being taken.",
                hint=(
                    "To take payments, set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET. For a demo or "
                    "test site that must take no money, set PAYMENTS_SANDBOX_TAKES_NO_MONEY=true "
                    "(every payment page and receipt then says TEST)."
                ),
                id="payments.E003",
            )
        ]
    return []
