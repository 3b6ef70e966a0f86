"""Paying with the sandbox provider in a real browser, with the axe check on every page."""

import re
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group

from payments.models import Bill, Payment
from tests.accounts.factories import StaffFactory, UserFactory
from tests.e2e.signin import sign_in
from tests.payments.factories import bill_make, fee_case

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _sign_in(journey, user, next_path):
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)


def _card(journey, number):
    page = journey.page
    assert page.get_by_text("TEST PAYMENT PAGE").is_visible()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2039")
    page.get_by_label("Name on card").fill("Sam Resident")
    page.get_by_label("Card security code").fill("123")
    journey.click_and_check(page.get_by_role("button", name=re.compile(r"^Pay ")))


def _continue_to_payment(journey):
    journey.click_and_check(journey.page.get_by_role("button", name="Continue to payment"))
    assert journey.path().startswith("/payments/sandbox/")


def test_pay_a_fee_and_see_the_receipt_with_the_case_submitted(journey):
    resident = UserFactory(full_name="Sam Resident")
    case, payment = fee_case(resident=resident, amount_pence=3500)
    page = journey.page
    _sign_in(journey, resident, f"/payments/{payment.reference}/")
    assert journey.path() == f"/payments/{payment.reference}/"
    journey.check()
    assert page.get_by_role("heading", name="Pay £35").is_visible()
    assert page.get_by_text("Outside the scope of VAT").is_visible()

    _continue_to_payment(journey)
    # The card page validates like GOV.UK Pay and keeps what was typed.
    journey.click_and_check(page.get_by_role("button", name=re.compile(r"^Pay ")))
    assert page.get_by_role("alert").get_by_text("Enter a card number").is_visible()
    _card(journey, "4242 4242 4242 4242")

    assert page.get_by_role("heading", name="Payment received").is_visible()
    assert page.get_by_text(payment.reference).first.is_visible()
    case.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == "success" and case.status == "submitted"

    journey.click_and_check(page.get_by_role("link", name="Print or save your receipt"))
    assert page.get_by_role("heading", name=f"Payment {payment.reference}").is_visible()
    journey.goto("/my-account/payments/")
    assert page.get_by_role("link", name=re.compile("Bulky waste collection")).is_visible()


def test_a_declined_card_then_a_retry_that_succeeds(journey):
    resident = UserFactory()
    case, payment = fee_case(resident=resident)
    page = journey.page
    _sign_in(journey, resident, f"/payments/{payment.reference}/")
    _continue_to_payment(journey)
    _card(journey, "4000 0000 0000 0002")
    assert page.get_by_role("heading", name="Your payment was not successful").is_visible()
    assert page.get_by_text("Your card was declined").is_visible()
    case.refresh_from_db()
    assert case.status == "awaiting_payment"

    journey.click_and_check(page.get_by_role("button", name="Try again"))
    assert journey.path().startswith("/payments/sandbox/")
    _card(journey, "4242424242424242")
    assert page.get_by_role("heading", name="Payment received").is_visible()
    case.refresh_from_db()
    assert case.status == "submitted"
    assert Payment.objects.filter(case=case, status="success").count() == 1
    assert Payment.objects.get(case=case, status="failed").failure_code == "declined"


def test_pay_a_bill_by_reference_without_signing_in(journey):
    bill_make(
        reference="PCN-778812",
        postcode="AB1 2CD",
        amount_due_pence=7000,
        allows_part_payment=True,
        description="Parking penalty charge",
    )
    page = journey.page
    journey.goto("/pay/")
    page.get_by_label("Bill reference").fill("PCN-778812")
    page.get_by_label("Postcode").fill("ZZ1 1ZZ")
    journey.click_and_check(page.get_by_role("button", name="Continue"))
    assert page.get_by_role("alert").get_by_text("We could not find a bill").is_visible()
    page.get_by_label("Postcode").fill("ab1 2cd")
    journey.click_and_check(page.get_by_role("button", name="Continue"))
    assert page.get_by_role("heading", name="Bill PCN-778812").is_visible()
    page.get_by_label("How much do you want to pay?").fill("35")
    page.get_by_label("Email address for your receipt (optional)").fill("payer@example.org")
    journey.click_and_check(page.get_by_role("button", name="Continue"))
    assert page.get_by_role("heading", name="Pay £35").is_visible()
    _continue_to_payment(journey)
    _card(journey, "4242424242424242")
    assert page.get_by_role("heading", name="Payment received").is_visible()
    bill = Bill.objects.get(reference="PCN-778812")
    assert (bill.amount_paid_pence, bill.status) == (3500, "open")


def test_cancel_asks_first_and_the_card_page_cancels_with_a_button(journey):
    from payments.services import bill_payment_create

    payment = bill_payment_create(bill=bill_make(reference="INV-9", amount_due_pence=2500))
    page = journey.page
    journey.goto(f"/payments/{payment.reference}/")
    _continue_to_payment(journey)
    checkout_path = journey.path()
    # The provider's "back" link opens the cancel URL: it only asks.
    journey.goto(f"/payments/{payment.reference}/cancel/")
    assert page.get_by_role("heading", name="Are you sure you want to cancel this payment?").is_visible()
    journey.click_and_check(page.get_by_role("link", name="No, go back to pay"))
    payment.refresh_from_db()
    assert payment.status == "started"
    _continue_to_payment(journey)
    assert journey.path() == checkout_path  # the same checkout, not a second one
    journey.click_and_check(page.get_by_role("button", name="Cancel payment"))
    assert page.get_by_role("heading", name="Your payment was cancelled").is_visible()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("cancelled", "cancelled_by_user")


def test_finance_issues_a_partial_refund_and_the_resident_sees_it(journey):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit
    from payments.services import payment_start, payment_status_sync

    resident = UserFactory()
    case, payment = fee_case(resident=resident, amount_pence=4000)
    payment = payment_start(payment=payment)
    sandbox_card_submit(
        checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
    )
    payment = payment_status_sync(payment=payment)
    assert payment.status == "success"
    finance = StaffFactory(full_name="Fran Finance")
    finance.groups.add(Group.objects.get(name="Finance"))

    page = journey.page
    _sign_in(journey, finance, "/admin/payments/")
    assert journey.path() == "/admin/payments/"
    journey.check()
    journey.click_and_check(page.get_by_role("link", name=payment.reference))
    journey.click_and_check(page.get_by_role("link", name="Refund this payment"))
    # Sent empty: the error summary's links (WCAG 2.2 target size) are axe-checked too.
    journey.click_and_check(page.get_by_role("button", name="Refund", exact=True))
    page.get_by_label("Partial refund").check()
    page.get_by_label("Amount to refund, in pounds").fill("15")
    page.get_by_label("Reason for the refund").fill("One item was not collected")
    journey.click_and_check(page.get_by_role("button", name="Refund", exact=True))
    assert page.get_by_text(re.compile(r"Refunded £15 of")).first.is_visible()
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 1500

    page.context.clear_cookies()
    _sign_in(journey, resident, f"/payments/{payment.reference}/receipt/")
    assert journey.path() == f"/payments/{payment.reference}/receipt/"
    journey.check()
    assert page.get_by_role("cell", name="One item was not collected").is_visible()
    assert page.get_by_text("Partly refunded").is_visible()
    journey.goto(f"/my-account/cases/{case.reference}/")
    assert page.get_by_text(re.compile("We have refunded £15")).first.is_visible()
