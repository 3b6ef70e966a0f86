"""Refunds: never more than was paid, every failure accounted for, the resident told."""

import pytest

from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F

from payments.constants import RefundStatus
from payments.models import Payment, Refund
from payments.services import PaymentError, payment_refund, payment_start, refund_submit
from tests.accounts.factories import StaffFactory

from .factories import fee_case
from .helpers import post_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(fake_stripe, django_capture_on_commit_callbacks):
    case, payment = fee_case(amount_pence=5000)
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    from payments.services import payment_status_sync

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_status_sync(payment=payment)
    assert payment.status == "success"
    return case, payment


def test_partial_refunds_through_the_refund_api(fake_stripe, paid, django_capture_on_commit_callbacks):
    case, payment = paid
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        refund = payment_refund(
            payment=payment, amount_pence=1500, reason="Collection cancelled", staff=staff
        )
    assert refund.status == RefundStatus.SUCCESS and refund.provider_id.startswith("re_")
    request = fake_stripe.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/refunds")
    assert request.idempotency_key == f"refund-{refund.idempotency_key}"
    assert request.headers["stripe-version"] == "2026-10-28.endive"
    assert request.params["amount"] == "1500"
    assert request.params["payment_intent"] == payment.provider_payment_intent
    assert request.params["metadata"] == {"refund_id": str(refund.pk), "payment_reference": payment.reference}
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 1500 and payment.refundable_pence == 3500
    # The resident sees it on the case timeline (and is told by the case's email).
    entry = case.events.get(type="refund")
    assert entry.public and "£15" in entry.message and "Collection cancelled" in entry.message

    payment_refund(payment=payment, amount_pence=3500, reason="Rest of it", staff=staff)
    with pytest.raises(PaymentError, match="£0 or less"):
        payment_refund(payment=payment, amount_pence=1, reason="One more penny", staff=staff)
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 5000
    assert payment.resident_status_label == "Refunded"


def test_refunds_cannot_add_up_to_more_than_was_paid(paid):
    _, payment = paid
    staff = StaffFactory()
    payment_refund(payment=payment, amount_pence=3000, reason="Part", staff=staff)
    with pytest.raises(PaymentError, match="£20 or less"):
        payment_refund(payment=payment, amount_pence=2001, reason="Too much", staff=staff)
    with pytest.raises(PaymentError, match="reason"):
        payment_refund(payment=payment, amount_pence=100, reason="  ", staff=staff)
    assert Refund.objects.count() == 1


def test_the_database_refuses_more_refunded_than_paid(paid):
    _, payment = paid
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount_refunded_pence=F("amount_pence") + 1)


def test_only_a_successful_payment_can_be_refunded(fake_stripe):
    _, payment = fee_case()
    with pytest.raises(PaymentError, match="successful"):
        payment_refund(payment=payment, amount_pence=100, reason="x", staff=StaffFactory())


def test_a_refund_the_provider_refuses_ends_in_error_with_the_money_accounted_for(fake_stripe, paid):
    _, payment = paid
    fake_stripe.refund_error = "charge_disputed"
    refund = payment_refund(payment=payment, amount_pence=2000, reason="Sorry", staff=StaffFactory())
    assert refund.status == RefundStatus.ERROR and "cannot be refunded" in refund.failure_message
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 0 and payment.refundable_pence == 5000
    assert payment.events.filter(type="refund_updated", message__contains="failed").exists()


def test_a_refund_that_fails_later_by_webhook_releases_the_amount(web, fake_stripe, paid):
    _, payment = paid
    fake_stripe.refund_status = "pending"
    refund = payment_refund(payment=payment, amount_pence=2000, reason="Sorry", staff=StaffFactory())
    assert refund.status == RefundStatus.SUBMITTED
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 2000  # reserved while pending
    failed = {
        **fake_stripe.refunds[refund.provider_id],
        "status": "failed",
        "failure_reason": "lost_or_stolen_card",
    }
    body = fake_stripe.event("refund.updated", failed)
    assert post_webhook(web, body).status_code == 200
    assert post_webhook(web, body).status_code == 200  # repeated: no double release
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.ERROR and refund.failure_message == "lost_or_stolen_card"
    assert payment.amount_refunded_pence == 0


def test_a_pending_refund_that_succeeds_by_webhook(web, fake_stripe, paid):
    _, payment = paid
    fake_stripe.refund_status = "pending"
    refund = payment_refund(payment=payment, amount_pence=2000, reason="Sorry", staff=StaffFactory())
    succeeded = {**fake_stripe.refunds[refund.provider_id], "status": "succeeded"}
    post_webhook(web, fake_stripe.event("refund.updated", succeeded))
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCESS


def test_an_unreachable_provider_leaves_the_refund_submitted_and_it_is_retried(settings, fake_stripe, paid):
    _, payment = paid
    good = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    refund = payment_refund(payment=payment, amount_pence=500, reason="Retry me", staff=StaffFactory())
    assert refund.status == RefundStatus.SUBMITTED and refund.provider_id == ""
    settings.STRIPE_API_BASE = good
    refund = refund_submit(refund=refund)
    assert refund.status == RefundStatus.SUCCESS
    # The same key both times: had the first request reached Stripe, it would not refund twice.
    assert [r.idempotency_key for r in fake_stripe.requests if r.path == "/v1/refunds"] == [
        f"refund-{refund.idempotency_key}"
    ]


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(web, fake_stripe, paid):
    _, payment = paid
    made = fake_stripe.dashboard_refund(payment.provider_id, 1200)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": payment.provider_payment_intent,
        "amount": 5000,
        "amount_refunded": 1200,
    }
    body = fake_stripe.event("charge.refunded", charge)
    post_webhook(web, body)
    post_webhook(web, fake_stripe.event("charge.refunded", charge))  # a second event, same totals
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 1200
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.provider_id) == (RefundStatus.SUCCESS, made["id"])
    # The refund's own event, arriving later, is the same refund.
    post_webhook(web, fake_stripe.event("refund.created", made))
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_refund_on_a_bill_payment_emails_the_payer(web, django_capture_on_commit_callbacks):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit
    from payments.services import bill_payment_create, payment_status_sync

    from .factories import bill_make

    bill = bill_make()
    payment = bill_payment_create(bill=bill, email="payer@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_start(payment=payment)
        sandbox_card_submit(
            checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
        )
        payment = payment_status_sync(payment=payment)
        refund = payment_refund(
            payment=payment, amount_pence=2050, reason="Overcharged", staff=StaffFactory()
        )
    assert refund.status == RefundStatus.SUCCESS
    assert any("Refund of £20.50" in m.subject and "Overcharged" in m.body for m in mail.outbox)
