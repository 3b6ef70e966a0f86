"""Pay a bill by reference and postcode, without signing in; staff import bills by CSV."""

import pytest

from django.test import Client
from django.urls import reverse

from payments.models import Bill, Payment
from payments.services import PaymentError, bill_payment_create, bills_import

from .factories import bill_make
from .test_sandbox_flow import CARD

pytestmark = pytest.mark.django_db


def _find(web, reference="INV-204518", postcode="AB1 2CD"):
    return web.post(reverse("payments:bill_start"), {"reference": reference, "postcode": postcode})


def test_pay_a_bill_in_full_without_signing_in(web):
    bill = bill_make()
    response = _find(web, "inv-204518", "ab12cd")
    assert response.status_code == 302 and response["Location"] == reverse("payments:bill_amount")
    page = web.get(reverse("payments:bill_amount"))
    html = page.content.decode()
    assert "£120.50" in html and "must be paid in full" in html
    response = web.post(reverse("payments:bill_amount"), {"email": "payer@example.org"})
    payment = Payment.objects.get(bill=bill)
    assert payment.amount_pence == 12050 and payment.user is None and payment.email == "payer@example.org"
    response = web.post(response["Location"])
    response = web.post(response["Location"], {"card_number": "4242424242424242", **CARD})
    page = web.get(response["Location"], follow=True)
    assert "Payment received" in page.content.decode()
    bill.refresh_from_db()
    assert bill.status == "paid" and bill.amount_paid_pence == 12050

    # A paid bill cannot be paid again.
    _find(web)
    page = web.get(reverse("payments:bill_amount"))
    assert "This bill has been paid" in page.content.decode()
    with pytest.raises(PaymentError, match="already been paid"):
        bill_payment_create(bill=bill)


def test_part_payment_only_where_the_bill_allows(web):
    bill = bill_make(allows_part_payment=True)
    _find(web)
    response = web.post(reverse("payments:bill_amount"), {"amount": "200", "email": ""})
    assert response.status_code == 400
    assert "Enter an amount of £120.50 or less" in response.content.decode()
    assert 'value="200"' in response.content.decode()
    response = web.post(reverse("payments:bill_amount"), {"amount": "twenty", "email": ""})
    assert "Enter an amount in pounds and pence, like 12.50" in response.content.decode()
    response = web.post(reverse("payments:bill_amount"), {"amount": "£20.50", "email": ""})
    assert response.status_code == 302
    assert Payment.objects.get(bill=bill).amount_pence == 2050

    whole = bill_make(reference="PCN-1", allows_part_payment=False)
    with pytest.raises(PaymentError, match="must be paid in full"):
        bill_payment_create(bill=whole, amount_pence=100)


