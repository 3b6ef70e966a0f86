"""Read-only questions about the outbox, for other parts of the portal."""

from typing import TYPE_CHECKING

from .constants import FINAL_STATUSES, NotificationChannel, NotificationStatus
from .models import MessageTemplate, Notification, SmsOptOut

if TYPE_CHECKING:
    from accounts.models import User


def undeliverable_addresses(user: "User") -> dict[str, Notification]:
    """The resident's email address and phone number that Notify reported undeliverable.

    For each channel (email, sms): the latest message to the address the user has now,
    if its outcome was a permanent failure. A later message that arrived there, or a new
    address, clears it. Maps the channel to that failed message (its ``to``, ``last_error``
    and ``updated_at`` say what failed and when), for My account and the contact centre.
    """
    current = {
        NotificationChannel.EMAIL: {a.lower() for a in (user.email, getattr(user, "contact_email", "")) if a},
        NotificationChannel.SMS: {phone_digits(user.phone)} if user.phone else set(),
    }
    found: dict[str, Notification] = {}
    for channel, addresses in current.items():
        if not addresses:
            continue
        outcomes = Notification.objects.filter(
            user=user, channel=channel, status__in=FINAL_STATUSES
        ).order_by("-updated_at")
        for notification in outcomes:
            address = (
                notification.to.lower()
                if channel == NotificationChannel.EMAIL
                else phone_digits(notification.to)
            )
            if address not in addresses:
                continue
            if notification.status == NotificationStatus.PERMANENT_FAILURE:
                found[channel] = notification
            break
    return found


def phone_digits(phone: str) -> str:
    """A UK number compared by its digits, +44 and 0 alike: ``+44 7700 900123`` → ``07700900123``."""
    digits = "".join(c for c in phone if c.isdigit())
    return "0" + digits[2:] if digits.startswith("44") else digits


def sms_opted_out(phone: str) -> bool:
    """Whether this number replied STOP (and has not asked for texts again since)."""
    digits = phone_digits(phone or "")
    return bool(digits) and SmsOptOut.objects.filter(phone_digits=digits).exists()


def message_template_for(key: str) -> MessageTemplate | None:
    """The editors' wording for a message type, as published (None before it exists)."""
    return MessageTemplate.objects.filter(key=key).select_related("live_revision").first()
