"""Webhooks signed with Stripe's real scheme: verified, stored once, processed once, in any order."""

import json
import time

import pytest

from django.apps import apps

from payments.constants import PaymentStatus, WebhookStatus
from payments.models import PaymentEvent, WebhookEvent
from payments.services import payment_start

from .conftest import WEBHOOK_SECRET
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


def _rows() -> dict[str, int]:
    """How many rows each payments table holds."""
    return {model.__name__: model.objects.count() for model in apps.get_app_config("payments").get_models()}


@pytest.mark.parametrize(
    "how",
    ["tampered_body", "wrong_secret", "old_timestamp", "future_timestamp", "no_signature", "not_json"],
)
def test_unverified_webhooks_are_refused_and_write_nothing(web, fake_stripe, started, how):
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
    elif how == "future_timestamp":
        # Signed for an hour ahead: replayable for an hour if only the past were checked.
        kwargs["timestamp"] = int(time.time()) + 3600
    elif how == "no_signature":
        kwargs["signature"] = ""
    else:
        body = "not json at all"
    before = _rows()
    response = post_webhook(web, body, **kwargs)
    assert response.status_code == 400
    assert _rows() == before  # not a WebhookEvent, nor any other row
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED


def test_a_signature_a_little_ahead_of_our_clock_is_accepted(web, fake_stripe, started):
    _, payment = started
    body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(payment.provider_id))
    assert post_webhook(web, body, timestamp=int(time.time()) + 60).status_code == 200
    assert WebhookEvent.objects.get().status == WebhookStatus.PROCESSED


@pytest.fixture(params=["stripe", "sandbox"])
def endpoint(request, settings):
    """The live webhook endpoint of each provider, with the secret it verifies with."""
    if request.param == "stripe":
        request.getfixturevalue("fake_stripe")
        return "stripe", WEBHOOK_SECRET
    from payments.providers.sandbox import sandbox_webhook_secret

    settings.PAYMENTS_PROVIDER = "sandbox"
    return "sandbox", sandbox_webhook_secret()


def _event(**fields) -> str:
    return json.dumps(
        {"id": "evt_odd", "type": "checkout.session.completed", "data": {"object": {}}, **fields}
    )


# Bodies signed with the right secret that are still not events the portal can store and read.
MALFORMED = {
    "a list": "[]",
    "a string": '"evt_1"',
    "no id": json.dumps({"type": "checkout.session.completed", "data": {"object": {}}}),
    "a numeric id": _event(id=12),
    "an id too long": _event(id="evt_" + "a" * 300),
    "no type": json.dumps({"id": "evt_odd", "data": {"object": {}}}),
    "a list for a type": _event(type=["checkout.session.completed"]),
    "no data": json.dumps({"id": "evt_odd", "type": "checkout.session.completed"}),
    "data not an object": _event(data="nope"),
    "data.object a list": _event(data={"object": []}),
    "a thin (v2) event": json.dumps({"id": "evt_odd", "object": "v2.core.event", "type": "v1.billing.meter"}),
    "a NUL character": _event(id="evt_\u0000"),
    "a NUL in a nested key": _event(data={"object": {"metadata": {"a\u0000": "b"}}}),
    "a lone surrogate": _event().replace('"object": {}', '"object": {"name": "\\ud800"}'),
    "an infinite number": _event().replace('"object": {}', '"object": {"amount": 1e999}'),
    "NaN": _event().replace('"object": {}', '"object": {"amount": NaN}'),
    "nested past any sense": _event().replace(
        '"object": {}', '"object": {"a": ' + "[" * 50000 + "]" * 50000 + "}"
    ),
}


def test_signed_but_malformed_events_are_refused_and_store_nothing(web, endpoint):
    provider, secret = endpoint
    before = _rows()
    answers = {
        name: post_webhook(web, body, provider=provider, secret=secret) for name, body in MALFORMED.items()
    }
    assert {name: r.status_code for name, r in answers.items() if r.status_code != 400} == {}
    assert _rows() == before


def test_the_webhook_code_itself_refuses_malformed_events(endpoint, django_capture_on_commit_callbacks):
    """Whatever the middleware in front of it lets through (the sandbox calls it directly)."""
    import stripe

    from payments.services.webhooks import webhook_receive

    provider, secret = endpoint
    before = _rows()
    answers = {}
    for name, body in MALFORMED.items():
        signature = stripe.WebhookSignature.generate_signature_header(body, secret)
        with django_capture_on_commit_callbacks(execute=True):
            answers[name] = webhook_receive(provider_name=provider, body=body.encode(), signature=signature)
    assert {name: a for name, a in answers.items() if a != (400, "not a readable event")} == {}
    assert _rows() == before


def test_forged_requests_are_limited_per_client_and_verified_ones_still_accepted(web, settings, fake_stripe):
    from payments.views import WEBHOOK_UNVERIFIED_LIMIT

    settings.PORTAL_TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's address: a proxy
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    forged = fake_stripe.event("checkout.session.completed", {"id": "cs_forged", "metadata": {}})
    before = _rows()
    for _ in range(WEBHOOK_UNVERIFIED_LIMIT):
        assert post_webhook(web, forged, secret="whsec_guess", extra=attacker).status_code == 400
    refused = post_webhook(web, forged, secret="whsec_guess", extra=attacker)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert _rows() == before
    # Another client behind the same proxy has its own count...
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert post_webhook(web, forged, secret="whsec_guess", extra=other).status_code == 400
    # ...and a delivery that verifies is accepted even from the client over its limit.
    genuine = fake_stripe.event("customer.created", {"id": "cus_1"})
    assert post_webhook(web, genuine, extra=attacker).status_code == 200
    assert WebhookEvent.objects.get().event_id == json.loads(genuine)["id"]


def test_only_the_configured_providers_endpoint_answers(web, settings, fake_stripe):
    from payments.providers.sandbox import sandbox_webhook_secret

    body = json.dumps({"id": "evt_sbx_1", "type": "customer.created", "data": {"object": {}}})
    # Stripe is the provider: the sandbox's endpoint is gone, however well signed the request.
    response = post_webhook(web, body, provider="sandbox", secret=sandbox_webhook_secret())
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()
    assert post_webhook(web, fake_stripe.event("customer.created", {"id": "cus_1"})).status_code == 200

    # The sandbox is the provider and Stripe is not configured: Stripe's endpoint is gone.
    settings.PAYMENTS_PROVIDER, settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sandbox", "", ""
    assert post_webhook(web, fake_stripe.event("customer.created", {"id": "cus_2"})).status_code == 404
    assert post_webhook(web, body, provider="sandbox", secret=sandbox_webhook_secret()).status_code == 200
    assert post_webhook(web, body, provider="paypal", secret=sandbox_webhook_secret()).status_code == 404


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
    from payments.services import webhooks

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
