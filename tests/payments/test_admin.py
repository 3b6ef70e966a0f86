"""Finance staff in the Wagtail admin: payments, refunds, bills and reconciliation."""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payments.models import Bill, Refund
from payments.services import payment_start, payment_status_sync
from tests.accounts.factories import StaffFactory
from tests.accounts.signin import sign_in
from tests.portal.cases.factories import staff_in

from .factories import fee_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(web):
    user = staff_in("Finance")
    sign_in(web, user)
    return user


@pytest.fixture
def paid(django_capture_on_commit_callbacks):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit

    case, payment = fee_case(amount_pence=4000)
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_start(payment=payment)
        sandbox_card_submit(
            checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
        )
    return case, payment_status_sync(payment=payment)


def test_finance_lists_filters_and_searches_payments(web, finance, paid):
    _, payment = paid
    _, other = fee_case(amount_pence=999)
    index = reverse("finance_payments:index")
    html = web.get(index).content.decode()
    assert payment.reference in html and other.reference in html
    html = web.get(index, {"status": "success"}).content.decode()
    assert payment.reference in html and other.reference not in html
    html = web.get(index, {"q": other.reference}).content.decode()
    assert other.reference in html and payment.reference not in html
    html = web.get(index, {"provider": "stripe"}).content.decode()
    assert payment.reference not in html
    today = timezone.localdate().isoformat()
    html = web.get(
        index, {"created_at_from": today, "created_at_to": today, "service_code": 528}
    ).content.decode()
    assert payment.reference in html
    export = web.get(index, {"export": "csv"})
    assert export.status_code == 200 and payment.reference in b"".join(export.streaming_content).decode()


def test_the_payment_view_shows_its_history(web, finance, paid):
    _, payment = paid
    html = web.get(reverse("finance_payments:inspect", args=[payment.pk])).content.decode()
    for text in (
        payment.reference,
        "created → started",
        "started → success",
        "Receipt sent",
        "Refund this payment",
    ):
        assert text in html


def test_a_partial_refund_from_the_admin(web, finance, paid, django_capture_on_commit_callbacks):
    case, payment = paid
    url = reverse("payments_admin:refund", args=[payment.pk])
    response = web.post(url, {"kind": "partial", "amount": "50", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter the reason for the refund" in html and "Enter an amount of £40 or less" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(url, {"kind": "partial", "amount": "12.50", "reason": "Only half collected"})
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount_pence, refund.status, refund.staff) == (1250, "success", finance)
    assert case.events.get(type="refund").public
    response = web.post(url, {"kind": "full", "reason": "The rest"})
    payment.refresh_from_db()
    assert payment.amount_refunded_pence == 4000
    assert web.get(url)["Location"].endswith(f"/admin/payments/inspect/{payment.pk}/")


def test_other_staff_cannot_see_payments_or_refund(web, paid):
    _, payment = paid
    sign_in(web, staff_in("Case officers"))
    assert web.get(reverse("finance_payments:index")).status_code in (302, 403)
    # Wagtail turns a refusal into a redirect to the dashboard with a message.
    response = web.get(reverse("payments_admin:reconciliation"))
    assert response.status_code in (302, 403) and payment.reference not in response.content.decode()
    # One payment's pages answer 404, as for a payment that does not exist.
    for url in (
        reverse("payments_admin:refund", args=[payment.pk]),
        reverse("finance_payments:inspect", args=[payment.pk]),
    ):
        response = web.get(url)
        assert response.status_code == 404 and payment.reference not in response.content.decode()
    response = web.post(reverse("payments_admin:refund", args=[payment.pk]), {"kind": "full", "reason": "x"})
    assert response.status_code == 404
    assert not Refund.objects.exists()


def test_nobody_edits_or_deletes_a_payment_in_the_admin(web, paid):
    _, payment = paid
    admin = StaffFactory(is_superuser=True)
    sign_in(web, admin)
    assert web.get(reverse("finance_payments:edit", args=[payment.pk])).status_code in (302, 403)
    assert web.get(reverse("finance_payments:delete", args=[payment.pk])).status_code in (302, 403)
    assert web.get(reverse("finance_payments:add")).status_code in (302, 403)


def test_bills_admin_create_and_import(web, finance):
    response = web.post(
        reverse("finance_bills:add"),
        {
            "reference": "INV-9",
            "postcode": "ab12cd",
            "description": "Trade waste",
            "amount_due": "99.99",
            "vat_status": "standard",
            "status": "open",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    bill = Bill.objects.get(reference="INV-9")
    assert (bill.amount_due_pence, bill.postcode) == (9999, "AB1 2CD")

    upload = SimpleUploadedFile(
        "bills.csv", b"reference,postcode,description,amount\nINV-10,AB1 2CD,Rent,10\n,,,\n"
    )
    response = web.post(reverse("payments_admin:bill_import"), {"file": upload})
    assert response.status_code == 400
    assert "Row 3: enter the bill reference" in response.content.decode()
    upload = SimpleUploadedFile(
        "bills.csv", b"reference,postcode,description,amount\nINV-10,AB1 2CD,Rent,10\n"
    )
    response = web.post(reverse("payments_admin:bill_import"), {"file": upload})
    assert response.status_code == 302
    assert Bill.objects.filter(reference="INV-10").exists()


def test_reconciliation_page_and_csv(web, finance, paid):
    _, payment = paid
    url = reverse("payments_admin:reconciliation")
    today = timezone.localdate().isoformat()
    html = web.get(url, {"date": today, "provider": "sandbox"}).content.decode()
    assert payment.reference in html and "Everything matches" in html
    response = web.get(url, {"date": today, "provider": "sandbox", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert payment.reference in response.content.decode()


def test_bills_are_cancelled_never_deleted(web):
    from .factories import bill_make

    bill = bill_make()
    sign_in(web, StaffFactory(is_superuser=True))
    assert web.get(reverse("finance_bills:delete", args=[bill.pk])).status_code in (302, 403)
    assert Bill.objects.filter(pk=bill.pk).exists()
