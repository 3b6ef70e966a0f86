import pytest

from .fake_stripe import FakeStripeServer

WEBHOOK_SECRET = "whsec_test_portal_secret"


@pytest.fixture
def fake_stripe(settings):
    """The portal configured for Stripe, with stripe-python pointed at a local fake server."""
    with FakeStripeServer() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_portal"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        settings.PAYMENTS_PROVIDER = "stripe"
        yield fake
