"""Payment links: staff send a resident a link, or open it at a desk, and the resident
pays with their own card through the sandbox; staff never key card numbers."""

import hashlib
from datetime import timedelta

import pytest

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from payments.constants import LinkChannel, PaymentStatus
from payments.models import Payment, PaymentLink
from payments.selectors import payment_links_for, payments_owed_by
from payments.services import (
    PaymentError,
    bill_transition,
    payment_link_create,
    payment_link_revoke,
    payment_link_send,
)
from portal.interactions.models import Interaction
from portal.notifications.models import Notification
from tests.accounts.factories import StaffFactory, UserFactory

from .factories import bill_make, fee_case

pytestmark = pytest.mark.django_db

CARD = {"expiry_month": "12", "expiry_year": "2039", "cardholder_name": "Sam Resident", "cvc": "123"}
PAID_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _path_in_email(email: str) -> str:
    (message,) = [m for m in mail.outbox if email in m.to and "Pay for your" in m.subject]
    line = next(line for line in message.body.splitlines() if "/pay/link/" in line).strip()
    return line[line.index("/pay/link/") :]


def _pay_through_link(web, path: str, card: str = PAID_CARD):
    """Press Continue on the link page, enter ``card`` on the sandbox page; the result page."""
    response = web.post(path)
    assert response.status_code == 302, response.content.decode()[:2000]
    sandbox_url = response["Location"]
    assert sandbox_url.startswith("/payments/sandbox/")
    response = web.post(sandbox_url, {"card_number": card, **CARD})
    assert response.status_code == 302
    return web.get(response["Location"], follow=True)


