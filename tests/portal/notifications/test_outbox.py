import socket

import pytest

from django.core import mail
from django.test import override_settings

from portal.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import notification_deliver, notification_email_send
from tests.accounts.factories import UserFactory
from tests.portal.notifications.factories import notification_retries_run

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_email_is_written_to_the_outbox_and_delivered_after_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="outbox@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notification_email_send(
            to="outbox@example.org", subject="Hello", body_text="Body", body_html="<p>Body</p>"
        )
        # Nothing leaves before the transaction that wrote the row commits.
        assert mail.outbox == []
    assert notification.status == NotificationStatus.CREATED
    assert notification.user == user
    for callback in callbacks:
        callback()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_email_send(to="a@example.org", subject="S", body_text="B")
    notification_deliver(notification_id=notification.pk)
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_an_unreachable_mail_server_is_retried_then_marked_as_a_technical_failure(
    django_capture_on_commit_callbacks,
):
    smtp = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }
    with override_settings(MAILERS=smtp):
        with django_capture_on_commit_callbacks(execute=True):
            notification = notification_email_send(to="a@example.org", subject="S", body_text="B")
        # The immediate test backend cannot defer a retry, and a failed attempt is not re-run
        # at once (portal.lib.retry): the housekeeping tries it again once it is due.
        notification_retries_run()
    notification.refresh_from_db()
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert "ConnectionRefusedError" in notification.last_error

    # Once the server is back, a later delivery of a failed message is not repeated.
    notification_deliver(notification_id=notification.pk)
    assert mail.outbox == []


def test_a_temporary_failure_then_success_is_delivered(django_capture_on_commit_callbacks):
    smtp = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }
    notification = Notification.objects.create(to="b@example.org", subject="S", body_text="B")
    with override_settings(MAILERS=smtp):
        from portal.notifications import services

        # Deliver once by hand against the dead server (no retry queue in between).
        original = services._enqueue_delivery
        services._enqueue_delivery = lambda *a, **k: None
        try:
            notification_deliver(notification_id=notification.pk)
        finally:
            services._enqueue_delivery = original
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TEMPORARY_FAILURE
    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.attempts == 2
    assert len(mail.outbox) == 1
