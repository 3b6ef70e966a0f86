"""My account's messages by the channel the resident chose: texts through the fake
Notify, the sign-in code by text, the prompt to check an address Notify could not deliver to,
bill reminders by text, and STOP cleared when the resident chooses texts again."""

import re
from datetime import date

import pytest

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.services import profile_update, proxy_accept, proxy_end, proxy_invite
from portal.notifications.constants import NotificationChannel, NotificationStatus
from portal.notifications.models import Notification, SmsOptOut
from portal.notifications.services import sms_opt_out
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "07700900982"


@pytest.fixture
def texter():
    return UserFactory(
        email="jo@example.org", full_name="Jo Resident", phone=MOBILE, contact_preference="sms"
    )


def _failed(user, channel: str, to: str) -> Notification:
    """Notify reported a permanent failure on this address (as a delivery receipt records)."""
    return Notification.objects.create(
        user=user,
        channel=channel,
        to=to,
        subject="",
        body_text="x",
        status=NotificationStatus.PERMANENT_FAILURE,
    )


# --- Messages by text, through Notify ---------------------------------------------------------------


def test_someone_acting_for_a_resident_who_chose_texts_is_told_by_text(
    texter, fake_notify, django_capture_on_commit_callbacks
):
    carer = UserFactory(email="sam@example.org", full_name="Sam Carer")
    with django_capture_on_commit_callbacks(execute=True):
        proxy, _token = proxy_invite(
            resident=texter, email="sam@example.org", relationship="carer", can_submit=True, can_pay=False
        )
    # The invitation is only ever an email, to the address the resident typed.
    invitation = Notification.objects.get(template="accounts/proxy_invitation")
    assert (invitation.channel, invitation.to) == ("email", "sam@example.org")
    assert "[link not kept]" in invitation.body_text and "send messages and replies" in invitation.body_text
    assert "pay fees" not in invitation.body_text

    with django_capture_on_commit_callbacks(execute=True):
        proxy_accept(proxy=proxy, person=carer)
    told = Notification.objects.get(template="accounts/proxy_accepted")
    assert (told.channel, told.to, told.user) == ("sms", MOBILE, texter)
    [sms] = [sent for sent in fake_notify.sent if sent.path == "/v2/notifications/sms"]
    assert sms.json["phone_number"] == MOBILE
    assert "Sam Carer can now act for you online, as your carer" in sms.json["personalisation"]["body"]

    with django_capture_on_commit_callbacks(execute=True):
        proxy_end(proxy=proxy, by=texter)
    ended = Notification.objects.get(template="accounts/proxy_ended")
    assert (ended.channel, ended.to) == ("email", "sam@example.org")  # the carer's own preference


def test_an_invitation_with_an_end_date_says_until_when(texter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proxy_invite(
            resident=texter,
            email="sam@example.org",
            relationship="friend",
            can_submit=False,
            can_pay=True,
            ends_on=date(2099, 3, 14),
        )
    body = mail.outbox[-1].body
    assert "until 14 March 2099." in body and "pay fees on their requests" in body
    assert re.search(r"/my-account/act-for/[^/\s]+/", body)  # the real link goes to the person


# --- Sign-in codes stay by email --------------------------------------------------------------------


def test_the_sign_in_code_is_emailed_even_to_a_resident_who_chose_texts(
    texter, django_capture_on_commit_callbacks
):
    """A phone number is typed, never proved: a code sent to it would let whoever set it sign in."""
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("account_request_login_code"), {"email": texter.email})
    assert response["Location"] == reverse("account_confirm_login_code")
    assert mail.outbox[-1].subject == "Your sign-in code" and mail.outbox[-1].to == [texter.email]
    assert not Notification.objects.filter(channel="sms").exists()


def test_password_reset_stays_by_email(texter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("account_reset_password"), {"email": texter.email})
    assert mail.outbox and mail.outbox[-1].to == [texter.email]
    assert not Notification.objects.filter(channel="sms").exists()


# --- An address Notify could not deliver to: asked at the next sign-in --------------------------------


def _sign_in(client, user, next_url=""):
    data = {"login": user.email, "password": DEFAULT_PASSWORD}
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, data)


