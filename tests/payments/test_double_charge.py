"""Money is taken once per payment: one open checkout, second charges refunded, reconciliation one to one."""

import pytest

from django.urls import reverse
from django.utils import timezone

from payments.models import Payment, Refund, SandboxCheckout
from payments.providers.sandbox import sandbox_card_submit
from payments.reconciliation import reconciliation_report
from payments.services import (
    bill_payment_create,
    payment_retry,
    payment_start,
    payment_status_sync,
    payment_transition,
)
from tests.accounts.factories import UserFactory
from tests.accounts.signin import sign_in
from tests.portal.cases.factories import staff_in

from .factories import bill_make, fee_case
from .helpers import post_webhook

pytestmark = pytest.mark.django_db

CARD = "4242424242424242"


def _issues(report) -> list[tuple[str, str]]:
    return sorted((line.kind, line.issue) for line in report.lines)


def test_sandbox_a_second_checkout_paid_for_one_payment_is_refunded_and_reported(
    web, django_capture_on_commit_callbacks
):
    case, payment = fee_case(amount_pence=1250)
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_start(payment=payment)
        first = SandboxCheckout.objects.get(pk=payment.provider_id)
        # A second checkout for the same payment, as two quick presses of Pay used to open.
        second = SandboxCheckout.objects.create(
            payment_reference=payment.reference,
            amount_pence=1250,
            description=payment.description,
            return_url=first.return_url,
            cancel_url=first.cancel_url,
        )
        sandbox_card_submit(checkout=first, card_number=CARD)
        sandbox_card_submit(checkout=second, card_number=CARD)

    payment.refresh_from_db()
    assert payment.status == "success" and payment.amount_refunded_pence == 0
    refund = Refund.objects.get(payment=payment)
    assert refund.automatic and refund.staff is None
    assert (refund.amount_pence, refund.status) == (1250, "success")
    assert refund.charge_payment_intent == f"pi_{second.pk}"
    assert "charged twice" in refund.reason
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.amount_refunded_pence, second.amount_refunded_pence) == (0, 1250)
    # Staff see it on the payment's history; the resident on the case's timeline.
    history = payment.events.filter(type="refund_requested")
    assert history.filter(message__contains="Automatic refund of £12.50").exists()
    told = case.events.get(type="refund")
    assert told.public and "£12.50" in told.message and "charged twice" in told.message
    # The payment still counts once.
    case.refresh_from_db()
    assert case.status == "submitted" and case.events.filter(type="payment").count() == 1

    report = reconciliation_report(day=timezone.localdate(), provider_name="sandbox")
    assert _issues(report) == [("payment", ""), ("payment", "duplicate_charge"), ("refund", "")]
    duplicate = next(line for line in report.lines if line.issue == "duplicate_charge")
    assert duplicate.provider_id == second.pk and duplicate.reference == payment.reference
    assert f"refund {refund.pk}" in duplicate.note and duplicate.issue_label == "Charged twice"

    sign_in(web, staff_in("Finance"))
    html = web.get(reverse("finance_payments:inspect", args=[payment.pk])).content.decode()
    assert f"The portal, automatically (second charge pi_{second.pk})" in html and "charged twice" in html


@pytest.mark.parametrize("first_paid", ["current", "older"])
def test_stripe_a_second_session_paid_for_one_payment_is_refunded_at_stripe(web, fake_stripe, first_paid):
    case, payment = fee_case(amount_pence=1250)
    payment = payment_start(payment=payment)
    current = fake_stripe.sessions[payment.provider_id]
    older = fake_stripe.open_session(amount=1250, metadata={"payment_reference": payment.reference})
    sessions = [current, older] if first_paid == "current" else [older, current]
    for session in sessions:
        body = fake_stripe.event("checkout.session.completed", fake_stripe.complete(session["id"]))
        assert post_webhook(web, body).status_code == 200

    payment.refresh_from_db()
    kept, refunded = sessions
    assert payment.status == "success" and payment.amount_refunded_pence == 0
    assert payment.provider_payment_intent == kept["payment_intent"]
    refund = Refund.objects.get(payment=payment)
    assert refund.automatic and refund.charge_payment_intent == refunded["payment_intent"]
    assert (refund.amount_pence, refund.status) == (1250, "success")
    at_stripe = list(fake_stripe.refunds.values())
    assert [(r["payment_intent"], r["amount"]) for r in at_stripe] == [(refunded["payment_intent"], 1250)]
    assert at_stripe[0]["id"] == refund.provider_id

    # The same news again (another delivery, or the async event) refunds nothing more.
    again = fake_stripe.event("checkout.session.async_payment_succeeded", dict(refunded))
    assert post_webhook(web, again).status_code == 200
    assert Refund.objects.filter(payment=payment).count() == 1 and len(fake_stripe.refunds) == 1

    report = reconciliation_report(day=timezone.localdate(), provider_name="stripe")
    assert _issues(report) == [("payment", ""), ("payment", "duplicate_charge"), ("refund", "")]
    assert report.totals["payment_local"] == "£12.50" and report.totals["payment_provider"] == "£25"


