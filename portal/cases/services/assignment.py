"""Giving a case to an officer and/or a team."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest

from ..constants import Actor, EventType
from ..models import Case, CaseEvent, Team
from ..permissions import staff_is_case_worker
from .checks import CaseError, _staff_check
from .timeline import _event

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def case_assign(
    *,
    case: Case,
    actor: "User",
    assignee: "User | None" = None,
    team: Team | None = None,
    request: HttpRequest | None = None,
) -> CaseEvent:
    """Give ``case`` to an officer and/or a team (internal event; the resident is not told).

    Pass ``assignee`` or ``team`` (or both); the one not passed stays as it is.
    """
    if assignee is None and team is None:
        raise CaseError("Choose an officer or a team to assign the case to")
    _staff_check(case, actor)
    if assignee is not None and not staff_is_case_worker(assignee):
        raise CaseError(f"{assignee} does not work on cases, so cannot be assigned one")
    case = Case.objects.select_for_update().get(pk=case.pk)
    data: dict[str, Any] = {}
    if assignee is not None:
        data["assignee"] = {"from": case.assignee_id, "to": assignee.pk, "name": str(assignee)}
        case.assignee = assignee
    if team is not None:
        data["team"] = {"from": case.team_id, "to": team.pk, "name": team.name}
        case.team = team
    parts = ([f"to {assignee}"] if assignee is not None else []) + (
        [f"to the {team.name} team"] if team is not None else []
    )
    event = _event(
        case,
        type=EventType.ASSIGNMENT,
        actor=actor,
        actor_role=Actor.STAFF,
        public=False,
        message="Assigned " + " and ".join(parts),
        data=data,
    )
    case.save(update_fields=["assignee", "team", "updated_at"])
    return event