def test_at_sign_in_a_resident_is_asked_once_to_check_an_undeliverable_number(texter):
    _failed(texter, NotificationChannel.SMS, MOBILE)
    client = Client()
    response = _sign_in(client, texter, next_url=reverse("account_security"))
    check = reverse("account_contact_check")
    assert response.status_code == 302 and response["Location"].startswith(check)
    page = client.get(response["Location"]).content.decode()
    assert "We could not reach you at <strong>07700 900982</strong>" in page
    assert reverse("account_profile_change", args=["phone"]) in page
    assert f'href="{reverse("account_security")}"' in page  # "my details are correct, continue"

    client.logout()
    response = _sign_in(client, texter)
    assert not response["Location"].startswith(check)  # shown once for this failure

    _failed(texter, NotificationChannel.SMS, MOBILE)  # a new failure asks again
    client.logout()
    assert _sign_in(client, texter)["Location"].startswith(check)


def test_an_undeliverable_email_address_is_asked_about(texter):
    _failed(texter, NotificationChannel.EMAIL, texter.email)
    client = Client()
    response = _sign_in(client, texter)
    page = client.get(response["Location"]).content.decode()
    assert "We could not reach you at <strong>jo@example.org</strong>" in page
    assert reverse("account_email") in page
    profile = client.get(reverse("account_profile")).content.decode()
    assert "Our emails to jo@example.org could not be delivered" in profile


def test_no_flag_no_question_and_the_page_sends_you_on(texter):
    client = Client()
    response = _sign_in(client, texter)
    assert response["Location"] != reverse("account_contact_check")
    check = reverse("account_contact_check") + "?next=https://evil.example/"
    assert client.get(check)["Location"] == reverse("my_account")


# --- Texts again after STOP, and bill reminders by text ---------------------------------------------

PREFERENCE = reverse("account_profile_change", args=["contact-preference"])


def test_choosing_texts_in_my_account_does_not_undo_a_stop(fake_notify):
    """A number is typed, never proved: only START from the number itself undoes its STOP."""
    user = UserFactory(email="kim@example.org", phone=MOBILE)
    sms_opt_out(phone=MOBILE)
    client = Client()
    client.force_login(user)
    page = client.get(PREFERENCE).content.decode()
    assert "reply STOP" in page and "text START to the same number" in page
    response = client.post(PREFERENCE, {"contact_preference": "sms", "phone": "07700 900982"})
    assert response.status_code == 302
    assert SmsOptOut.objects.exists()


def test_choosing_email_does_not_clear_a_stop():
    user = UserFactory(email="kim@example.org", phone=MOBILE)
    sms_opt_out(phone=MOBILE)
    client = Client()
    client.force_login(user)
    client.post(PREFERENCE, {"contact_preference": "email"})
    assert SmsOptOut.objects.exists()


def test_bill_reminders_by_text_need_a_mobile_number():
    user = UserFactory(email="kim@example.org")
    client = Client()
    client.force_login(user)
    page = client.get(PREFERENCE).content.decode()
    assert 'name="bill_reminders_by_text"' in page
    response = client.post(
        PREFERENCE, {"contact_preference": "email", "bill_reminders_by_text": "on", "phone": ""}
    )
    assert response.status_code == 200
    assert "Enter a UK mobile number to get bill reminders by text" in response.content.decode()
    user.refresh_from_db()
    assert user.bill_reminders_by_text is False

    sms_opt_out(phone=MOBILE)
    response = client.post(
        PREFERENCE, {"contact_preference": "email", "bill_reminders_by_text": "on", "phone": "07700 900982"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.bill_reminders_by_text, user.phone, user.contact_preference) == (True, MOBILE, "email")
    assert SmsOptOut.objects.exists()  # a STOP stands until START comes from the number

    client.post(PREFERENCE, {"contact_preference": "email"})
    user.refresh_from_db()
    assert user.bill_reminders_by_text is False and user.phone == MOBILE  # the number stays


def test_removing_the_mobile_number_stops_bill_reminders_by_text():
    user = UserFactory(email="kim@example.org", phone=MOBILE, bill_reminders_by_text=True)
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_profile_change", args=["phone"]), {"phone": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.phone, user.bill_reminders_by_text) == ("", False)


def test_the_account_email_is_told_when_the_phone_number_changes(django_capture_on_commit_callbacks):
    resident = UserFactory(email="sam@example.org", phone="07700900111")
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=resident, by_resident=True, phone="07700 900999")
    told = Notification.objects.get(template="accounts/phone_changed")
    assert (told.channel, told.to) == ("email", "sam@example.org")
    assert "ends in 999" in told.body_text and "/my-account/security/" in told.body_text
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=resident, by_resident=True, full_name="Sam Jones")
    assert Notification.objects.filter(template="accounts/phone_changed").count() == 1
