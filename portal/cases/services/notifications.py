"""Telling the resident about what they can see: the update email and the link in it."""

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.constants import ContactPreference
from portal.notifications.services import notification_email_send

from ..constants import Actor, CaseStatus, EventType, NotifyOutcome
from ..models import Case, CaseEvent
from ..selectors import case_next_steps, case_satisfaction_due, case_satisfaction_path

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

_SUBJECTS: dict[str, str] = {
    EventType.CREATED: "Follow your request {reference} online",
    EventType.STATUS_CHANGE: "Your request {reference}: {status}",
    EventType.OFFICER_MESSAGE: "New message about your request {reference}",
}


def case_link_for_resident(case: Case) -> str:
    """Where the resident follows the case: My account, or the tracking link when anonymous."""
    if case.resident_id:
        return settings.SITE_URL + reverse("cases:detail", kwargs={"reference": case.reference})
    return settings.SITE_URL + reverse("cases:track", kwargs={"token": case.tracking_token})


def _resident_notify(case: Case, event: CaseEvent) -> None:
    """Email the resident about a public event they did not make themselves.

    The outcome is kept on the event (``data["notify"]``) so staff see it: ``email`` (the
    outbox row is linked to the case and event, with its delivery status), or why not:
    the resident's contact preference is post or text message (the portal sends neither
    yet, so staff contact them that way if it matters), or there is no address. The email
    is written in a savepoint: whatever goes wrong with it never undoes the change itself.
    """
    if not event.public or (event.actor_role == Actor.RESIDENT and event.type != EventType.CREATED):
        return
    if _paid(event):
        return  # the payment's receipt (inside the form's confirmation, for a form's fee) says so
    resident = case.resident
    to = resident.email if resident else case.contact_email
    if resident and resident.contact_preference != ContactPreference.EMAIL:
        outcome = f"preference_{resident.contact_preference}"
    elif not to:
        outcome = NotifyOutcome.NO_ADDRESS
    else:
        outcome = NotifyOutcome.EMAIL
        try:
            with transaction.atomic():
                _resident_email(case, event, to=to, user=resident)
        except Exception:
            logger.exception("Could not write the email for case %s event %s", case.reference, event.pk)
            outcome = NotifyOutcome.ERROR
    event.data = {**event.data, "notify": outcome}
    CaseEvent.objects.filter(pk=event.pk).update(data=event.data)


def _paid(event: CaseEvent) -> bool:
    """The fee was paid, so the request is received: the receipt tells the resident."""
    return (
        event.is_status_change
        and event.status_from == CaseStatus.AWAITING_PAYMENT
        and event.status_to == CaseStatus.SUBMITTED
    )


def _resident_email(case: Case, event: CaseEvent, *, to: str, user: "User | None") -> None:
    subject = _SUBJECTS.get(event.type, "Update on your request {reference}").format(
        reference=case.reference, status=CaseStatus(case.status).label.lower()
    )
    context = {
        "case": case,
        "event": event,
        "status_label": CaseStatus(case.status).label,
        "next_steps": case_next_steps(case),
        "link": case_link_for_resident(case),
        "council_name": settings.WAGTAIL_SITE_NAME,
        "anonymous": case.resident_id is None,
        # The decision email asks the outcome question (once per case, see services/satisfaction.py).
        "satisfaction_link": settings.SITE_URL + case_satisfaction_path(case)
        if event.type == EventType.STATUS_CHANGE and case_satisfaction_due(case)
        else "",
    }
    notification_email_send(
        to=to,
        user=user,
        subject=subject,
        body_text=render_to_string("cases/email/update.txt", context),
        template="cases/update",
        case=case,
        case_event=event,
    )
