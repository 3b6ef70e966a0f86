"""A form with a fee: one email when the resident pays straight away (the confirmation with the
receipt in it), not a confirmation, a receipt and a case update within a minute; and the
confirmation is listed on the staff case page."""

from datetime import timedelta

import pytest

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from forms_engine.models import Submission
from payments.models import Payment
from portal.cases.models import Case
from portal.notifications.models import Notification
from portal.notifications.services import notification_email_send, notification_housekeeping
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import bulky_waste_form
from tests.forms_engine.helpers import bulky_answers, check_url, form_start, step_url
from tests.payments.factories import fee_case
from tests.portal.cases.factories import officer_in, team_make

pytestmark = pytest.mark.django_db

CARD = {
    "card_number": "4242424242424242",
    "expiry_month": "12",
    "expiry_year": "2039",
    "cardholder_name": "Sam Resident",
    "cvc": "123",
}


def _submit_bulky(web, user, team):
    bulky_waste_form(team=team, sla_working_days=10)
    web.force_login(user)
    draft = form_start(web, "bulky-waste")
    for number, data in enumerate(bulky_answers(items=3), start=1):
        assert web.post(step_url(draft, number), data).status_code == 302
    mail.outbox.clear()
    web.post(check_url(draft))
    return Submission.objects.get(), Payment.objects.get()


def _pay(web, payment):
    sandbox_url = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))["Location"]
    response = web.post(sandbox_url, CARD)
    assert response.status_code == 302
    web.get(response["Location"], follow=True)


def test_paying_at_once_sends_one_email_with_the_confirmation_and_the_receipt(web):
    user = UserFactory()
    submission, payment = _submit_bulky(web, user, team_make())
    assert not mail.outbox  # held for the payment
    _pay(web, payment)
    payment.refresh_from_db()
    case = Case.objects.get(pk=submission.case_id)
    assert payment.status == "success" and case.status == "submitted"
    (email,) = mail.outbox
    assert case.reference in email.subject and "and your payment" in email.subject
    assert "We have received your request" in email.body
    assert "You have paid £45" in email.body
    assert (
        "Your payment receipt" in email.body
        and payment.reference in email.body
        and "Amount: £45" in email.body
    )
    assert "We will start work on your request when you have paid" not in email.body
    # One outbox row, linked to the case, delivered.
    (row,) = Notification.objects.all()
    assert row.case_id == case.pk and row.status == "delivered"


def test_a_resident_who_does_not_pay_still_gets_the_confirmation_after_the_hold(
    web, django_capture_on_commit_callbacks
):
    submission, _payment = _submit_bulky(web, UserFactory(), team_make())
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        notification_housekeeping(now=timezone.now() + timedelta(minutes=30))
    (email,) = mail.outbox
    assert submission.case.reference in email.body and "when you have paid £45" in email.body


def test_a_receipt_without_a_held_confirmation_is_sent_on_its_own(web):
    case, payment = fee_case()
    web.force_login(case.resident)
    mail.outbox.clear()
    _pay(web, payment)
    (email,) = mail.outbox
    assert "Your payment receipt" in email.subject
    assert Notification.objects.get().case_id == case.pk


def test_a_held_email_is_never_sent_early(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = notification_email_send(to="sam@example.com", subject="Held", body_text="x", hold_seconds=900)
    assert not mail.outbox
    row.refresh_from_db()
    assert row.status == "created" and row.next_attempt_at > timezone.now() + timedelta(minutes=14)


def test_the_staff_case_page_lists_the_confirmation(web, client):
    team = team_make()
    submission, payment = _submit_bulky(web, UserFactory(), team)
    _pay(web, payment)
    client.force_login(officer_in(team))
    page = client.get(f"/admin/cases/{submission.case_id}/").content.decode()
    assert "No messages have been sent" not in page
    assert "Book a bulky waste collection: we have your request and your payment" in page


def test_paying_at_once_sends_one_text_with_the_confirmation_and_the_receipt(
    web, fake_notify, django_capture_on_commit_callbacks
):
    user = UserFactory(contact_preference="sms", phone="07700 900123")
    submission, payment = _submit_bulky(web, user, team_make())
    assert not fake_notify.sent  # held for the payment, as an email is
    _pay(web, payment)
    case = Case.objects.get(pk=submission.case_id)
    (sent,) = [s for s in fake_notify.sent if s.path == "/v2/notifications/sms"]
    body = sent.json["personalisation"]["body"]
    assert "and your payment of £45" in body and case.reference in body and payment.reference in body
    (row,) = Notification.objects.all()
    assert (row.channel, row.case_id, row.template) == ("sms", case.pk, "forms_engine/submitted")
    assert row.body_text == body
