"""The resident's journey with the sandbox provider, through the real pages and webhooks."""

import pytest

from django.core import mail
from django.urls import reverse

from payments.constants import PaymentStatus, WebhookStatus
from payments.models import Payment, SandboxCheckout, WebhookEvent
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory

from .factories import fee_case

pytestmark = pytest.mark.django_db

CARD = {"expiry_month": "12", "expiry_year": "2039", "cardholder_name": "Sam Resident", "cvc": "123"}


def _pay(web, payment, card_number):
    response = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))
    assert response.status_code == 302
    sandbox_url = response["Location"]
    assert sandbox_url.startswith("/payments/sandbox/")
    page = web.get(sandbox_url)
    assert page.status_code == 200
    assert "TEST PAYMENT PAGE" in page.content.decode()
    response = web.post(sandbox_url, {"card_number": card_number, **CARD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return web.get(response["Location"], follow=True)


def test_paying_a_fee_moves_the_case_to_submitted_and_sends_a_receipt(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    page = web.get(reverse("payments:pay", kwargs={"reference": payment.reference}))
    assert page.status_code == 200
    assert "£35" in page.content.decode()

    result = _pay(web, payment, "4242 4242 4242 4242")
    html = result.content.decode()
    assert "Payment received" in html and payment.reference in html
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert case.status == "submitted"
    assert payment.receipt_sent_at is not None
    assert any(payment.reference in m.body and "Amount: £35" in m.body for m in mail.outbox)
    # The sandbox sent checkout.session.completed through the webhook path as well.
    event = WebhookEvent.objects.get(provider="sandbox", type="checkout.session.completed")
    assert event.processed_at is not None and event.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED)
    statuses = list(payment.events.filter(type="status_change").values_list("status_to", flat=True))
    assert statuses == ["started", "success"]
    assert case.events.filter(type="payment").exists()
    outcomes = set(Interaction.objects.filter(type="payment_result").values_list("outcome", flat=True))
    assert outcomes == {"success"}
    assert Interaction.objects.filter(type="payment_start", service_code=528).exists()


def test_a_declined_card_then_a_retry_that_succeeds(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    result = _pay(web, payment, "4000000000000002")
    assert "Your payment was not successful" in result.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "declined")
    case.refresh_from_db()
    assert case.status == "awaiting_payment"

    response = web.post(reverse("payments:retry", kwargs={"reference": payment.reference}))
    assert response.status_code == 302 and response["Location"].startswith("/payments/sandbox/")
    response = web.post(response["Location"], {"card_number": "4242424242424242", **CARD})
    web.get(response["Location"])
    retry = Payment.objects.get(retry_of=payment)
    assert retry.status == PaymentStatus.SUCCESS
    case.refresh_from_db()
    assert case.status == "submitted"
    assert set(Interaction.objects.filter(type="payment_result").values_list("outcome", flat=True)) == {
        "failed",
        "success",
    }


def test_provider_error_and_cancel(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    result = _pay(web, payment, "4000000000000119")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("error", "provider_error")
    assert "problem with the payment service" in result.content.decode()

    response = web.post(reverse("payments:retry", kwargs={"reference": payment.reference}))
    checkout = SandboxCheckout.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    page = web.get(response["Location"]).content.decode()
    assert f'<form method="post" action="{checkout.cancel_url}"' in page  # a button, not a link
    web.post(checkout.cancel_url)
    retry = Payment.objects.get(retry_of=payment)
    assert (retry.status, retry.failure_code) == ("cancelled", "cancelled_by_user")


def test_a_delayed_payment_settles_by_webhook_later(web, django_capture_on_commit_callbacks):
    from payments.services import payments_housekeeping

    case, payment = fee_case()
    web.force_login(case.resident)
    result = _pay(web, payment, "4000000000003220")
    assert "still processing" in result.content.decode()
    payment.refresh_from_db()
    assert payment.status == "submitted"
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        payments_housekeeping(now=timezone.now() + timedelta(minutes=1))
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == "success" and case.status == "submitted"
    assert WebhookEvent.objects.filter(type="checkout.session.async_payment_succeeded").count() == 1


def test_the_card_page_validates_like_govuk_pay(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    response = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))
    url = response["Location"]
    page = web.post(
        url,
        {
            "card_number": "4242 4242 4242 4241",
            "expiry_month": "13",
            "expiry_year": "20",
            "cardholder_name": "",
            "cvc": "1",
        },
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "There is a problem" in html
    for message in (
        "Enter a valid card number",
        "Enter a valid expiry date",
        "Enter the name as it appears on the card",
        "Enter a valid card security code",
    ):
        assert message in html
    assert 'value="4242 4242 4242 4241"' in html  # what was typed is kept


def test_another_resident_gets_404_on_every_payment_page(web):
    case, payment = fee_case()
    web.force_login(UserFactory())
    for name in ("pay", "return", "cancel", "result", "receipt"):
        assert (
            web.get(reverse(f"payments:{name}", kwargs={"reference": payment.reference})).status_code == 404
        )
    assert web.post(reverse("payments:retry", kwargs={"reference": payment.reference})).status_code == 404
    payment.refresh_from_db()
    assert payment.status == "created"
