import logging

from django.conf import settings

from ..constants import NotificationProvider, NotificationStatus
from ..models import Notification
from .base import MessageContent

logger = logging.getLogger("portal.notifications")


class ConsoleProvider:
    """Texts and letters without a GOV.UK Notify key (development): logged, not sent.

    The row stays ``sending`` with provider ``console``: kept and visible to staff as never
    delivered by a real provider, rather than silently dropped.
    """

    name: str = NotificationProvider.CONSOLE
    accepted_status: str = NotificationStatus.SENDING

    def send(self, notification: Notification, content: MessageContent) -> str:
        to = " / ".join(notification.address_lines) if notification.address_lines else notification.to
        # A sign-in link or code reaches the log only on a developer's machine (DEBUG); anywhere
        # else the log gets the outbox's own wording, with them replaced.
        if notification.redacted and not settings.DEBUG:
            content = MessageContent(subject=notification.subject, body_text=notification.body_text)
        logger.info(
            "Not sent (no NOTIFY_API_KEY): %s %s to %s%s\n%s",
            notification.get_channel_display(),
            notification.pk,
            to,
            f" — {content.subject}" if content.subject else "",
            content.body_text,
        )
        return ""
