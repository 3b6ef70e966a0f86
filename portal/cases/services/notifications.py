"""Telling the resident about what they can see: the update email and the link in it."""

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from portal.notifications.services import message_send

from ..constants import Actor, CaseStatus, EventType, NotifyOutcome
from ..models import Case, CaseEvent
from ..selectors import case_next_steps, case_satisfaction_due, case_satisfaction_path

logger = logging.getLogger(__name__)


def case_link_for_resident(case: Case) -> str:
    """Where the resident follows the case: My account, or the tracking link when anonymous."""
    if case.resident_id:
        return settings.SITE_URL + reverse("cases:detail", kwargs={"reference": case.reference})
    return settings.SITE_URL + reverse("cases:track", kwargs={"token": case.tracking_token})


def _resident_notify(case: Case, event: CaseEvent) -> None:
    """Tell the resident about a public event they did not make themselves, by the channel
    they chose: email, text message or letter (``portal.notifications.services.message_send``
    routes it, and falls back to another way when that one cannot work).

    The outcome is kept on the event (``data["notify"]``) so staff see it: the channel (the
    outbox row is linked to the case and event, with its delivery status), or why not (no
    address of any kind). The message is written in a savepoint: whatever goes wrong with
    it never undoes the change itself.
    """
    if not event.public or (event.actor_role == Actor.RESIDENT and event.type != EventType.CREATED):
        return
    if _paid(event):
        return  # the payment's receipt (inside the form's confirmation, for a form's fee) says so
    resident = case.resident
    try:
        with transaction.atomic():
            notification = message_send(
                key=_KEYS.get(event.type, "cases/officer_message"),
                context=case_message_context(case, event),
                user=resident,
                email="" if resident else case.contact_email,
                case=case,
                case_event=event,
            )
        outcome = notification.channel if notification else NotifyOutcome.NO_ADDRESS
    except Exception:
        logger.exception("Could not write the message for case %s event %s", case.reference, event.pk)
        outcome = NotifyOutcome.ERROR
    event.data = {**event.data, "notify": outcome}
    CaseEvent.objects.filter(pk=event.pk).update(data=event.data)


_KEYS: dict[str, str] = {
    EventType.CREATED: "cases/created",
    EventType.STATUS_CHANGE: "cases/status_change",
    EventType.OFFICER_MESSAGE: "cases/officer_message",
}


def _paid(event: CaseEvent) -> bool:
    """The fee was paid, so the request is received: the receipt tells the resident."""
    return (
        event.is_status_change
        and event.status_from == CaseStatus.AWAITING_PAYMENT
        and event.status_to == CaseStatus.SUBMITTED
    )


def case_message_context(case: Case, event: CaseEvent | None = None) -> dict[str, str]:
    """The placeholders of the case messages (``portal/cases/messages.py``)."""
    resident = case.resident
    anonymous = case.resident_id is None
    awaiting = case.status == CaseStatus.AWAITING_RESIDENT
    return {
        "name": case.contact_name or (resident.first_name if resident else "") or "there",
        "reference": case.reference,
        "title": case.title,
        "status": CaseStatus(case.status).label.lower(),
        "message": event.message if event and event.type != EventType.CREATED else "",
        "next_steps": case_next_steps(case),
        "link": case_link_for_resident(case),
        "link_warning": "Keep this link private: anyone with it can see the updates." if anonymous else "",
        # The decision message asks the outcome question (once per case, see services/satisfaction.py).
        "satisfaction": "How satisfied are you with the outcome? Tell us with one question and an "
        f"optional comment: {settings.SITE_URL + case_satisfaction_path(case)}"
        if event and event.type == EventType.STATUS_CHANGE and case_satisfaction_due(case)
        else "",
        "reply_by_text": "Reply to this text with your answer." if awaiting and not anonymous else "",
    }
