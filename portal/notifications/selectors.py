"""Read-only questions about the outbox, for other parts of the portal."""

from typing import TYPE_CHECKING

from django.db.models import CharField, Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from wagtail.models import Revision

from .constants import FINAL_STATUSES, InboundOutcome, NotificationChannel, NotificationStatus
from .models import InboundText, Notification, SmsOptOut

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


def notifications_with_wording(notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Each message with the version of the editors' wording it was written from, for staff:
    ``wording_version`` (its number in that message's history, 1 the first; None for a message
    written without the editors' wording) and ``template_revision`` (when it was saved)."""
    versions = (
        Revision.objects.filter(
            base_content_type__app_label="notifications",
            base_content_type__model="messagetemplate",
            object_id=Cast(OuterRef("message_template_id"), CharField()),
            pk__lte=OuterRef("template_revision_id"),
        )
        .order_by()
        .values("object_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return notifications.select_related("template_revision").annotate(wording_version=Subquery(versions))


def inbound_texts_to_triage() -> QuerySet[InboundText]:
    """Texts residents sent that landed on no case and that nobody has dealt with yet, oldest first."""
    return (
        InboundText.objects.filter(outcome=InboundOutcome.TRIAGE, handled_at__isnull=True)
        .select_related("user")
        .order_by("date_received", "pk")
    )


def inbound_text_for_staff(pk: int) -> InboundText | None:
    """One received text with its sender and case, for the contact centre (None if no such text)."""
    return InboundText.objects.select_related("user", "case", "handled_by").filter(pk=pk).first()


def inbound_texts_recent(*, limit: int = 50) -> QuerySet[InboundText]:
    """The latest texts that needed triage and were dealt with, newest first."""
    return (
        InboundText.objects.filter(outcome=InboundOutcome.TRIAGE, handled_at__isnull=False)
        .select_related("user", "handled_by", "case")
        .order_by("-handled_at")[:limit]
    )
