"""One delivery attempt at a time; an attempt that never finishes is handed on after its lease."""

from datetime import timedelta

import pytest

from django.core import mail
from django.test import override_settings
from django.utils import timezone

from portal.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import notification_deliver, notification_housekeeping
from tests.portal.notifications.factories import notification_sending as _sending

pytestmark = pytest.mark.django_db
LEASE = 300


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_a_second_delivery_while_an_attempt_holds_the_message_sends_nothing():
    notification = _sending(claimed_ago=10)
    notification_deliver(notification_id=notification.pk)
    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENDING, 1)


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_housekeeping_leaves_an_attempt_within_its_lease_alone(django_capture_on_commit_callbacks):
    notification = _sending(claimed_ago=LEASE - 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_housekeeping() == {"lost_attempts": 0, "overdue": 0}
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING
    assert mail.outbox == []


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_an_attempt_lost_with_its_worker_is_retried_after_its_lease(django_capture_on_commit_callbacks):
    notification = _sending(claimed_ago=LEASE + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_housekeeping() == {"lost_attempts": 1, "overdue": 0}
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.attempts == 2
    assert len(mail.outbox) == 1
    # Every copy of an email carries the same Message-ID, made from the outbox id.
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{notification.pk}@council.example>"


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_a_message_stuck_in_sending_from_before_leases_is_retried(django_capture_on_commit_callbacks):
    notification = _sending(claimed_ago=0)
    Notification.objects.filter(pk=notification.pk).update(
        lease_expires_at=None, claimed_at=None, updated_at=timezone.now() - timedelta(minutes=27)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_housekeeping()["lost_attempts"] == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert len(mail.outbox) == 1


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_a_message_whose_last_attempt_was_lost_is_given_up(django_capture_on_commit_callbacks):
    notification = _sending(claimed_ago=LEASE + 1, attempts=MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        notification_housekeeping()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert "did not finish" in notification.last_error
    assert mail.outbox == []


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_a_message_whose_task_was_never_queued_is_queued_by_housekeeping(django_capture_on_commit_callbacks):
    # Written, but the process stopped before its delivery task was queued.
    lost = Notification.objects.create(to="a@example.org", subject="S", body_text="B")
    Notification.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=LEASE + 1)
    )
    recent = Notification.objects.create(
        to="b@example.org", subject="S", body_text="B", next_attempt_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_housekeeping() == {"lost_attempts": 0, "overdue": 1}
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == NotificationStatus.DELIVERED
    assert recent.status == NotificationStatus.CREATED  # its own task is still to come
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


@override_settings(NOTIFICATIONS_SEND_LEASE_SECONDS=LEASE)
def test_a_late_failure_does_not_overwrite_a_newer_attempt():
    from portal.notifications.services import _finish

    notification = _sending(claimed_ago=LEASE + 60)
    stale = Notification.objects.get(pk=notification.pk)
    # A newer attempt claimed the message since.
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now(), attempts=2)
    assert not _finish(stale, status=NotificationStatus.TEMPORARY_FAILURE, last_error="timed out")
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING
    assert notification.last_error == ""
