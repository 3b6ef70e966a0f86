import logging

from django.apps import AppConfig
from django.conf import settings


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        # Without Stripe keys the portal takes payments with its sandbox, where a test card
        # number "pays": say so loudly wherever that is not expected.
        if settings.PAYMENTS_PROVIDER == "sandbox" and not (
            settings.DEBUG or settings.PORTAL_ALLOW_DEMO_DATA
        ):
            logging.getLogger(__name__).warning(
                "Payments use the SANDBOX provider: no real money is taken. Set STRIPE_SECRET_KEY and "
                "STRIPE_WEBHOOK_SECRET to take real payments."
            )
