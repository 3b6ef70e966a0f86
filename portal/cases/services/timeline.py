"""The case timeline: writing events, and the public-event marker the resident sees as unread."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ..constants import Actor, EventType
from ..models import Case, CaseEvent
from .checks import CaseError
from .notifications import _resident_notify

if TYPE_CHECKING:
    from accounts.models import User


def _event(case: Case, **fields: Any) -> CaseEvent:
    event = CaseEvent.objects.create(case=case, **fields)
    if event.public:
        case.last_public_event_at = event.created_at
        if event.actor_role == Actor.RESIDENT and not event.data.get("proxy"):
            # What residents do themselves is never "unread" to them (what someone acting
            # for them does is news to them).
            case.resident_seen_at = event.created_at
    return event


def case_event_add(
    *,
    case: Case,
    type: str,
    actor: "User | None" = None,
    actor_role: str,
    message: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Add an entry to ``case``'s timeline (other apps use this for payments and refunds).

    A public event marks the case as updated for the resident and, unless the resident
    made it themselves, emails them (see ``_resident_notify``). Status changes go through
    ``case_transition`` instead, never through here.
    """
    if type not in EventType.values:
        raise CaseError(f"{type!r} is not a timeline event type")
    if type == EventType.STATUS_CHANGE:
        raise CaseError("Status changes go through case_transition")
    if type == EventType.INTERNAL_NOTE and public:
        raise CaseError("An internal note is never public")
    with transaction.atomic():
        event = _event(
            case,
            type=type,
            actor=actor,
            actor_role=actor_role,
            message=message.strip(),
            public=public,
            data=data or {},
        )
        Case.objects.filter(pk=case.pk).update(
            last_public_event_at=case.last_public_event_at,
            resident_seen_at=case.resident_seen_at,
            updated_at=timezone.now(),
        )
        _resident_notify(case, event)
    return event
