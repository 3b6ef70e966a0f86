"""Messages (emails, texts, letters) sent to a resident: part of their data export; scrubbed
when the account is deleted."""

from django.db.models import Q

from portal.lib.personal_data import register

from .models import Notification


def _sent_to(user):
    return Notification.objects.filter(Q(user=user) | Q(to__iexact=user.email))


def _export(user) -> list[dict]:
    return [
        {
            "channel": n.channel,
            "to": n.to,
            "subject": n.subject,
            "message": n.body_text,
            "status": n.status,
            "created": n.created_at,
            "sent": n.sent_at,
        }
        for n in _sent_to(user).order_by("created_at")
    ]


def _erase(user) -> None:
    """Keep that a message was sent (for delivery figures), not to whom or what it said."""
    _sent_to(user).update(
        user=None, to="", address_lines=[], subject="", body_text="", body_html="", last_error=""
    )


def _reassign(source, target) -> None:
    """Messages sent to a resident record belong to the account it is added to; each keeps
    the address it went to."""
    Notification.objects.filter(user=source).update(user=target)


register(
    name="emails",
    label="Emails we have sent you",
    export=_export,
    erase=_erase,
    deleted="Copies of the emails we sent you are deleted. We keep a note that an email was sent, "
    "without your address or what it said.",
    reassign=_reassign,
    order=50,
)
