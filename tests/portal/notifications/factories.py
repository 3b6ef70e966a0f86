"""Outbox rows for tests: messages sent through the real providers, or caught mid-attempt."""

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from portal.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import (
    notification_email_send,
    notification_housekeeping,
    notification_letter_send,
    notification_sms_send,
)

ADDRESS = ["Sam Jones", "12 High Street", "Eastbury", "EB1 2CD"]


def notification_sending(*, claimed_ago: int, attempts: int = 1, lease: int = 300) -> Notification:
    """A message an attempt claimed ``claimed_ago`` seconds ago and has not finished."""
    claimed_at = timezone.now() - timedelta(seconds=claimed_ago)
    return Notification.objects.create(
        to="resident@example.org",
        subject="Your collection",
        body_text="Tuesday.",
        status=NotificationStatus.SENDING,
        attempts=attempts,
        claimed_at=claimed_at,
        lease_expires_at=claimed_at + timedelta(seconds=lease),
    )


def email_sent(to: str = "sam@example.org", user=None) -> Notification:
    """An email the provider (the fake Notify) has taken: ``sending``, with its id."""
    notification = notification_email_send(to=to, subject="Your request", body_text="We have it.", user=user)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING and notification.provider_id
    return notification


def sms_sent(to: str = "07700 900123", user=None) -> Notification:
    notification = notification_sms_send(to=to, body="Your bin is due.", user=user)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING and notification.provider_id
    return notification


def letter_sent() -> Notification:
    notification = notification_letter_send(address_lines=ADDRESS, subject="Decision", body="Approved.")
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING and notification.provider_id
    return notification


def notification_retries_run(times: int = MAX_ATTEMPTS) -> None:
    """Run the housekeeping ``times`` as if a day passed before each run: every retry that is
    due is attempted. The immediate task backend cannot defer a retry, and a failed attempt is
    never re-run at once (``portal.lib.retry``): in tests, as in production without a deferring
    backend, the housekeeping is what tries a failed message again."""
    for _ in range(times):
        with TestCase.captureOnCommitCallbacks(execute=True):
            notification_housekeeping(now=timezone.now() + timedelta(days=1))
