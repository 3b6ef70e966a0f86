"""Updates from a back-office system (a highways or waste system working the case): status,
a message to the resident, an internal note and the date it expects to finish.

They are written as an officer's would be (``Actor.STAFF``) but with no staff user: the
timeline keeps the system's name in ``data["back_office"]`` so staff read "Highways system
(back office)" where an officer's name would be, and the resident is notified exactly as for
any officer update. The same transition rules apply as for an officer.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.interactions.services import interaction_record

from ..constants import Actor, CaseStatus, EventType
from ..models import Case, CaseEvent
from .checks import CaseError
from .timeline import case_event_add
from .transitions import case_transition


def case_back_office_update(
    *,
    case: Case,
    source_label: str,
    status: str = "",
    public_message: str = "",
    internal_note: str = "",
    expected_on: date | None = None,
) -> list[CaseEvent]:
    """Apply one back-office update to ``case`` in one transaction; returns the events written.

    ``status`` (a ``CaseStatus`` value) moves the case through ``case_transition`` with the
    staff rules, carrying ``public_message`` as the change's explanation (one event, one
    notification). Equal to the current status, or empty, it changes nothing and the message
    is sent as the council's message instead. Raises ``CaseError`` (the case's own wording)
    on a move the rules refuse, and then nothing at all is written.
    """
    label = source_label.strip()
    if not label:
        raise CaseError("Say which back-office system sent the update")
    status = status.strip()
    if status and status not in CaseStatus.values:
        raise CaseError(f"{status!r} is not a case status")
    public_message = public_message.strip()
    internal_note = internal_note.strip()
    data: dict[str, Any] = {"back_office": label}
    events: list[CaseEvent] = []
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if status and status != case.status:
            events.append(
                case_transition(
                    case=case,
                    to=status,
                    actor_role=Actor.STAFF,
                    actor=None,
                    message=public_message,
                    data=dict(data),
                )
            )
            case.refresh_from_db()
        elif public_message:
            events.append(_back_office_message(case, public_message, data))
        if internal_note:
            events.append(
                case_event_add(
                    case=case,
                    type=EventType.INTERNAL_NOTE,
                    actor_role=Actor.STAFF,
                    message=internal_note,
                    public=False,
                    data=dict(data),
                )
            )
        if expected_on is not None and expected_on != case.expected_on:
            before = case.expected_on
            Case.objects.filter(pk=case.pk).update(expected_on=expected_on, updated_at=timezone.now())
            case.expected_on = expected_on
            events.append(
                case_event_add(
                    case=case,
                    type=EventType.INTERNAL_NOTE,
                    actor_role=Actor.STAFF,
                    message=(
                        f"Expected finish date set to {_long_date(expected_on)}"
                        + (f" (was {_long_date(before)})" if before else "")
                    ),
                    public=False,
                    data={**data, "expected_on": expected_on.isoformat()},
                )
            )
    return events


def _back_office_message(case: Case, message: str, data: dict[str, Any]) -> CaseEvent:
    """The council's message to the resident, written by the system rather than an officer:
    on their timeline and sent to them as ``case_officer_message``'s are."""
    event = case_event_add(
        case=case,
        type=EventType.OFFICER_MESSAGE,
        actor_role=Actor.STAFF,
        message=message,
        data=dict(data),
    )
    interaction_record(
        type="case_message",
        channel="web",
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="officer",
        case_reference=case.reference,
        extras={"back_office": data["back_office"]},
    )
    return event


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
