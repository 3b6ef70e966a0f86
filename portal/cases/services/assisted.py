"""Recording a phone call, visit or email about a case: the interaction, any answer about the
outcome and the case's timeline entry, in one transaction."""

from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction

from portal.interactions.models import ContactTeam, Interaction
from portal.interactions.services import assisted_contact_record

from ..constants import Actor, EventType
from ..models import Case
from .satisfaction import case_satisfaction_record_assisted
from .timeline import case_event_add

if TYPE_CHECKING:
    from accounts.models import User


class AssistedContactRecorded(NamedTuple):
    interaction: Interaction
    # Whether the resident's answer about the outcome was counted (False: none given, or
    # they had already answered).
    satisfaction_recorded: bool


@transaction.atomic
def case_assisted_contact_record(
    *,
    case: Case,
    staff: "User",
    channel: str,
    service_code: int | None,
    reason_code: str,
    avoidable: bool,
    avoidable_category: str = "",
    resolved_first_contact: bool,
    notes: str = "",
    handled_by: ContactTeam | None = None,
    satisfaction_score: int | None = None,
    satisfaction_comment: str = "",
    extras: dict | None = None,
) -> AssistedContactRecorded:
    """Record a contact staff took about ``case``: all of it, or (on an error) none of it.

    Writes the assisted-contact interaction (with the case's resident and reference), the
    resident's answer about the outcome if staff asked it, and an internal timeline entry
    linking to the interaction. Raises ``InteractionError`` or ``CaseError``.
    """
    interaction = assisted_contact_record(
        staff=staff,
        channel=channel,
        service_code=service_code,
        reason_code=reason_code,
        avoidable=avoidable,
        avoidable_category=avoidable_category,
        resolved_first_contact=resolved_first_contact,
        resident=case.resident,
        case_reference=case.reference,
        notes=notes,
        handled_by=handled_by,
        extras=extras,
    )
    satisfaction_recorded = satisfaction_score is not None and case_satisfaction_record_assisted(
        case=case, staff=staff, channel=channel, score=satisfaction_score, comment=satisfaction_comment
    )
    case_event_add(
        case=case,
        type=EventType.ASSISTED_CONTACT,
        actor=staff,
        actor_role=Actor.STAFF,
        public=False,
        message=notes,
        data={
            "interaction": interaction.pk,
            "channel": channel,
            "avoidable": avoidable,
            "avoidable_category": avoidable_category,
            **({"satisfaction": satisfaction_score} if satisfaction_recorded else {}),
        },
    )
    return AssistedContactRecorded(interaction, bool(satisfaction_recorded))
