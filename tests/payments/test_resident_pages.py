"""My account's payments: history, receipts, and nobody else's."""

import pytest

from django.urls import reverse

from accounts.registry import parts
from payments.selectors import payment_list_for_user, payments_due_for_user
from tests.factories import UserFactory

from .factories import fee_case
from .test_sandbox_flow import _pay

pytestmark = pytest.mark.django_db


def test_history_and_receipt_for_the_owner_only(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    _pay(web, payment, "4242424242424242")
    html = web.get(reverse("payments:history")).content.decode()
    assert payment.reference in html and "Paid" in html
    receipt = web.get(reverse("payments:receipt", kwargs={"reference": payment.reference}))
    html = receipt.content.decode()
    assert receipt.status_code == 200
    for text in (payment.reference, "£35", "Bulky waste collection", "Outside the scope of VAT"):
        assert text in html

    web.force_login(UserFactory())
    assert payment.reference not in web.get(reverse("payments:history")).content.decode()
    assert web.get(reverse("payments:receipt", kwargs={"reference": payment.reference})).status_code == 404
    web.logout()
    response = web.get(reverse("payments:receipt", kwargs={"reference": payment.reference}))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert web.get(reverse("payments:history")).status_code == 302


def test_selectors_and_the_my_account_partial(rf):
    from django.template.loader import render_to_string

    case, payment = fee_case()
    assert list(payment_list_for_user(case.resident)) == [payment]
    assert list(payments_due_for_user(case.resident)) == [payment]
    assert not payment_list_for_user(UserFactory()).exists()
    html = render_to_string("payments/includes/my_account_payments.html", {"payments": [payment]})
    assert payment.reference in html and "Pay a bill" in html


def test_personal_data_export_and_anonymisation():
    case, payment = fee_case()
    part = next(p for p in parts() if p.name == "payments")
    exported = part.exported(case.resident).data
    assert exported[0]["reference"] == payment.reference and exported[0]["amount_pence"] == 3500
    assert "years" in part.sentence("kept")
    part.erase(case.resident)
    payment.refresh_from_db()
    assert payment.user is None and payment.email == "" and payment.anonymised_at is not None
    assert payment.amount_pence == 3500  # the financial record is kept
