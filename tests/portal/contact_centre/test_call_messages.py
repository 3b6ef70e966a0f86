"""What an agent sends a caller: a link by email or by text to the caller's phone,
their preference first, with a clear error when they cannot be reached that way; and the
record shows an address Notify could not deliver to."""

import pytest

from django.conf import settings

from accounts.constants import IdentityCheck
from payments.models import PaymentLink
from portal.notifications.constants import NotificationChannel, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import sms_opt_out
from tests.accounts.factories import UserFactory, staff_in
from tests.payments.factories import fee_case
from tests.portal.contact_centre.test_calls import (
    CLOSE,
    PAYMENT_LINK,
    RECORD,
    START,
    identify,
    signed_in,
    take_call,
    text,
)

pytestmark = pytest.mark.django_db

MOBILE = "07700900982"


@pytest.fixture
def desk():
    return signed_in(staff_in("Contact centre", full_name="Alex Agent"))


@pytest.fixture
def resident():
    return UserFactory(
        email="pat.lee@example.org",
        full_name="Pat Lee",
        phone=MOBILE,
        contact_preference="sms",
        address_line_1="12 Acacia Avenue",
        town="Anytown",
        postcode="AB1 2DE",
    )


def _close(desk, **extra):
    answers = {
        "service_code": "524",
        "reason_code": "8",
        "tried_online": "no",
        "avoidable": "no",
        "resolved_first_contact": "yes",
        "online_help": "on",
        "online_help_url": f"{settings.SITE_URL}/bins/missed/",
        **extra,
    }
    return desk.post(CLOSE, answers)


def test_the_agent_texts_the_online_help_link(
    desk, resident, fake_notify, django_capture_on_commit_callbacks
):
    take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    form = desk.get(CLOSE).context["form"]
    assert form.fields["online_help_by"].initial == "sms"  # the caller's own preference
    with django_capture_on_commit_callbacks(execute=True):
        response = _close(desk, online_help_by="sms")
    assert response.status_code == 302 and response["Location"] == START
    row = Notification.objects.get(template="contact_centre/online_help")
    assert (row.channel, row.to) == ("sms", MOBILE)
    [sent] = fake_notify.sent
    assert sent.path == "/v2/notifications/sms"
    assert f"{settings.SITE_URL}/bins/missed/" in sent.json["personalisation"]["body"]


def test_or_emails_it_when_the_caller_asks(desk, resident, django_capture_on_commit_callbacks):
    take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    with django_capture_on_commit_callbacks(execute=True):
        assert _close(desk, online_help_by="email").status_code == 302
    row = Notification.objects.get(template="contact_centre/online_help")
    assert (row.channel, row.to, row.subject) == (
        "email",
        "pat.lee@example.org",
        "How to do this online next time",
    )


def test_a_text_to_a_caller_with_no_phone_says_so(desk):
    someone = UserFactory(email="kim@example.org", full_name="Kim Park")
    take_call(desk)
    identify(desk, someone, IdentityCheck.ADDRESS_AND_CONTACT)
    assert desk.get(CLOSE).context["form"].fields["online_help_by"].initial == "email"
    response = _close(desk, online_help_by="sms")
    assert response.status_code == 200
    assert "The caller has no phone number on their record" in text(response)
    assert not Notification.objects.filter(template="contact_centre/online_help").exists()


def test_a_number_that_replied_stop_cannot_be_texted(desk, resident):
    sms_opt_out(phone=MOBILE)
    take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    response = _close(desk, online_help_by="sms")
    assert "replied STOP" in text(response)


def test_the_agent_texts_a_payment_link(desk, resident, fake_notify, django_capture_on_commit_callbacks):
    _case, payment = fee_case(resident=resident, amount_pence=3500)
    take_call(desk)
    identify(desk, resident)
    page = text(desk.get(RECORD))
    assert 'value="sms" checked' in page and "By text message" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(PAYMENT_LINK, {"payment": payment.pk, "action": "send", "send_by": "sms"})
    assert response.status_code == 302 and response["Location"] == RECORD
    link = PaymentLink.objects.get()
    assert (link.channel, link.sent_to, link.user) == ("sms", MOBILE, resident)
    row = Notification.objects.get(template="payments/payment_link")
    assert (row.channel, row.to) == ("sms", MOBILE)
    assert "pay £35" in row.body_text and "[link not kept]" in row.body_text
    [sent] = fake_notify.sent
    assert f"{settings.SITE_URL}/pay/" in sent.json["personalisation"]["body"]
    assert "sent to 07700 900982" in text(desk.get(RECORD))


def test_a_payment_link_by_text_needs_a_phone(desk):
    someone = UserFactory(email="kim@example.org", full_name="Kim Park")
    _case, payment = fee_case(resident=someone, amount_pence=3500)
    take_call(desk)
    identify(desk, someone)
    response = desk.post(
        PAYMENT_LINK, {"payment": payment.pk, "action": "send", "send_by": "sms"}, follow=True
    )
    assert "The caller has no phone number on their record" in text(response)
    assert not PaymentLink.objects.exists()


def test_the_agent_sees_an_address_notify_could_not_deliver_to(desk, resident):
    Notification.objects.create(
        user=resident,
        channel=NotificationChannel.SMS,
        to=MOBILE,
        subject="",
        body_text="x",
        status=NotificationStatus.PERMANENT_FAILURE,
    )
    take_call(desk)
    identify(desk, resident)
    page = text(desk.get(RECORD))
    assert (
        "We could not reach them" in page
        and "Texts to <strong>07700 900982</strong> could not be delivered" in page
    )
    assert "Texts undeliverable" in page
