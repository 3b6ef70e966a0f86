import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import default_task_backend
from django.utils import timezone

from .constants import FINAL_STATUSES, MAX_ATTEMPTS, RETRY_DELAYS, NotificationStatus
from .models import Notification

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_email_send(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    template: str = "",
    user=None,
    case=None,
    case_event=None,
) -> Notification:
    """Write an email to the outbox and queue its delivery once the transaction commits.

    The row is the record that the person was (or will be) told; delivery runs as
    a background task so a slow or failing mail server never breaks the request.
    ``case``/``case_event`` link the email to the case update it tells the person about.
    """
    if user is None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(email__iexact=to).first()
    notification = Notification.objects.create(
        to=to,
        user=user,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        template=template,
        case=case,
        case_event=case_event,
    )
    transaction.on_commit(lambda: _enqueue_delivery(notification.pk))
    return notification


def _enqueue_delivery(notification_id, *, delay_seconds: int = 0) -> None:
    from .tasks import deliver_notification

    task = deliver_notification
    if delay_seconds and default_task_backend.supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(str(notification_id))


def notification_deliver(*, notification_id) -> Notification | None:
    """Send one outbox email, at most once; schedule a retry with backoff on failure."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status in FINAL_STATUSES:
            return notification
        notification.status = NotificationStatus.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts", "updated_at"])

    message = EmailMultiAlternatives(
        subject=notification.subject, body=notification.body_text, to=[notification.to]
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - any mailer failure is retried, never lost
        logger.warning("Email %s failed (attempt %s): %s", notification.pk, notification.attempts, exc)
        notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = NotificationStatus.TECHNICAL_FAILURE
            notification.save(update_fields=["status", "last_error", "updated_at"])
            return notification
        notification.status = NotificationStatus.TEMPORARY_FAILURE
        notification.save(update_fields=["status", "last_error", "updated_at"])
        delay = RETRY_DELAYS[min(notification.attempts - 1, len(RETRY_DELAYS) - 1)]
        _enqueue_delivery(notification.pk, delay_seconds=delay)
        return notification

    notification.status = NotificationStatus.DELIVERED
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["status", "sent_at", "last_error", "updated_at"])
    return notification
