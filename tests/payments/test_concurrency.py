"""Races, on PostgreSQL: two deliveries of the same webhook at the same moment are processed
once; Pay pressed several times at the same moment opens one checkout."""

import re
import threading
import urllib.error
import urllib.request

import pytest
import requests
import stripe

from django.conf import settings
from django.db import connection

from payments.models import Payment, PaymentEvent, SandboxCheckout, WebhookEvent
from payments.services import bill_payment_create, payment_start
from payments.services.webhooks import webhook_event_process

from .conftest import WEBHOOK_SECRET
from .factories import bill_make, fee_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every write, so there is no race to test "
        "(run with DATABASE_URL=postgres://...)",
    ),
]


def _parallel(target, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_parallel_deliveries_are_processed_once(live_server, fake_stripe):
    case, payment = fee_case()
    payment = payment_start(payment=payment)
    body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(payment.provider_id))
    signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)

    def deliver():
        request = urllib.request.Request(
            f"{live_server.url}/payments/webhooks/stripe/",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()

    results = _parallel(deliver)
    assert sorted(status for status, _ in results) == [200, 200]
    event = WebhookEvent.objects.get()
    assert event.deliveries == 2 and event.processed_at is not None
    assert PaymentEvent.objects.filter(payment=payment, status_to="success").count() == 1
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == "success" and case.status == "submitted"
    assert case.events.filter(type="payment").count() == 1


def test_two_workers_processing_the_same_event_apply_it_once(fake_stripe):
    _, payment = fee_case()
    payment = payment_start(payment=payment)
    session = fake_stripe.complete(payment.provider_id)
    event = WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_race",
        type="checkout.session.completed",
        payload={"id": "evt_race", "type": "checkout.session.completed", "data": {"object": session}},
    )
    _parallel(lambda: webhook_event_process(event_pk=event.pk))
    event.refresh_from_db()
    assert event.attempts == 1 and event.status == "processed"
    assert PaymentEvent.objects.filter(payment=payment, status_to="success").count() == 1


def _press_pay_at_once(live_server, payment, presses: int) -> list[tuple[int, str]]:
    """Press "Continue to payment" ``presses`` times at the same moment, as a browser would:
    the same session, the same CSRF token."""
    url = f"{live_server.url}/payments/{payment.reference}/"
    page = requests.get(url, timeout=20)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    cookies = {settings.CSRF_COOKIE_NAME: page.cookies[settings.CSRF_COOKIE_NAME]}

    def press():
        response = requests.post(
            url,
            data={"csrfmiddlewaretoken": token},
            cookies=cookies,
            headers={"Origin": live_server.url},
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code, response.headers.get("Location", "")

    return _parallel(press, count=presses)


def test_parallel_presses_of_pay_open_one_stripe_checkout(live_server, fake_stripe):
    bill = bill_make()
    payment = bill_payment_create(bill=bill)  # without an account: no sign-in needed
    # A slow Stripe, which answers a second request with the same key, while the first is
    # still going through, with 409 idempotency_error (as Stripe does).
    fake_stripe.create_delay = 0.5
    results = _press_pay_at_once(live_server, payment, presses=3)
    payment.refresh_from_db()
    assert payment.status == "started"
    assert sorted(results) == [(302, payment.next_url)] * 3
    creates = [r for r in fake_stripe.requests if (r.method, r.path) == ("POST", "/v1/checkout/sessions")]
    assert len(creates) == 1 and list(fake_stripe.sessions) == [payment.provider_id]


def test_parallel_presses_of_pay_open_one_sandbox_checkout(live_server):
    bill = bill_make()
    payment = bill_payment_create(bill=bill)
    results = _press_pay_at_once(live_server, payment, presses=4)
    payment.refresh_from_db()
    assert payment.status == "started"
    assert {location for _, location in results} == {payment.next_url}
    assert SandboxCheckout.objects.filter(payment_reference=payment.reference).count() == 1
    assert Payment.objects.get(pk=payment.pk).events.filter(status_to="started").count() == 1
