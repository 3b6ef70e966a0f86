"""Webhooks signed with Stripe's real scheme: verified, stored once, processed once, in any order."""

import json
import time

import pytest

from payments.constants import PaymentStatus, WebhookStatus
from payments.models import PaymentEvent, WebhookEvent, WebhookRejection
from payments.services import payment_start

from .factories import fee_case
from .helpers import post_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(fake_stripe):
    case, payment = fee_case(amount_pence=2000)
    payment = payment_start(payment=payment)
    return case, payment


def _session(fake_stripe, payment, **changes):
    return {**fake_stripe.sessions[payment.provider_id], **changes}


def test_a_valid_signature_is_processed(web, fake_stripe, started):
    case, payment = started
    body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(payment.provider_id))
    response = post_webhook(web, body)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.type, event.status) == ("stripe", "checkout.session.completed", "processed")
    assert event.processed_at is not None and event.payment == payment
    assert event.payload["data"]["object"]["id"] == payment.provider_id
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and case.status == "submitted"
    assert payment.events.filter(status_to="success", source="webhook").count() == 1


@pytest.mark.parametrize(
    "how",
    ["tampered_body", "wrong_secret", "old_timestamp", "no_signature", "not_json"],
)
def test_unverified_webhooks_are_rejected_and_recorded(web, fake_stripe, started, how):
    _, payment = started
    body = fake_stripe.event(
        "checkout.session.completed", _session(fake_stripe, payment, status="complete", payment_status="paid")
    )
    kwargs = {}
    if how == "tampered_body":
        import stripe

        signature = stripe.WebhookSignature.generate_signature_header(body, "whsec_test_portal_secret")
        kwargs["signature"] = signature
        body = body.replace('"paid"', '"paid" ')
    elif how == "wrong_secret":
        kwargs["secret"] = "whsec_someone_else"
    elif how == "old_timestamp":
        kwargs["timestamp"] = int(time.time()) - 600
    elif how == "no_signature":
        kwargs["signature"] = ""
    else:
        body = "not json at all"
    response = post_webhook(web, body, **kwargs)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    rejection = WebhookRejection.objects.get()
    assert rejection.provider == "stripe" and rejection.reason
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED


def test_the_same_event_delivered_twice_is_processed_once(web, fake_stripe, started):
    case, payment = started
    body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(payment.provider_id))
    assert post_webhook(web, body).status_code == 200
    second = post_webhook(web, body)
    assert second.status_code == 200 and second.content == b"already received"
    event = WebhookEvent.objects.get()
    assert event.deliveries == 2 and event.attempts == 1
    assert PaymentEvent.objects.filter(payment=payment, status_to="success").count() == 1
    assert case.events.filter(type="payment").count() == 1


def test_completed_after_expired_ends_in_success(web, fake_stripe, started):
    """Money taken wins: a late ``completed`` (paid) overrides an earlier ``expired``."""
    case, payment = started
    expired = fake_stripe.event("checkout.session.expired", _session(fake_stripe, payment, status="expired"))
    completed = fake_stripe.event(
        "checkout.session.completed", _session(fake_stripe, payment, status="complete", payment_status="paid")
    )
    post_webhook(web, expired)
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "expired")
    post_webhook(web, completed)
    payment.refresh_from_db()
    case.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("success", "")
    assert case.status == "submitted"


def test_expired_after_completed_leaves_success(web, fake_stripe, started):
    case, payment = started
    completed = fake_stripe.event(
        "checkout.session.completed", _session(fake_stripe, payment, status="complete", payment_status="paid")
    )
    expired = fake_stripe.event("checkout.session.expired", _session(fake_stripe, payment, status="expired"))
    post_webhook(web, completed)
    post_webhook(web, expired)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    late = WebhookEvent.objects.get(type="checkout.session.expired")
    assert late.status == WebhookStatus.IGNORED and "does not become failed" in late.note
    assert list(payment.events.filter(type="status_change").values_list("status_to", flat=True)) == [
        "started",
        "success",
    ]


def test_async_payment_submitted_then_succeeded_in_either_order(web, fake_stripe, started):
    case, payment = started
    unpaid = fake_stripe.event(
        "checkout.session.completed",
        _session(fake_stripe, payment, status="complete", payment_status="unpaid"),
    )
    succeeded = fake_stripe.event(
        "checkout.session.async_payment_succeeded",
        _session(fake_stripe, payment, status="complete", payment_status="paid"),
    )
    post_webhook(web, succeeded)
    post_webhook(web, unpaid)  # arrives late: must not move success back to submitted
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_async_payment_failed(web, fake_stripe, started):
    case, payment = started
    post_webhook(
        web,
        fake_stripe.event(
            "checkout.session.completed",
            _session(fake_stripe, payment, status="complete", payment_status="unpaid"),
        ),
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUBMITTED
    post_webhook(
        web, fake_stripe.event("checkout.session.async_payment_failed", _session(fake_stripe, payment))
    )
    payment.refresh_from_db()
    case.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "declined")
    assert case.status == "awaiting_payment"


def test_events_for_unknown_payments_and_types_are_stored_and_ignored(web, fake_stripe):
    body = fake_stripe.event("checkout.session.completed", {"id": "cs_unknown", "metadata": {}})
    assert post_webhook(web, body).status_code == 200
    other = fake_stripe.event("customer.created", {"id": "cus_1"})
    assert post_webhook(web, other).status_code == 200
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"ignored"}


def test_a_failing_event_is_kept_and_retried_on_redelivery(web, fake_stripe, started, monkeypatch):
    from payments import webhooks

    _, payment = started
    body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(payment.provider_id))
    real = webhooks._apply

    def broken(event):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(webhooks, "_apply", broken)
    assert post_webhook(web, body).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.FAILED and "hiccup" in event.last_error
    monkeypatch.setattr(webhooks, "_apply", real)
    assert post_webhook(web, body).status_code == 200
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED and event.attempts == 2
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_sandbox_webhooks_use_the_same_signature_scheme(web):
    from payments.providers.sandbox import sandbox_webhook_secret

    body = json.dumps({"id": "evt_sbx_1", "type": "customer.created", "data": {"object": {}}})
    assert post_webhook(web, body, provider="sandbox", secret="whsec_wrong").status_code == 400
    assert post_webhook(web, body, provider="sandbox", secret=sandbox_webhook_secret()).status_code == 200
    assert WebhookEvent.objects.get().provider == "sandbox"
