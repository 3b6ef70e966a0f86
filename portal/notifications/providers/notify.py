"""GOV.UK Notify, through its official client (``notifications-python-client``).

One generic template per channel (``NOTIFY_EMAIL_TEMPLATE_ID``, ``NOTIFY_SMS_TEMPLATE_ID``,
``NOTIFY_LETTER_TEMPLATE_ID``), whose personalisation carries the portal's wording:
``subject`` and ``body``, and for letters ``address_line_1`` to ``address_line_7``. The
``reference`` is the outbox row's id, so Notify's receipts (and a retry) can find the row.

Notify has no idempotency key. A retry after an answer that never came (a timeout, a 5xx)
first asks Notify for a message with this reference and takes its id if there is one, so a
message Notify did take is not sent twice.
"""

import logging
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from django.conf import settings

from ..constants import NotificationChannel, NotificationProvider, NotificationStatus
from ..models import Notification
from .base import MessageContent, PermanentProviderError, TemporaryProviderError

logger = logging.getLogger("portal.notifications")

# Client errors worth trying again: credentials refused (a key being rotated, a clock out of
# step) and Notify's rate limits. Every other 4xx would fail the same way again.
RETRYABLE_CLIENT_ERRORS = frozenset({401, 403, 408, 429})
MAX_ADDRESS_LINES = 7


def template_id(channel: str, *, large_print: bool = False) -> str:
    if (
        channel == NotificationChannel.LETTER
        and large_print
        and settings.NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID
    ):
        return settings.NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID
    templates: dict[str, str] = {
        NotificationChannel.EMAIL: settings.NOTIFY_EMAIL_TEMPLATE_ID,
        NotificationChannel.SMS: settings.NOTIFY_SMS_TEMPLATE_ID,
        NotificationChannel.LETTER: settings.NOTIFY_LETTER_TEMPLATE_ID,
    }
    return templates.get(channel, "")


def client() -> NotificationsAPIClient:
    return NotificationsAPIClient(
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=settings.NOTIFY_TIMEOUT_SECONDS
    )


class NotifyProvider:
    name: str = NotificationProvider.NOTIFY
    # Notify has taken it; its delivery receipt says later whether it arrived.
    accepted_status: str = NotificationStatus.SENDING

    def send(self, notification: Notification, content: MessageContent) -> str:
        template = template_id(notification.channel, large_print=notification.large_print)
        if not template:
            setting = f"NOTIFY_{notification.channel.upper()}_TEMPLATE_ID"
            raise TemporaryProviderError(
                f"{setting} is not set: GOV.UK Notify needs a template to send this."
            )
        if (
            notification.channel == NotificationChannel.LETTER
            and notification.large_print
            and (template == settings.NOTIFY_LETTER_TEMPLATE_ID)
        ):
            logger.warning(
                "Letter %s asked for large print; NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID is not set",
                notification.pk,
            )
        api = client()
        reference = str(notification.pk)
        try:
            if notification.attempts > 1:
                taken = _already_taken(api, reference)
                if taken:
                    return taken
            response = self._post(api, notification, content, template=template, reference=reference)
        except APIError as exc:
            raise _error(exc) from exc
        return str(response["id"])

    def _post(
        self,
        api: NotificationsAPIClient,
        notification: Notification,
        content: MessageContent,
        *,
        template: str,
        reference: str,
    ) -> dict[str, Any]:
        if notification.channel == NotificationChannel.EMAIL:
            return api.send_email_notification(
                email_address=notification.to,
                template_id=template,
                personalisation={"subject": content.subject, "body": content.body_text},
                reference=reference,
            )
        if notification.channel == NotificationChannel.SMS:
            return api.send_sms_notification(
                phone_number=notification.to,
                template_id=template,
                personalisation={"body": content.body_text},
                reference=reference,
            )
        lines = [line for line in notification.address_lines if line.strip()]
        if not 3 <= len(lines) <= MAX_ADDRESS_LINES:
            raise PermanentProviderError(
                f"A letter needs 3 to {MAX_ADDRESS_LINES} address lines (a name, an address and a postcode); "
                f"this one has {len(lines)}."
            )
        personalisation = {f"address_line_{n}": line for n, line in enumerate(lines, start=1)}
        personalisation |= {"subject": content.subject, "body": content.body_text}
        return api.send_letter_notification(
            template_id=template, personalisation=personalisation, reference=reference
        )


def _already_taken(api: NotificationsAPIClient, reference: str) -> str:
    """The id of a message Notify already holds with this reference (an earlier attempt whose
    answer was lost), or ""."""
    found = api.get_all_notifications(reference=reference).get("notifications") or []
    return str(found[0]["id"]) if found else ""


def _error(exc: APIError) -> TemporaryProviderError | PermanentProviderError:
    cause = exc.__cause__
    if exc.response is None and cause is not None:
        # No answer at all: a timeout or a refused connection.
        return TemporaryProviderError(f"GOV.UK Notify did not answer: {type(cause).__name__}: {cause}"[:2000])
    message = f"GOV.UK Notify answered {exc.status_code}: {_messages(exc)}"[:2000]
    if exc.status_code >= 500 or exc.status_code in RETRYABLE_CLIENT_ERRORS:
        return TemporaryProviderError(message)
    return PermanentProviderError(message)


def _messages(exc: APIError) -> str:
    message = exc.message
    if isinstance(message, list):
        return "; ".join(
            str(error.get("message", error)) if isinstance(error, dict) else str(error) for error in message
        )
    return str(message)
