"""Two deliveries of the same webhook at the same moment are processed once (PostgreSQL)."""

import threading
import urllib.error
import urllib.request

import pytest
import stripe

from django.db import connection

from payments.models import PaymentEvent, WebhookEvent
from payments.services import payment_start
from payments.webhooks import webhook_event_process

from .conftest import WEBHOOK_SECRET
from .factories import fee_case

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
