import stripe

from django.urls import reverse

from .conftest import WEBHOOK_SECRET


def post_webhook(
    client,
    body: str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp=None,
    provider="stripe",
    signature: str | None = None,
    extra: dict | None = None,
):
    """Deliver ``body`` to the webhook endpoint, signed with Stripe's real scheme (``extra``:
    more request headers, as ``HTTP_...`` keys)."""
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return client.post(
        reverse("payments:webhook", kwargs={"provider": provider}),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
        **(extra or {}),
    )
