from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from ..constants import NotificationProvider, NotificationStatus
from ..models import Notification
from .base import MessageContent, TemporaryProviderError


class SmtpProvider:
    """Email by Django's mailer (SMTP when ``SMTP_HOST`` is set; the console in development).

    The server taking the message is as far as we can see, so it counts as delivered. SMTP has
    no idempotency key: a retry after a worker died mid-send may send a second copy, with the
    same Message-ID (made from the outbox id) so mail systems can tell it is the same message.
    """

    name: str = NotificationProvider.SMTP
    accepted_status: str = NotificationStatus.DELIVERED

    def send(self, notification: Notification, content: MessageContent) -> str:
        message = EmailMultiAlternatives(
            subject=content.subject,
            body=content.body_text,
            to=[notification.to],
            headers={"Message-ID": message_id(notification)},
        )
        if content.body_html:
            message.attach_alternative(content.body_html, "text/html")
        try:
            message.send()
        except Exception as exc:
            raise TemporaryProviderError(f"{type(exc).__name__}: {exc}") from exc
        return ""


def message_id(notification: Notification) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portal.invalid"
    return f"<{notification.pk}@{domain}>"
