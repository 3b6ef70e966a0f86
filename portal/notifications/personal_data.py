"""Messages (emails, texts, letters) sent to a resident: part of their data export; scrubbed
when the account is deleted."""

from django.db.models import Q

from portal.lib.personal_data import register

from .models import InboundText, Notification


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
    label="Messages we have sent you (emails, texts and letters)",
    export=_export,
    erase=_erase,
    deleted="Copies of the emails, texts and letters we sent you are deleted. We keep a note that a "
    "message was sent, without your address or what it said.",
    reassign=_reassign,
    order=50,
)


def _texts_from(user):
    """Texts matched to the resident. Not every text from the number on their profile: a number
    is typed, never proved, and may be someone else's."""
    return InboundText.objects.filter(user=user)


def _export_texts(user) -> list[dict]:
    return [
        {
            "from": text.source_number,
            "message": text.message,
            "received": text.date_received,
            "what_happened": text.get_outcome_display(),
            "request": text.case.reference if text.case_id else "",
        }
        for text in _texts_from(user).select_related("case").order_by("date_received")
    ]


def _erase_texts(user) -> None:
    """Their words and number go; what the texts did (on the case timeline) goes with the case."""
    _texts_from(user).delete()


def _reassign_texts(source, target) -> None:
    InboundText.objects.filter(user=source).update(user=target)


register(
    name="text_messages",
    label="Text messages you have sent us",
    export=_export_texts,
    erase=_erase_texts,
    deleted="The text messages you sent to our number are deleted.",
    reassign=_reassign_texts,
    order=51,
)
