"""Email, text messages and letters through GOV.UK Notify: the official client, over real HTTP,
to the fake Notify in tests/fakes/notify_server.py (which checks the client's JWT)."""

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import jwt
import pytest

from django.core import mail
from django.core.cache import cache
from django.tasks import default_task_backend
from django.test import override_settings
from django.utils import timezone

from portal.notifications.checks import notify_settings_check
from portal.notifications.constants import RETRY_DELAYS, NotificationChannel, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.personal_data import _erase
from portal.notifications.services import (
    InvalidMessage,
    notification_deliver,
    notification_email_send,
    notification_housekeeping,
    notification_letter_send,
    notification_sms_send,
)
from tests.accounts.factories import UserFactory
from tests.fakes.notify_server import (
    EMAIL_TEMPLATE_ID,
    LETTER_TEMPLATE_ID,
    SECRET,
    SERVICE_ID,
    SMS_TEMPLATE_ID,
)
from tests.portal.notifications.factories import notification_retries_run

pytestmark = pytest.mark.django_db

# A backend that keeps what is queued (with when it is due) instead of running it.
KEEP_QUEUED = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
ADDRESS = ["Sam Jones", "12 High Street", "Eastbury", "EB1 2CD"]


def _queued() -> list:
    return list(default_task_backend.results)


def _run_queued() -> None:
    queued = _queued()
    default_task_backend.clear()
    for result in queued:
        result.task.call(*result.args, **result.kwargs)


def test_an_email_goes_through_notify_with_the_email_template(
    fake_notify, django_capture_on_commit_callbacks
):
    user = UserFactory(email="sam@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_email_send(
            to="sam@example.org", subject="Your request BWC-2026-000123", body_text="We have your request."
        )
    notification.refresh_from_db()

    (sent,) = fake_notify.sent
    assert sent.path == "/v2/notifications/email"
    assert sent.json == {
        "email_address": "sam@example.org",
        "template_id": EMAIL_TEMPLATE_ID,
        "personalisation": {"subject": "Your request BWC-2026-000123", "body": "We have your request."},
        "reference": str(notification.pk),
    }
    assert notification.channel == NotificationChannel.EMAIL
    assert notification.user == user
    assert notification.status == NotificationStatus.SENDING
    assert notification.provider == "notify"
    assert notification.provider_id == sent.id
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert mail.outbox == []


