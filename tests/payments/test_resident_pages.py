"""My account's payments: history, receipts, and nobody else's."""

import pytest

from django.urls import reverse

from payments.selectors import payment_list_for_user, payments_due_for_user
from portal.lib.personal_data import parts
from tests.accounts.factories import UserFactory

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


PAGES = ("pay", "return", "cancel", "result", "receipt")


def _statuses(client, payment) -> dict[str, int]:
    return {
        name: client.get(reverse(f"payments:{name}", kwargs={"reference": payment.reference})).status_code
        for name in PAGES
    }


def test_a_deleted_accounts_kept_payments_are_not_public(web):
    from django.test import Client

    from accounts.services import account_delete
    from tests.accounts.signin import sign_in
    from tests.portal.cases.factories import staff_in

    case, payment = fee_case()
    web.force_login(case.resident)
    _pay(web, payment, "4242424242424242")
    account_delete(user=case.resident)
    payment.refresh_from_db()
    assert payment.user is None and payment.anonymised_at is not None  # kept, anonymised

    web.logout()
    assert _statuses(web, payment) == dict.fromkeys(PAGES, 404)  # not even "sign in"
    web.force_login(UserFactory())
    assert _statuses(web, payment) == dict.fromkeys(PAGES, 404)
    # Finance staff can still open the receipt (they see the payment in the admin anyway).
    receipt = reverse("payments:receipt", kwargs={"reference": payment.reference})
    for group, status in (("Finance", 200), ("Case officers", 404)):
        staff = Client()
        sign_in(staff, staff_in(group))
        assert staff.get(receipt).status_code == status, group


def test_an_account_payment_is_never_public_even_if_the_user_row_goes(web):
    case, payment = fee_case()
    case.resident.delete()  # e.g. an administrator removing the account directly
    payment.refresh_from_db()
    assert payment.user is None and payment.anonymised_at is None
    assert _statuses(web, payment) == dict.fromkeys(PAGES, 404)
    assert payment.made_with_account


def test_a_payment_made_without_an_account_is_still_reached_by_its_reference(web, client):
    from .factories import bill_make
    from .test_sandbox_flow import CARD

    bill_make()
    web.post(reverse("payments:bill_start"), {"reference": "INV-204518", "postcode": "AB1 2CD"})
    response = web.post(reverse("payments:bill_amount"), {"email": "payer@example.org"})
    response = web.post(response["Location"])
    response = web.post(response["Location"], {"card_number": "4242424242424242", **CARD})
    page = web.get(response["Location"], follow=True)
    assert "Payment received" in page.content.decode()
    from payments.models import Payment

    payment = Payment.objects.get()
    assert payment.user is None and not payment.made_with_account
    # The payer's own browser, and the reference they were given, still open the receipt.
    for browser in (web, client):
        receipt = browser.get(reverse("payments:receipt", kwargs={"reference": payment.reference}))
        assert receipt.status_code == 200 and payment.reference in receipt.content.decode()


def test_the_history_comes_twenty_a_page_newest_first(client):
    from datetime import timedelta

    from django.utils import timezone

    from payments.models import Payment

    resident, other = UserFactory(), UserFactory()
    payments = [fee_case(resident=resident)[1] for _ in range(23)]
    start = timezone.now() - timedelta(days=10)
    for n, payment in enumerate(payments):  # payment n is n hours after the first
        Payment.objects.filter(pk=payment.pk).update(created_at=start + timedelta(hours=n))
    strangers = fee_case(resident=other)[1]
    newest_first = [p.reference for p in reversed(payments)]
    client.force_login(resident)

    def shown(html: str) -> list[str]:
        return [ref for ref in newest_first + [strangers.reference] if ref in html]

    first = client.get(reverse("payments:history")).text
    assert shown(first) == newest_first[:20]
    assert "Showing 1 to 20 of 23 payments" in first
    assert 'aria-label="Pages of your payments"' in first and 'href="?page=2" rel="next"' in first
    second = client.get(reverse("payments:history"), {"page": 2}).text
    assert shown(second) == newest_first[20:]
    assert "Showing 21 to 23 of 23 payments" in second and "(page 2 of 2)" in second
    assert shown(client.get(reverse("payments:history"), {"page": "99"}).text) == newest_first[20:]
    assert shown(client.get(reverse("payments:history"), {"page": "-1"}).text) == newest_first[:20]
    client.force_login(other)
    only = client.get(reverse("payments:history")).text
    assert shown(only) == [strangers.reference] and "1 payment, newest first" in only