def test_emailed_link_paid_without_signing_in(web, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://council.example"
    staff = StaffFactory()
    resident = UserFactory(full_name="Sam Resident")
    case, payment = fee_case(resident=resident, amount_pence=3550)

    with django_capture_on_commit_callbacks(execute=True):
        link = payment_link_send(staff=staff, payment=payment, email="sam@example.org")

    assert (link.user, link.payment, link.channel, link.sent_to) == (
        resident,
        payment,
        "email",
        "sam@example.org",
    )
    assert link.created_by == staff
    # 7 days by default (PAYMENT_LINK_DAYS)
    assert timedelta(days=7) - (link.expires_at - link.created_at) < timedelta(seconds=5)
    # The outbox row: the email, with the link but not its token.
    row = Notification.objects.get(template="payments/payment_link")
    assert row.to == "sam@example.org"
    assert row.subject == f"Pay for your bulky waste collection: {case.reference}"
    assert "TEST payment – no money will be taken" in row.body_text
    assert "[link not kept]" in row.body_text and "/pay/link/" not in row.body_text
    assert "Amount to pay: £35.50" in row.body_text
    # The email delivered carries the working link, with the site's base URL.
    (message,) = [m for m in mail.outbox if m.subject == row.subject]
    assert "£35.50" in message.body and "bulky waste collection" in message.body
    line = next(line for line in message.body.splitlines() if "/pay/link/" in line).strip()
    assert line.startswith("https://council.example/pay/link/")
    path = line.removeprefix("https://council.example")
    token = _token(path)
    assert token not in row.body_text
    assert "This link stops working at" in message.body
    assert payment_links_for(resident=resident).get().status == "sent"

    # Opening it, not signed in: the amount and what it is for.
    page = web.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pay £35.50" in html and case.reference in html and "Continue to payment" in html
    link.refresh_from_db()
    assert link.opened_at is not None
    assert payment_links_for(resident=resident).get().status == "opened"

    result = _pay_through_link(web, path)
    html = result.content.decode()
    assert result.status_code == 200
    assert "Payment received" in html and payment.reference in html
    assert "sam@example.org" not in html and resident.email not in html  # not the owner
    payment.refresh_from_db()
    case.refresh_from_db()
    link.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert case.status == "submitted"
    assert link.paid_at is not None and link.paid_payment == payment
    assert list(link.attempts.all()) == [payment]
    (shown,) = payment_links_for(resident=resident)
    assert (shown.status, shown.status_label) == ("paid", "Paid")
    assert payment_links_for(payment=payment).get() == link
    # The receipt page works for the payer in this browser, with no sign-in.
    receipt = web.get(reverse("payments:receipt", kwargs={"reference": payment.reference}))
    assert receipt.status_code == 200 and payment.reference in receipt.content.decode()
    # The link now says it has been paid, with the payment reference.
    again = web.get(path)
    assert again.status_code == 200
    assert (
        "This has already been paid" in again.content.decode() and payment.reference in again.content.decode()
    )


def test_token_is_stored_only_as_its_hash():
    staff = StaffFactory()
    _, payment = fee_case()
    link, path = payment_link_create(staff=staff, payment=payment)
    token = _token(path)
    assert path == f"/pay/link/{token}/"
    assert len(token) >= 40
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = PaymentLink.objects.filter(pk=link.pk).values().get()
    assert all(token not in str(value) for value in row.values())
    assert link.channel == LinkChannel.IN_PERSON


def test_unknown_expired_and_revoked_links(web):
    staff = StaffFactory()
    _, payment = fee_case()

    unknown = web.get(reverse("payments:link", kwargs={"token": "not-a-real-token"}))
    assert unknown.status_code == 404
    assert "This payment link has expired" in unknown.content.decode()
    assert "Other ways to pay" in unknown.content.decode()

    link, path = payment_link_create(staff=staff, payment=payment)
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = web.get(path)
    assert expired.status_code == 410
    assert "This payment link has expired" in expired.content.decode()
    assert web.post(path).status_code == 410  # cannot pay with it either
    assert payment_links_for(payment=payment).get().status == "expired"
    link.refresh_from_db()
    assert link.opened_at is None

    link2, path2 = payment_link_create(staff=staff, payment=payment)
    payment_link_revoke(link=link2, staff=staff)
    revoked = web.get(path2)
    assert revoked.status_code == 410
    assert "newer link, or cancelled this one" in revoked.content.decode()
    assert payment_links_for(payment=payment).first().status == "revoked"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED  # nothing was started


def test_a_second_link_revokes_the_first(web):
    staff = StaffFactory()
    case, payment = fee_case()
    first, first_path = payment_link_create(staff=staff, payment=payment)
    second, second_path = payment_link_create(staff=staff, payment=payment)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert web.get(first_path).status_code == 410
    assert web.get(second_path).status_code == 200
    assert [link.status for link in payment_links_for(resident=case.resident)] == ["opened", "revoked"]

    _pay_through_link(web, second_path)
    assert [link.status for link in payment_links_for(resident=case.resident)] == ["paid", "revoked"]


def test_refused_when_already_paid_nothing_owing_or_a_bad_email(web):
    staff = StaffFactory()
    _, payment = fee_case()
    _, path = payment_link_create(staff=staff, payment=payment)
    _pay_through_link(web, path)
    with pytest.raises(PaymentError, match="already been paid"):
        payment_link_create(staff=staff, payment=payment)

    bill = bill_make(amount_due_pence=1000)
    _, bill_path = payment_link_create(staff=staff, bill=bill)
    _pay_through_link(web, bill_path)
    with pytest.raises(PaymentError, match="nothing left to pay"):
        payment_link_create(staff=staff, bill=bill)

    _, unpaid = fee_case()
    with pytest.raises(PaymentError, match="Enter an email address in the correct format"):
        payment_link_send(staff=staff, payment=unpaid, email="not an email")
    with pytest.raises(PaymentError, match="one fee or one bill"):
        payment_link_create(staff=staff, payment=unpaid, bill=bill_make(reference="INV-2"))
    with pytest.raises(PaymentError, match="Only council staff"):
        payment_link_create(staff=UserFactory(), payment=unpaid)
    with pytest.raises(PaymentError, match="different resident"):
        payment_link_create(staff=staff, payment=unpaid, resident=UserFactory())
    assert PaymentLink.objects.filter(payment=unpaid).count() == 0


def test_a_request_closed_unpaid_cannot_be_paid_through_its_link(web):
    from portal.cases.services import case_transition

    staff = StaffFactory()
    case, payment = fee_case()
    _, path = payment_link_create(staff=staff, payment=payment)
    case_transition(case=case, to="closed_unpaid", actor_role="system", message="Not paid in time")
    page = web.get(path)
    assert page.status_code == 410
    assert "There is nothing to pay" in page.content.decode()


def test_bill_link_makes_a_payment_for_what_the_bill_owes(web, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    resident = UserFactory(full_name="Alex Payer")
    bill = bill_make(amount_due_pence=12050, payer_name="Alex Payer")
    with django_capture_on_commit_callbacks(execute=True):
        link = payment_link_send(staff=staff, bill=bill, resident=resident, email="alex@example.org")
    assert link.user == resident
    path = _path_in_email("alex@example.org")
    (message,) = [m for m in mail.outbox if m.to == ["alex@example.org"]]
    assert "Pay for your trade waste collection, March 2026: INV-204518" in message.subject
    page = web.get(path)
    assert page.status_code == 200 and "£120.50" in page.content.decode()

    # A declined card, then a retry from the ordinary "not successful" page, which succeeds.
    result = _pay_through_link(web, path, card=DECLINED_CARD)
    assert "Your payment was not successful" in result.content.decode()
    first = Payment.objects.get(bill=bill)
    assert (first.amount_pence, first.user, first.email) == (12050, resident, "alex@example.org")
    assert first.status == PaymentStatus.FAILED
    response = web.post(reverse("payments:retry", kwargs={"reference": first.reference}))
    assert response.status_code == 302 and response["Location"].startswith("/payments/sandbox/")
    response = web.post(response["Location"], {"card_number": PAID_CARD, **CARD})
    web.get(response["Location"], follow=True)
    second = Payment.objects.get(retry_of=first)
    assert second.status == PaymentStatus.SUCCESS
    bill.refresh_from_db()
    link.refresh_from_db()
    assert bill.is_paid and bill.amount_paid_pence == 12050
    assert link.paid_payment == second
    assert set(link.attempts.all()) == {first, second}
    assert payment_links_for(bill=bill).get().status == "paid"


def test_another_resident_signed_in_can_pay_but_sees_nothing_else(web):
    staff = StaffFactory()
    owner = UserFactory()
    other = UserFactory()
    case, payment = fee_case(resident=owner)
    _, owner_second_payment = fee_case(resident=owner)
    _, path = payment_link_create(staff=staff, payment=payment)

    web.force_login(other)
    page = web.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert owner.email not in html and owner.full_name not in html
    result = _pay_through_link(web, path)
    html = result.content.decode()
    assert "Payment received" in html
    assert owner.email not in html and "See all your payments" not in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.user == owner
    # Only this payment: the owner's other payment and their request stay hidden.
    other_pages = [
        reverse("payments:pay", kwargs={"reference": owner_second_payment.reference}),
        reverse("payments:result", kwargs={"reference": owner_second_payment.reference}),
        reverse("cases:detail", kwargs={"reference": case.reference}),
    ]
    for url in other_pages:
        assert web.get(url).status_code == 404, url
    assert payment.reference not in web.get(reverse("payments:history")).content.decode()


def test_without_the_link_a_payment_still_needs_its_owner(web):
    staff = StaffFactory()
    _, payment = fee_case()
    payment_link_create(staff=staff, payment=payment)
    page = web.get(reverse("payments:pay", kwargs={"reference": payment.reference}))
    assert page.status_code == 302 and "login" in page["Location"]
    web.force_login(UserFactory())
    assert web.get(reverse("payments:pay", kwargs={"reference": payment.reference})).status_code == 404


def test_face_to_face_the_link_works_where_staff_are_signed_in(web):
    staff = StaffFactory()
    case, payment = fee_case()
    _, path = payment_link_create(staff=staff, payment=payment)
    web.force_login(staff)
    assert web.get(path).status_code == 200
    result = _pay_through_link(web, path)
    assert "Payment received" in result.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payment_links_for(resident=case.resident).get().status == "paid"
    # The log counts the resident's payment, not the member of staff whose browser it was.
    logged = Interaction.objects.filter(type__in=["payment_start", "payment_result"])
    assert logged.count() == 2
    assert set(logged.values_list("user_id", flat=True)) == {case.resident.pk}


def test_a_link_after_a_declined_web_payment_starts_a_new_attempt(web):
    staff = StaffFactory()
    case, payment = fee_case()
    web.force_login(case.resident)
    response = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))
    web.post(response["Location"], {"card_number": DECLINED_CARD, **CARD})
    web.get(reverse("payments:return", kwargs={"reference": payment.reference}))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    web.logout()

    _, path = payment_link_create(staff=staff, payment=payment)
    result = _pay_through_link(web, path)
    assert "Payment received" in result.content.decode()
    retry = Payment.objects.get(retry_of=payment)
    assert retry.status == PaymentStatus.SUCCESS
    assert payment_links_for(payment=payment).get().paid_payment == retry


