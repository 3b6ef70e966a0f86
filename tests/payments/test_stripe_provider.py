"""The Stripe provider through the real stripe-python client against a local fake Stripe server."""

import pytest

from django.urls import reverse

from payments.constants import PaymentStatus
from payments.models import Payment
from payments.providers.stripe import StripeProvider

from .factories import bill_make, fee_case

pytestmark = pytest.mark.django_db

API_VERSION = "2026-10-28.endive"


def _start(web, payment):
    web.force_login(payment.user) if payment.user else None
    response = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))
    assert response.status_code == 302, response.content.decode()[:1000]
    return response


def test_starting_a_payment_creates_a_checkout_session_with_metadata_and_an_idempotency_key(web, fake_stripe):
    case, payment = fee_case(amount_pence=4250)
    response = _start(web, payment)
    payment.refresh_from_db()
    assert response["Location"] == f"https://checkout.stripe.com/c/pay/{payment.provider_id}"
    assert payment.status == PaymentStatus.STARTED and payment.provider == "stripe"

    [request] = fake_stripe.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["authorization"] == "Bearer sk_test_portal"
    assert request.headers["stripe-version"] == API_VERSION
    assert request.idempotency_key == f"checkout-{payment.idempotency_key}"
    params = request.params
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == payment.reference
    assert params["metadata"] == {"payment_reference": payment.reference, "case_reference": case.reference}
    assert params["payment_intent_data"]["metadata"]["payment_reference"] == payment.reference
    item = params["line_items"][0]
    assert item["quantity"] == "1"
    assert item["price_data"] == {
        "currency": "gbp",
        "unit_amount": "4250",
        "product_data": {"name": "Bulky waste collection"},
    }
    assert params["success_url"] == f"http://testserver/payments/{payment.reference}/return/"
    assert params["cancel_url"] == f"http://testserver/payments/{payment.reference}/cancel/"
    assert params["customer_email"] == case.resident.email


def test_the_same_attempt_reuses_its_session_and_a_retry_gets_a_new_key(fake_stripe):
    _, payment = fee_case()
    payment.idempotency_key = "attempt-1"
    payment.save()
    provider = StripeProvider()
    first = provider.start(payment, return_url="http://x/r", cancel_url="http://x/c")
    again = provider.start(payment, return_url="http://x/r", cancel_url="http://x/c")
    assert first.provider_id == again.provider_id
    assert [r.idempotency_key for r in fake_stripe.requests] == ["checkout-attempt-1", "checkout-attempt-1"]
    assert len(fake_stripe.sessions) == 1


def test_the_return_url_is_never_trusted_the_status_is_fetched(web, fake_stripe):
    case, payment = fee_case()
    _start(web, payment)
    payment.refresh_from_db()
    # Back from Stripe without paying: the session is still open.
    page = web.get(reverse("payments:return", kwargs={"reference": payment.reference}), follow=True)
    assert "You have not finished paying" in page.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED
    retrieve = fake_stripe.requests[-1]
    assert (retrieve.method, retrieve.path) == ("GET", f"/v1/checkout/sessions/{payment.provider_id}")
    assert retrieve.headers["stripe-version"] == API_VERSION

    fake_stripe.complete(payment.provider_id)
    page = web.get(reverse("payments:return", kwargs={"reference": payment.reference}), follow=True)
    assert "Payment received" in page.content.decode()
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and case.status == "submitted"
    assert payment.provider_payment_intent == fake_stripe.sessions[payment.provider_id]["payment_intent"]


def test_cancel_expires_the_session_at_stripe(web, fake_stripe):
    case, payment = fee_case()
    _start(web, payment)
    payment.refresh_from_db()
    # Stripe's "back" link is a GET to the cancel URL: it only asks, the button cancels.
    url = reverse("payments:cancel", kwargs={"reference": payment.reference})
    assert "Are you sure you want to cancel this payment?" in web.get(url).content.decode()
    page = web.post(url, follow=True)
    assert "Your payment was cancelled" in page.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("cancelled", "cancelled_by_user")
    assert fake_stripe.sessions[payment.provider_id]["status"] == "expired"
    assert ("POST", f"/v1/checkout/sessions/{payment.provider_id}/expire") in [
        (r.method, r.path) for r in fake_stripe.requests
    ]
    case.refresh_from_db()
    assert case.status == "awaiting_payment"


def test_cancel_after_paying_ends_in_success(web, fake_stripe):
    _, payment = fee_case()
    _start(web, payment)
    payment.refresh_from_db()
    fake_stripe.complete(payment.provider_id)
    web.post(reverse("payments:cancel", kwargs={"reference": payment.reference}))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_a_bill_paid_anonymously_with_stripe(web, fake_stripe):
    bill = bill_make()
    web.post(reverse("payments:bill_start"), {"reference": "inv-204518", "postcode": "ab12cd"})
    response = web.post(reverse("payments:bill_amount"), {"email": "payer@example.org"})
    payment = Payment.objects.get(bill=bill)
    assert response["Location"] == reverse("payments:pay", kwargs={"reference": payment.reference})
    web.post(response["Location"])
    params = fake_stripe.requests[-1].params
    assert params["metadata"]["bill_reference"] == "INV-204518"
    assert params["customer_email"] == "payer@example.org"


def test_stripe_unreachable_is_an_error_the_payer_can_retry(web, settings, fake_stripe):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    _, payment = fee_case()
    response = _start(web, payment)
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("error", "provider_error")
    page = web.get(response["Location"])
    assert "Try again" in page.content.decode()
