"""Receipts, refunds, payment links and bill reminders by the resident's channel: email, text
message (through the fake GOV.UK Notify, over real HTTP) or letter, in the editors' wording
(``payments/messages.py``)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from django.core import mail
from django.utils import timezone

from payments.constants import BillStatus, PaymentStatus
from payments.models import Bill, Payment, PaymentLink, SandboxCheckout
from payments.providers.sandbox import sandbox_card_submit
from payments.services import (
    PaymentError,
    bill_payment_create,
    bill_reminders_send,
    bill_resident_set,
    payment_link_find,
    payment_link_send,
    payment_refund,
    payment_start,
    payment_status_sync,
    payments_housekeeping,
)
from portal.notifications.models import Notification
from portal.notifications.services import sms_opt_out
from tests.accounts.factories import StaffFactory, UserFactory
from tests.fakes.notify_server import LETTER_TEMPLATE_ID, SMS_TEMPLATE_ID

from .factories import bill_make, fee_case

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"
LONDON = ZoneInfo("Europe/London")


def _texter(**kwargs):
    return UserFactory(contact_preference="sms", phone=PHONE, **kwargs)


def _writer(**kwargs):
    return UserFactory(
        contact_preference="post",
        full_name="Sam Jones",
        address_line_1="12 High Street",
        town="Eastbury",
        postcode="EB1 2CD",
        **kwargs,
    )


def _pay(payment, capture):
    with capture(execute=True):
        payment = payment_start(payment=payment)
        sandbox_card_submit(
            checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
        )
        return payment_status_sync(payment=payment)


def _texts(fake_notify):
    return [sent for sent in fake_notify.sent if sent.path == "/v2/notifications/sms"]


# --- Receipts ---


def test_a_bill_receipt_goes_by_email(django_capture_on_commit_callbacks):
    resident = UserFactory(email="sam@example.org")
    payment = _pay(bill_payment_create(bill=bill_make(), user=resident), django_capture_on_commit_callbacks)
    assert payment.status == PaymentStatus.SUCCESS
    (email,) = mail.outbox
    assert email.to == ["sam@example.org"]
    assert email.subject == f"Your payment receipt: {payment.reference}"
    assert "Amount: £120.50" in email.body and "(bill INV-204518)" in email.body
    row = Notification.objects.get(template="payments/receipt")
    assert (row.channel, row.user) == ("email", resident)


def test_a_bill_receipt_goes_by_text_to_a_resident_who_chose_texts(
    fake_notify, django_capture_on_commit_callbacks
):
    resident = _texter()
    payment = _pay(bill_payment_create(bill=bill_make(), user=resident), django_capture_on_commit_callbacks)
    (sent,) = _texts(fake_notify)
    assert sent.json["phone_number"] == PHONE and sent.json["template_id"] == SMS_TEMPLATE_ID
    body = sent.json["personalisation"]["body"]
    assert "thank you for your payment of £120.50" in body and payment.reference in body
    assert f"/payments/{payment.reference}/receipt/" in body
    assert Notification.objects.get(template="payments/receipt").channel == "sms"
    assert not mail.outbox


def test_a_bill_receipt_goes_by_post_to_a_resident_who_chose_letters(
    fake_notify, django_capture_on_commit_callbacks
):
    resident = _writer()
    payment = _pay(bill_payment_create(bill=bill_make(), user=resident), django_capture_on_commit_callbacks)
    (sent,) = [s for s in fake_notify.sent if s.path == "/v2/notifications/letter"]
    assert sent.json["template_id"] == LETTER_TEMPLATE_ID
    letter = sent.json["personalisation"]
    assert letter["address_line_1"] == "Sam Jones" and letter["address_line_4"] == "EB1 2CD"
    assert letter["subject"] == f"Your payment receipt: {payment.reference}"
    assert "Keep this letter as your receipt" in letter["body"]


# --- Refunds ---


def test_a_refund_goes_by_text(fake_notify, django_capture_on_commit_callbacks):
    resident = _texter()
    payment = _pay(bill_payment_create(bill=bill_make(), user=resident), django_capture_on_commit_callbacks)
    fake_notify.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, amount_pence=2050, reason="Overcharged", staff=StaffFactory())
    (sent,) = _texts(fake_notify)
    body = sent.json["personalisation"]["body"]
    assert f"we have refunded £20.50 of your payment {payment.reference}" in body
    assert Notification.objects.get(template="payments/refund").channel == "sms"


def test_a_refund_goes_by_email_and_by_post(fake_notify, django_capture_on_commit_callbacks):
    emailed = _pay(
        bill_payment_create(bill=bill_make(), email="payer@example.org"), django_capture_on_commit_callbacks
    )
    written = _pay(
        bill_payment_create(bill=bill_make(reference="INV-2"), user=_writer()),
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=emailed, amount_pence=100, reason="Overcharged", staff=StaffFactory())
        payment_refund(payment=written, amount_pence=100, reason="Overcharged", staff=StaffFactory())
    rows = {row.channel: row for row in Notification.objects.filter(template="payments/refund")}
    assert set(rows) == {"email", "letter"}
    assert rows["email"].to == "payer@example.org" and rows["email"].subject.startswith("Refund of £1:")
    assert "Reason: Overcharged" in rows["letter"].body_text


# --- Payment links ---


def test_an_agent_sends_a_payment_link_by_text(fake_notify, django_capture_on_commit_callbacks):
    resident = UserFactory(full_name="Sam Jones")
    case, payment = fee_case(resident=resident, amount_pence=3550)
    with django_capture_on_commit_callbacks(execute=True):
        link = payment_link_send(staff=StaffFactory(), payment=payment, phone=PHONE, channel="sms")
    assert (link.channel, link.sent_to, link.user) == ("sms", PHONE, resident)
    (sent,) = _texts(fake_notify)
    body = sent.json["personalisation"]["body"]
    assert "pay £35.50 for bulky waste collection" in body and case.reference in body
    token = body.split("/pay/link/")[1].split("/")[0]
    assert payment_link_find(token=token) == link
    row = Notification.objects.get(template="payments/payment_link")
    assert row.channel == "sms" and token not in row.body_text and "[link not kept]" in row.body_text


def test_a_payment_link_is_not_texted_to_a_number_that_replied_stop(django_capture_on_commit_callbacks):
    _case, payment = fee_case()
    sms_opt_out(phone=PHONE)
    with pytest.raises(PaymentError, match="cannot send text messages"):
        payment_link_send(staff=StaffFactory(), payment=payment, phone=PHONE, channel="sms")
    assert not PaymentLink.objects.exists() and not Notification.objects.exists()


def test_a_payment_link_needs_a_phone_number_to_go_by_text():
    _case, payment = fee_case()
    with pytest.raises(PaymentError, match="Enter a phone number"):
        payment_link_send(staff=StaffFactory(), payment=payment, phone="", channel="sms")


# --- Bill reminders by text ---

NOON = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)


def _bill_for(resident, **kwargs) -> Bill:
    bill = bill_make(**{"due_date": date(2027, 3, 14), **kwargs})
    type(resident).objects.filter(pk=resident.pk).update(postcode=bill.postcode)
    resident.postcode = bill.postcode  # the resident lives at the bill's address
    assert bill_resident_set(bill=bill, user=resident)
    return bill


def _opted_in(**kwargs):
    return UserFactory(phone=PHONE, bill_reminders_by_text=True, **kwargs)


def test_a_bill_due_within_the_window_gets_one_text_with_a_payment_link(
    web, fake_notify, settings, django_capture_on_commit_callbacks
):
    settings.BILL_REMINDER_DAYS = 5
    resident = _opted_in(full_name="Sam Jones")
    bill = _bill_for(resident)
    with django_capture_on_commit_callbacks(execute=True):
        assert bill_reminders_send(now=NOON) == 1
    (sent,) = _texts(fake_notify)
    assert sent.json["phone_number"] == PHONE
    body = sent.json["personalisation"]["body"]
    assert "your bill INV-204518 for £120.50 is due on 14 March 2027" in body
    token = body.split("/pay/link/")[1].split("/")[0]
    link = payment_link_find(token=token)
    assert (link.bill, link.user, link.channel, link.created_by) == (bill, resident, "sms", None)
    assert web.get(f"/pay/link/{token}/").status_code == 200  # it works without signing in
    bill.refresh_from_db()
    assert bill.reminder_sent_at is not None
    row = Notification.objects.get(template="payments/bill_reminder")
    assert row.channel == "sms" and token not in row.body_text

    # Once only: later runs, and the periodic job, send nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert bill_reminders_send(now=NOON + timedelta(hours=2)) == 0
        assert payments_housekeeping(now=NOON + timedelta(days=1))["bill_reminders_sent"] == 0
    assert len(_texts(fake_notify)) == 1


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (date(2027, 3, 15), 1),  # the last day of the window: 5 days before
        (date(2027, 3, 16), 0),  # not yet
        (date(2027, 3, 10), 1),  # due today, never reminded: still told
        (date(2027, 3, 9), 0),  # past its due date
        (None, 0),  # no due date
    ],
)
def test_only_bills_due_within_the_window_are_reminded(settings, due, sent):
    settings.BILL_REMINDER_DAYS = 5
    _bill_for(_opted_in(), due_date=due)
    assert bill_reminders_send(now=NOON) == sent


def test_the_periodic_job_sends_reminders_in_the_day_only(settings):
    _bill_for(_opted_in())
    night = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)
    assert payments_housekeeping(now=night)["bill_reminders_sent"] == 0
    assert payments_housekeeping(now=NOON)["bill_reminders_sent"] == 1


def test_residents_who_did_not_opt_in_or_have_no_phone_get_no_reminder():
    _bill_for(UserFactory(phone=PHONE, bill_reminders_by_text=False))
    _bill_for(UserFactory(phone="", bill_reminders_by_text=True), reference="INV-2")
    bill_make(reference="INV-3", due_date=date(2027, 3, 14))  # nobody's
    assert bill_reminders_send(now=NOON) == 0
    assert not Notification.objects.exists()


def test_paid_cancelled_and_partly_paid_bills(django_capture_on_commit_callbacks):
    resident = _opted_in()
    paid = _bill_for(resident, reference="INV-PAID")
    _pay(bill_payment_create(bill=paid, user=resident), django_capture_on_commit_callbacks)
    paid.refresh_from_db()
    assert paid.status == BillStatus.PAID
    _bill_for(resident, reference="INV-GONE", status=BillStatus.CANCELLED)
    being_paid = _bill_for(resident, reference="INV-BUSY")
    busy = bill_payment_create(bill=being_paid, user=resident)
    Payment.objects.filter(pk=busy.pk).update(status=PaymentStatus.SUBMITTED)
    part = _bill_for(resident, reference="INV-PART", allows_part_payment=True)
    _pay(bill_payment_create(bill=part, user=resident, amount_pence=50), django_capture_on_commit_callbacks)
    Notification.objects.all().delete()
    assert bill_reminders_send(now=NOON) == 1  # only the part-paid one, for what is left
    (row,) = Notification.objects.filter(template="payments/bill_reminder")
    assert "INV-PART for £120 " in row.body_text


def test_a_number_that_replied_stop_gets_no_reminder_and_the_bill_stays_unclaimed():
    bill = _bill_for(_opted_in())
    sms_opt_out(phone="07700900123")
    assert bill_reminders_send(now=NOON) == 0
    bill.refresh_from_db()
    assert bill.reminder_sent_at is None and not Notification.objects.exists()


def test_a_bill_already_claimed_by_another_run_is_not_sent_again():
    bill = _bill_for(_opted_in())
    # Another run claimed it first (its UPDATE ... WHERE reminder_sent_at IS NULL won).
    Bill.objects.filter(pk=bill.pk).update(reminder_sent_at=timezone.now())
    assert bill_reminders_send(now=NOON) == 0
    assert not Notification.objects.exists()


def test_a_bill_becomes_the_residents_when_they_pay_or_find_it_signed_in(web):
    resident = UserFactory(postcode="ab1 2cd")
    # Someone paying from another address (a relative, a landlord) does not take it over.
    assert not bill_resident_set(bill=bill_make(reference="INV-9"), user=UserFactory(postcode="ZZ9 9ZZ"))
    bill = bill_make()
    bill_payment_create(bill=bill, user=resident)
    bill.refresh_from_db()
    assert bill.resident == resident
    # The first resident keeps it; staff never take it.
    other = bill_make(reference="INV-2")
    assert not bill_resident_set(bill=other, user=StaffFactory())
    web.force_login(resident)
    response = web.post("/pay/", {"reference": "INV-2", "postcode": "AB1 2CD"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.resident == resident
    assert not bill_resident_set(bill=other, user=UserFactory())