def test_paid_on_the_web_the_standing_link_shows_paid(web):
    staff = StaffFactory()
    case, payment = fee_case()
    link, path = payment_link_create(staff=staff, payment=payment)
    web.force_login(case.resident)
    response = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))
    response = web.post(response["Location"], {"card_number": PAID_CARD, **CARD})
    web.get(response["Location"])
    link.refresh_from_db()
    assert link.paid_payment == payment and link.status == "paid"


def test_guessing_tokens_is_rate_limited(web, settings):
    from payments.views import LINK_GUESS_LIMIT

    staff = StaffFactory()
    _, payment = fee_case()
    _, path = payment_link_create(staff=staff, payment=payment)
    for n in range(LINK_GUESS_LIMIT):
        assert web.get(reverse("payments:link", kwargs={"token": f"guess-{n}"})).status_code == 404
    refused = web.get(reverse("payments:link", kwargs={"token": "guess-last"}))
    assert refused.status_code == 429 and "Retry-After" in refused
    assert web.get(path).status_code == 429  # this client is paused, even with a real link


def test_owed_by_lists_unpaid_fees_and_the_residents_bills():
    resident = UserFactory(full_name="Jo Smith", postcode="AB1 2CD")
    case, payment = fee_case(resident=resident)
    paid_case, paid_payment = fee_case(resident=resident)
    Payment.objects.filter(pk=paid_payment.pk).update(status=PaymentStatus.SUCCESS)
    _, others = fee_case()
    mine = bill_make(reference="INV-1", payer_name="jo smith", postcode="ab12cd")
    bill_make(reference="INV-2", payer_name="Jo Smith", postcode="ZZ9 9ZZ")  # a namesake elsewhere
    bill_make(reference="INV-3", payer_name="Someone Else", postcode="AB1 2CD")  # a neighbour
    paid = bill_make(reference="INV-4", payer_name="Jo Smith", postcode="AB1 2CD")
    paid.amount_paid_pence = paid.amount_due_pence
    paid.save()
    bill_transition(bill=paid, to="paid")

    owed = payments_owed_by(resident)
    assert owed.fees == [payment]
    assert owed.bills == [mine]


def test_links_for_needs_something_to_look_for():
    assert list(payment_links_for()) == []