def test_a_text_message_goes_through_notify_with_the_sms_template(
    fake_notify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_sms_send(
            to="07700 900123", body="Your bin collection is tomorrow.", template="alerts/bins"
        )
    notification.refresh_from_db()

    (sent,) = fake_notify.sent
    assert sent.path == "/v2/notifications/sms"
    assert sent.json == {
        "phone_number": "07700 900123",
        "template_id": SMS_TEMPLATE_ID,
        "personalisation": {"body": "Your bin collection is tomorrow."},
        "reference": str(notification.pk),
    }
    assert (notification.channel, notification.to, notification.subject) == ("sms", "07700 900123", "")
    assert (notification.status, notification.provider, notification.provider_id) == (
        "sending",
        "notify",
        sent.id,
    )


def test_a_letter_goes_through_notify_with_its_address_lines(fake_notify, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_letter_send(
            address_lines=ADDRESS, subject="Your parking permit", body="Your permit is enclosed."
        )
    notification.refresh_from_db()

    (sent,) = fake_notify.sent
    assert sent.path == "/v2/notifications/letter"
    assert sent.json == {
        "template_id": LETTER_TEMPLATE_ID,
        "personalisation": {
            "address_line_1": "Sam Jones",
            "address_line_2": "12 High Street",
            "address_line_3": "Eastbury",
            "address_line_4": "EB1 2CD",
            "subject": "Your parking permit",
            "body": "Your permit is enclosed.",
        },
        "reference": str(notification.pk),
    }
    assert notification.address_lines == ADDRESS
    assert notification.to == "Sam Jones, 12 High Street, Eastbury, EB1 2CD"
    assert (notification.status, notification.provider_id) == ("sending", sent.id)
    # Notify reports a new letter as "accepted" (polled later for receipts).
    assert fake_notify.by_id(sent.id).status == "accepted"


def test_notify_gets_the_code_the_outbox_keeps_redacted(fake_notify, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_sms_send(
            to="07700 900123", body="Your code is 482913", secrets={"482913": "[redacted code]"}
        )
    notification.refresh_from_db()

    assert fake_notify.sent[0].json["personalisation"] == {"body": "Your code is 482913"}
    assert notification.body_text == "Your code is [redacted code]"
    assert notification.status == NotificationStatus.SENDING
    # Handed over: the real wording is no longer held.
    assert cache.get(f"notifications:unredacted:{notification.pk}") is None


@override_settings(TASKS=KEEP_QUEUED)
def test_a_notify_outage_is_retried_with_backoff_and_sent_once(
    fake_notify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_sms_send(to="07700 900123", body="Case update")
    fake_notify.fail_next(500)
    _run_queued()

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TEMPORARY_FAILURE
    assert notification.last_error == "GOV.UK Notify answered 500: Internal server error"
    assert notification.provider_id == ""
    (retry,) = _queued()
    wait = (retry.task.run_after - timezone.now()).total_seconds()
    assert RETRY_DELAYS[0] - 5 < wait <= RETRY_DELAYS[0]
    assert abs((notification.next_attempt_at - retry.task.run_after).total_seconds()) < 1
    assert fake_notify.sent == []

    _run_queued()
    notification.refresh_from_db()
    (sent,) = fake_notify.sent
    assert (notification.status, notification.provider_id, notification.attempts) == ("sending", sent.id, 2)
    assert notification.last_error == ""
    assert _queued() == []


def test_a_timeout_is_retried_without_sending_twice(
    fake_notify, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_TIMEOUT_SECONDS = 1
    # Notify takes the message but its answer comes too late: the retry finds it by reference.
    fake_notify.hang_next(3)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_email_send(to="a@example.org", subject="S", body_text="B")
    notification_retries_run(times=1)  # the retry, once it is due (portal.lib.retry)
    notification.refresh_from_db()

    (sent,) = fake_notify.sent
    assert notification.attempts == 2
    assert (notification.status, notification.provider_id) == ("sending", sent.id)
    lookups = [r for r in fake_notify.requests if r.method == "GET"]
    assert [r.path for r in lookups] == [f"/v2/notifications?reference={notification.pk}"]


def test_a_timeout_before_notify_took_it_is_sent_on_retry(fake_notify, settings):
    settings.NOTIFY_TIMEOUT_SECONDS = 1
    notification = Notification.objects.create(channel="sms", to="07700 900123", subject="", body_text="B")
    # Nothing listens: the connection is refused, as when Notify cannot be reached.
    settings.NOTIFY_BASE_URL = "http://127.0.0.1:9"
    with override_settings(TASKS=KEEP_QUEUED):
        notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.TEMPORARY_FAILURE
        assert notification.last_error.startswith("GOV.UK Notify did not answer: ConnectionError")
        assert len(_queued()) == 1
    settings.NOTIFY_BASE_URL = fake_notify.url
    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, len(fake_notify.sent)) == ("sending", 2, 1)


def test_an_invalid_number_is_a_permanent_failure_not_retried(
    fake_notify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_sms_send(to="0770 090", body="Case update")
    notification.refresh_from_db()

    assert notification.status == NotificationStatus.PERMANENT_FAILURE
    assert notification.attempts == 1
    assert notification.last_error == "GOV.UK Notify answered 400: phone_number Not enough digits"
    assert notification.provider == "notify"
    assert fake_notify.sent == []
    assert [r.status for r in fake_notify.requests] == [400]


@override_settings(TASKS=KEEP_QUEUED)
def test_a_refused_api_key_is_reported_and_the_message_kept_for_a_retry(
    fake_notify, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_API_KEY = f"portal_test-{SERVICE_ID}-{uuid.uuid4()}"  # the wrong secret
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_letter_send(address_lines=ADDRESS, subject="S", body="B")
    _run_queued()

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TEMPORARY_FAILURE
    assert (
        notification.last_error == "GOV.UK Notify answered 403: Invalid token: signature, api token not found"
    )
    assert [r.status for r in fake_notify.requests] == [403]
    assert len(_queued()) == 1

    settings.NOTIFY_API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"  # the key is put right
    _run_queued()
    notification.refresh_from_db()
    assert (notification.status, len(fake_notify.sent)) == ("sending", 1)


def test_a_message_notify_has_taken_is_not_sent_again(fake_notify, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_sms_send(to="07700 900123", body="B")
    notification_deliver(notification_id=notification.pk)
    # Still "sending" long after (no receipt yet): the housekeeping does not take it as lost.
    assert notification_housekeeping(now=timezone.now() + timedelta(days=1)) == {
        "lost_attempts": 0,
        "overdue": 0,
    }
    notification.refresh_from_db()
    assert (notification.attempts, len(fake_notify.sent)) == (1, 1)


def test_a_missing_template_id_fails_the_message_visibly(
    fake_notify, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_LETTER_TEMPLATE_ID = ""
    with override_settings(TASKS=KEEP_QUEUED):
        with django_capture_on_commit_callbacks(execute=True):
            notification = notification_letter_send(address_lines=ADDRESS, subject="S", body="B")
        _run_queued()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TEMPORARY_FAILURE
    assert "NOTIFY_LETTER_TEMPLATE_ID is not set" in notification.last_error
    assert fake_notify.requests == []


def test_without_a_notify_key_texts_and_letters_are_logged_and_kept(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.NOTIFY_API_KEY = ""
    with (
        caplog.at_level(logging.INFO, logger="portal.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        text = notification_sms_send(to="07700 900123", body="Your bin collection is tomorrow.")
        letter = notification_letter_send(
            address_lines=ADDRESS, subject="Your parking permit", body="Enclosed.", large_print=True
        )
    text.refresh_from_db()
    letter.refresh_from_db()

    for notification in (text, letter):
        assert notification.status == NotificationStatus.SENDING
        assert notification.provider == "console"
        assert notification.provider_id == ""
        assert notification.attempts == 1
    assert letter.large_print is True
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.notifications"]
    assert any("Text message" in m and "07700 900123" in m and "bin collection" in m for m in logged)
    assert any(
        "Letter" in m and "Sam Jones / 12 High Street" in m and "Your parking permit" in m for m in logged
    )
    assert mail.outbox == []
    # Kept as they are: neither sent again nor handed on by the housekeeping.
    assert notification_housekeeping(now=timezone.now() + timedelta(days=1)) == {
        "lost_attempts": 0,
        "overdue": 0,
    }
    notification_deliver(notification_id=text.pk)
    text.refresh_from_db()
    assert text.attempts == 1


def test_without_a_notify_key_email_goes_by_the_mail_server(settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_API_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_email_send(to="a@example.org", subject="S", body_text="B")
    notification.refresh_from_db()
    assert (notification.status, notification.provider, notification.provider_id) == ("delivered", "smtp", "")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<{notification.pk}@")


@pytest.mark.parametrize(
    ("lines", "ok"),
    [
        (["Sam Jones", "EB1 2CD"], False),
        (["Sam", "", "  ", "EB1 2CD"], False),
        (["a"] * 8, False),
        (ADDRESS, True),
    ],
)
def test_a_letter_needs_three_to_seven_address_lines(lines, ok):
    if ok:
        assert notification_letter_send(address_lines=lines, subject="S", body="B").address_lines == lines
    else:
        with pytest.raises(InvalidMessage, match="3 to 7 lines"):
            notification_letter_send(address_lines=lines, subject="S", body="B")
    assert Notification.objects.count() == int(ok)


def test_a_text_needs_a_number():
    with pytest.raises(InvalidMessage, match="phone number"):
        notification_sms_send(to="", body="B")


def test_the_fake_refuses_a_token_from_a_clock_out_of_step(fake_notify):
    token = jwt.encode({"iss": SERVICE_ID, "iat": int(time.time()) - 60}, SECRET, algorithm="HS256")
    request = urllib.request.Request(
        f"{fake_notify.url}/v2/notifications/sms",
        data=json.dumps({"phone_number": "07700900123", "template_id": SMS_TEMPLATE_ID}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert json.load(refused.value) == {
        "errors": [
            {
                "error": "AuthError",
                "message": "Error: Your system clock must be accurate to within 30 seconds",
            }
        ],
        "status_code": 403,
    }
    assert fake_notify.sent == []


def test_the_system_check_warns_of_a_key_without_templates(settings):
    settings.NOTIFY_API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE_ID
    settings.NOTIFY_SMS_TEMPLATE_ID = ""
    settings.NOTIFY_LETTER_TEMPLATE_ID = LETTER_TEMPLATE_ID
    settings.NOTIFY_CALLBACK_TOKEN = "a-callback-token"
    (warning,) = notify_settings_check()
    assert warning.id == "notifications.W002"
    assert "NOTIFY_SMS_TEMPLATE_ID" in warning.msg
    settings.NOTIFY_API_KEY = ""
    assert notify_settings_check() == []


def test_a_large_print_letter_uses_the_large_print_template(
    fake_notify, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID = large_print = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        notification_letter_send(address_lines=ADDRESS, subject="S", body="B", large_print=True)
        notification_letter_send(address_lines=ADDRESS, subject="S", body="B")
    assert [sent.json["template_id"] for sent in fake_notify.sent] == [large_print, LETTER_TEMPLATE_ID]


def test_deleting_an_account_scrubs_its_letters(settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_API_KEY = ""
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        letter = notification_letter_send(address_lines=ADDRESS, subject="S", body="B", user=user)
    _erase(user)
    letter.refresh_from_db()
    assert (letter.user, letter.to, letter.address_lines, letter.body_text) == (None, "", [], "")
    assert letter.channel == "letter"
