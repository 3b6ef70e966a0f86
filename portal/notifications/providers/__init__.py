"""Who takes a message from the outbox: one small interface, one module per provider.

``provider_for`` chooses: GOV.UK Notify for every channel when ``NOTIFY_API_KEY`` is set;
otherwise Django's mailer for email (SMTP in production) and the console for texts and
letters, which logs them and leaves them ``sending`` with provider ``console`` so staff see
they were never really sent.

A provider's ``send`` returns the provider's id for the message ("" if it has none) or raises
``TemporaryProviderError`` (tried again with backoff) or ``PermanentProviderError`` (given up:
the address or number cannot be sent to).
"""

from django.conf import settings

from ..constants import NotificationChannel
from ..models import Notification
from .base import MessageContent, PermanentProviderError, Provider, ProviderError, TemporaryProviderError
from .console import ConsoleProvider
from .notify import NotifyProvider
from .smtp import SmtpProvider

__all__ = [
    "MessageContent",
    "PermanentProviderError",
    "Provider",
    "ProviderError",
    "TemporaryProviderError",
    "provider_for",
]


def provider_for(notification: Notification) -> Provider:
    if settings.NOTIFY_API_KEY:
        return NotifyProvider()
    if notification.channel == NotificationChannel.EMAIL:
        return SmtpProvider()
    return ConsoleProvider()