def test_a_wrong_postcode_is_refused_and_lookups_are_rate_limited(web):
    bill_make()
    response = _find(web, postcode="ZZ9 9ZZ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "We could not find a bill with that reference and postcode" in html
    assert 'value="INV-204518"' in html
    for _ in range(9):
        _find(web, postcode="ZZ9 9ZZ")
    response = _find(web)  # even the right postcode now waits
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_the_amount_page_needs_a_bill_found_first(web):
    assert web.get(reverse("payments:bill_amount"))["Location"] == reverse("payments:bill_start")


def test_two_part_payments_settle_a_bill(django_capture_on_commit_callbacks):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit
    from payments.services import payment_start, payment_status_sync

    bill = bill_make(allows_part_payment=True, amount_due_pence=1000)
    for amount in (400, 600):
        payment = bill_payment_create(bill=bill, amount_pence=amount)
        with django_capture_on_commit_callbacks(execute=True):
            payment = payment_start(payment=payment)
            sandbox_card_submit(
                checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
            )
            payment_status_sync(payment=payment)
        bill.refresh_from_db()
    assert bill.status == "paid" and bill.amount_paid_pence == 1000


CSV_OK = """reference,postcode,description,amount,payer_name,allows_part_payment,vat_status,service_code,\
due_date
INV-1,ab12cd,"Trade waste, March",120.50,Acme Ltd,no,standard,530,2026-04-30
PCN-2,AB1 2CD,Parking penalty,70,,yes,,,
"""


def test_csv_import_creates_and_updates():
    created, updated, errors = bills_import(text=CSV_OK)
    assert (created, updated, errors) == (2, 0, [])
    bill = Bill.objects.get(reference="INV-1")
    assert (bill.postcode, bill.amount_due_pence, bill.vat_status, bill.service_code) == (
        "AB1 2CD",
        12050,
        "standard",
        530,
    )
    assert Bill.objects.get(reference="PCN-2").allows_part_payment
    created, updated, errors = bills_import(text=CSV_OK.replace("120.50", "130"))
    assert (created, updated, errors) == (0, 2, [])
    assert Bill.objects.get(reference="INV-1").amount_due_pence == 13000


def test_csv_import_reports_each_bad_row_and_imports_nothing():
    text = """reference,postcode,description,amount,allows_part_payment,vat_status,due_date
INV-1,AB1 2CD,Fine,10,no,,
,AB1 2CD,No ref,10,no,,
INV-3,,Missing postcode,ten,maybe,zero_rated,31/03/2026
INV-1,AB1 2CD,Twice,10,no,,
"""
    created, updated, errors = bills_import(text=text)
    assert (created, updated) == (0, 0)
    assert errors[0] == "Row 3: enter the bill reference"
    assert errors[1].startswith("Row 4: enter the postcode; amount 'ten' is not an amount in pounds")
    assert "allows_part_payment must be yes or no" in errors[1]
    assert "vat_status must be one of" in errors[1] and "due_date must be a date" in errors[1]
    assert errors[2] == "Row 5: reference INV-1 is in the file twice"
    assert not Bill.objects.exists()
    assert bills_import(text="ref,amount\nx,1\n")[2] == [
        "The file must have the columns: reference, postcode, description (on its first line)"
    ]


def _find_from(web, address, postcode, **extra):
    return web.post(
        reverse("payments:bill_start"),
        {"reference": "INV-204518", "postcode": postcode},
        REMOTE_ADDR=address,
        **extra,
    )


def test_wrong_postcodes_limit_the_client_that_sent_them_not_the_bill(web):
    bill_make()
    for _ in range(10):
        assert _find_from(web, "203.0.113.9", "ZZ9 9ZZ").status_code == 400
    assert _find_from(web, "203.0.113.9", "AB1 2CD").status_code == 429  # the guesser waits
    # The payer, on another connection, still finds their bill with the right postcode.
    payer = Client()
    response = _find_from(payer, "198.51.100.7", "AB1 2CD")
    assert response.status_code == 302 and response["Location"] == reverse("payments:bill_amount")


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(web, settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    bill_make()
    for _ in range(10):
        _find_from(web, "10.0.0.2", "ZZ9 9ZZ", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _find_from(web, "10.0.0.2", "AB1 2CD", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    payer = Client()
    response = _find_from(payer, "10.0.0.2", "AB1 2CD", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302


def test_guessing_one_bill_from_many_clients_never_locks_out_its_payer(web):
    from payments.views import GUARDED_BILL_AFTER, GUARDED_BILL_CLIENT_LIMIT, LOOKUP_LIMIT

    bill_make()
    per_client = LOOKUP_LIMIT - 1  # each stays under its own limit
    for n in range(-(-GUARDED_BILL_AFTER // per_client)):
        for _ in range(per_client):
            _find_from(web, f"203.0.113.{n + 1}", "ZZ9 9ZZ")
    # The bill is now guarded: a new client gets only a few wrong guesses at it...
    for _ in range(GUARDED_BILL_CLIENT_LIMIT):
        assert _find_from(web, "192.0.2.50", "ZZ9 9ZZ").status_code == 400
    assert _find_from(web, "192.0.2.50", "AB1 2CD").status_code == 429
    # ...while the payer, and anyone with the right postcode who has not guessed, gets in.
    for address in ("198.51.100.7", "198.51.100.8"):
        assert _find_from(Client(), address, "AB1 2CD").status_code == 302
    # Other bills are not affected for the guessing clients.
    bill_make(reference="INV-1", postcode="CD3 4EF")
    data = {"reference": "INV-1", "postcode": "CD3 4EF"}
    response = Client().post(reverse("payments:bill_start"), data, REMOTE_ADDR="203.0.113.1")
    assert response.status_code == 302
