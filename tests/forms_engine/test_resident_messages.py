"""The forms' messages by the resident's channel: the link to come back to a form (email or
text, never post) and the confirmation of a request (email, text or letter), in the editors'
wording (``forms_engine/messages.py``), texts and letters through the fake GOV.UK Notify."""

import pytest

from django.core import mail
from django.test import Client

from forms_engine.messages import RESUME_LINK
from forms_engine.models import Submission
from forms_engine.services import ResumeLinkNotSent, draft_resume_link_send
from portal.notifications.messages import message_type
from portal.notifications.models import Notification
from portal.notifications.services import sms_opt_out
from tests.accounts.factories import UserFactory
from tests.fakes.notify_server import SMS_TEMPLATE_ID
from tests.portal.cases.factories import team_make

from .factories import bulky_waste_form, missed_bin_form
from .helpers import bulky_answers, check_url, form_start, missed_bin_answers, step_url

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"


def _texts(fake_notify):
    return [sent for sent in fake_notify.sent if sent.path == "/v2/notifications/sms"]


# --- The link to come back to a form ---


def test_the_resume_link_goes_by_email_and_is_not_kept(web, django_capture_on_commit_callbacks):
    missed_bin_form(sign_in="optional")
    draft = form_start(web, "missed-bin")
    with django_capture_on_commit_callbacks(execute=True):
        token = draft_resume_link_send(draft=draft, email="b@example.org")
    (email,) = mail.outbox
    assert email.to == ["b@example.org"] and email.subject == "Continue your form: Report a missed bin"
    assert f"/forms/resume/{token}/" in email.body
    row = Notification.objects.get(template="forms_engine/resume_link")
    assert row.channel == "email" and token not in row.body_text and "[link not kept]" in row.body_text


def test_the_resume_link_goes_by_text(web, fake_notify, django_capture_on_commit_callbacks):
    missed_bin_form(sign_in="optional")
    draft = form_start(web, "missed-bin")
    with django_capture_on_commit_callbacks(execute=True):
        token = draft_resume_link_send(draft=draft, phone=PHONE)
    (sent,) = _texts(fake_notify)
    assert sent.json["phone_number"] == PHONE and sent.json["template_id"] == SMS_TEMPLATE_ID
    body = sent.json["personalisation"]["body"]
    assert "carry on with your form Report a missed bin here:" in body and f"/forms/resume/{token}/" in body
    row = Notification.objects.get(template="forms_engine/resume_link")
    assert row.channel == "sms" and token not in row.body_text
    # Opened on the resident's phone (another browser), it brings the answers back.
    assert Client().get(f"/forms/resume/{token}/").status_code == 302


def test_the_resume_link_is_not_texted_to_a_number_that_replied_stop(web):
    missed_bin_form(sign_in="optional")
    draft = form_start(web, "missed-bin")
    sms_opt_out(phone=PHONE)
    with pytest.raises(ResumeLinkNotSent):
        draft_resume_link_send(draft=draft, phone=PHONE)
    assert not Notification.objects.exists()


def test_the_resume_link_never_goes_by_post():
    assert message_type(RESUME_LINK).letter_body == ""
    assert "link" in message_type(RESUME_LINK).secret_placeholders


# --- The confirmation of a request ---


def _send_missed_bin(web, user):
    missed_bin_form()
    web.force_login(user)
    draft = form_start(web, "missed-bin")
    # Steps 1, 3 and 4: step 2 (a garden waste permit) is not shown for general waste.
    for number, data in zip([1, 3, 4], missed_bin_answers(), strict=True):
        assert web.post(step_url(draft, number), data).status_code == 302
    assert web.post(check_url(draft)).status_code == 302
    return Submission.objects.get()


def test_the_confirmation_goes_by_email(web, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = _send_missed_bin(web, UserFactory(email="sam@example.org"))
    (email,) = mail.outbox
    reference = submission.case.reference
    assert email.subject == f"Report a missed bin: we have your request {reference}"
    assert f"Your reference number is {reference}." in email.body
    assert f"/my-account/cases/{reference}/" in email.body


def test_the_confirmation_goes_by_text(web, fake_notify, django_capture_on_commit_callbacks):
    resident = UserFactory(contact_preference="sms", phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        submission = _send_missed_bin(web, resident)
    (sent,) = _texts(fake_notify)
    body = sent.json["personalisation"]["body"]
    reference = submission.case.reference
    assert f"we have your request Report a missed bin. Your reference is {reference}." in body
    assert f"/my-account/cases/{reference}/" in body
    row = Notification.objects.get(template="forms_engine/submitted")
    assert (row.channel, row.case_id, row.user) == ("sms", submission.case_id, resident)
    assert not mail.outbox


def test_the_confirmation_goes_by_post(web, fake_notify, django_capture_on_commit_callbacks):
    resident = UserFactory(
        contact_preference="post",
        full_name="Sam Jones",
        address_line_1="12 High Street",
        town="Eastbury",
        postcode="EB1 2CD",
    )
    with django_capture_on_commit_callbacks(execute=True):
        submission = _send_missed_bin(web, resident)
    (sent,) = [s for s in fake_notify.sent if s.path == "/v2/notifications/letter"]
    letter = sent.json["personalisation"]
    assert letter["address_line_1"] == "Sam Jones"
    assert letter["subject"] == f"Your request {submission.case.reference}"
    assert letter["body"].startswith("Dear Sam Jones,")


def test_a_fee_confirmation_by_text_says_what_to_pay(web, fake_notify, django_capture_on_commit_callbacks):
    bulky_waste_form(team=team_make())
    web.force_login(UserFactory(contact_preference="sms", phone=PHONE))
    draft = form_start(web, "bulky-waste")
    for number, data in enumerate(bulky_answers(items=3), start=1):
        assert web.post(step_url(draft, number), data).status_code == 302
    web.post(check_url(draft))
    row = Notification.objects.get(template="forms_engine/submitted")
    assert row.channel == "sms"
    assert "We will start work on your request when you have paid £45." in row.body_text