def test_reconciliation_reports_an_unrefunded_second_charge_and_charges_with_no_payment(fake_stripe):
    _, payment = fee_case(amount_pence=1250)
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    payment = payment_status_sync(payment=payment)
    # Paid at Stripe, but the portal never heard: a second charge nobody has refunded.
    older = fake_stripe.open_session(amount=1250, metadata={"payment_reference": payment.reference})
    fake_stripe.complete(older["id"])
    stranger = fake_stripe.open_session(amount=999, metadata={"payment_reference": "PAY-NONE-NONE-NONE"})
    fake_stripe.complete(stranger["id"])

    report = reconciliation_report(day=timezone.localdate(), provider_name="stripe")
    lines = {(line.reference, line.issue): line for line in report.lines}
    assert set(lines) == {
        (payment.reference, ""),
        (payment.reference, "duplicate_charge"),
        ("PAY-NONE-NONE-NONE", "missing_locally"),
    }
    duplicate = lines[(payment.reference, "duplicate_charge")]
    assert duplicate.note == "a second charge for this payment, not refunded"
    assert len(report.mismatches) == 2


def test_a_request_paid_by_two_attempts_refunds_the_later_one(web, fake_stripe):
    case, first = fee_case(amount_pence=3500)
    first = payment_start(payment=first)
    # The first attempt looked expired, so the resident tried again and paid...
    payment_transition(payment=first, to="failed", failure_code="expired", source="system")
    second = payment_start(payment=payment_retry(payment=Payment.objects.get(pk=first.pk)))
    completed = fake_stripe.complete(second.provider_id)
    post_webhook(web, fake_stripe.event("checkout.session.completed", completed))
    # ...and then the first attempt's checkout was paid as well.
    completed = fake_stripe.complete(first.provider_id)
    post_webhook(web, fake_stripe.event("checkout.session.completed", completed))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == "success"
    assert second.amount_refunded_pence == 0
    assert first.amount_refunded_pence == 3500 and first.resident_status_label == "Refunded"
    refund = Refund.objects.get(payment=first)
    assert refund.automatic and refund.status == "success" and refund.charge_payment_intent == ""
    assert case.reference in refund.reason
    assert [r["payment_intent"] for r in fake_stripe.refunds.values()] == [first.provider_payment_intent]
    assert case.events.filter(type="internal_note", message__contains="refunded automatically").exists()


def test_a_bill_paid_over_refunds_what_was_paid_over(django_capture_on_commit_callbacks):
    bill = bill_make(amount_due_pence=12050)

    with django_capture_on_commit_callbacks(execute=True):
        first = payment_start(payment=bill_payment_create(bill=bill))
        payment_transition(payment=first, to="failed", failure_code="expired", source="system")
        second = payment_start(payment=payment_retry(payment=Payment.objects.get(pk=first.pk)))
        sandbox_card_submit(checkout=SandboxCheckout.objects.get(pk=second.provider_id), card_number=CARD)
        # The first checkout was still open at the provider, and is paid too.
        sandbox_card_submit(checkout=SandboxCheckout.objects.get(pk=first.provider_id), card_number=CARD)

    first.refresh_from_db()
    assert first.status == "success" and first.amount_refunded_pence == 12050
    refund = Refund.objects.get(payment=first)
    assert refund.automatic and refund.status == "success" and "£120.50 overpaid" in refund.reason
    assert not Refund.objects.filter(payment=second).exists()


def test_a_second_press_reuses_the_open_checkout(web, fake_stripe):
    case, payment = fee_case()
    web.force_login(case.resident)
    url = reverse("payments:pay", kwargs={"reference": payment.reference})
    first = web.post(url)
    second = web.post(url)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] and first["Location"].startswith(
        "https://checkout.stripe.com/"
    )
    creates = [r for r in fake_stripe.requests if (r.method, r.path) == ("POST", "/v1/checkout/sessions")]
    assert len(creates) == 1 and len(fake_stripe.sessions) == 1


def test_a_press_after_the_checkout_expired_offers_a_new_attempt(web, fake_stripe):
    case, payment = fee_case()
    web.force_login(case.resident)
    url = reverse("payments:pay", kwargs={"reference": payment.reference})
    web.post(url)
    payment.refresh_from_db()
    fake_stripe.sessions[payment.provider_id]["status"] = "expired"  # Stripe expires them after 24 hours
    response = web.post(url)
    assert response["Location"] == reverse("payments:result", kwargs={"reference": payment.reference})
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "expired")
    assert "Try again" in web.get(response["Location"]).content.decode()


def test_another_resident_cannot_press_pay(web):
    _, payment = fee_case()
    web.force_login(UserFactory())
    assert web.post(reverse("payments:pay", kwargs={"reference": payment.reference})).status_code == 404
