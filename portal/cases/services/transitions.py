"""Moving a case between statuses: the only code that writes ``Case.status``.

``case_transition`` reads the table in ``portal.cases.constants.TRANSITIONS``; the other
functions here are the resident's and the staff's ways in, with their checks.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record

from ..constants import (
    MESSAGE_REQUIRED_FOR,
    OPEN_STATUSES,
    REOPENABLE_STATUSES,
    STAFF_LABELS,
    TRANSITIONS,
    Actor,
    CaseStatus,
    EventType,
)
from ..models import Case, CaseEvent
from ..sla import working_days_add, working_days_between
from .checks import CaseError, _acting_check, _staff_check, _tracking_check, acting_data
from .create import _clock_start
from .notifications import _resident_notify
from .satisfaction import _satisfaction_supersede
from .timeline import _event

if TYPE_CHECKING:
    from accounts.models import User

WORKING_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_RESIDENT})


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to: str,
    actor_role: str,
    actor: "User | None" = None,
    message: str = "",
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Move ``case`` to status ``to`` if the rules let ``actor_role`` do so.

    Writes the status-change event (public: the resident sees every status) and a
    ``case_update`` interaction, and keeps the SLA clock: it starts on submission,
    pauses while awaiting the resident and stops on closure. Raises ``CaseError``.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    current = case.status
    if to not in CaseStatus.values:
        raise CaseError(f"{to!r} is not a case status")
    allowed = TRANSITIONS.get((current, to))
    # One word per status for each reader: staff read the staff names, residents theirs.
    label = _staff_label if actor_role == Actor.STAFF else _resident_label
    if not allowed or actor_role not in allowed:
        raise CaseError(f"A case that is {label(current)} cannot be moved to {label(to)}")
    message = message.strip()
    if actor_role == Actor.STAFF and to in MESSAGE_REQUIRED_FOR and not message:
        raise CaseError("Enter a message to the resident explaining the change")
    reopening = current in REOPENABLE_STATUSES and to == CaseStatus.IN_PROGRESS
    if reopening:
        _reopen_check(case, actor_role)
        case.reopened_count += 1

    now = timezone.now()
    today = timezone.localdate(now)
    if (current == CaseStatus.AWAITING_PAYMENT and to == CaseStatus.SUBMITTED) or (
        to in WORKING_STATUSES and case.submitted_at is None
    ):
        # The second case: closed before it was ever paid, then reopened. Work needs a deadline.
        _clock_start(case, now)
    if to == CaseStatus.AWAITING_RESIDENT:
        case.paused_at = now
    elif current == CaseStatus.AWAITING_RESIDENT and case.paused_at:
        if case.due_on:
            paused = working_days_between(timezone.localdate(case.paused_at), today)
            case.due_on = working_days_add(case.due_on, paused) if paused else case.due_on
        case.paused_at = None
    if to in OPEN_STATUSES:
        case.closed_at = None
        if current not in OPEN_STATUSES:
            case.outcome = ""
    else:
        case.closed_at = now
        if to in (CaseStatus.RESOLVED, CaseStatus.REJECTED):
            case.outcome = message

    case.status = to
    if reopening:
        # The earlier answer was about a decision that no longer stands: it leaves the figures,
        # and the resident is asked again about the new outcome.
        _satisfaction_supersede(case)
    event = _event(
        case,
        type=EventType.STATUS_CHANGE,
        actor=actor,
        actor_role=actor_role,
        status_from=current,
        status_to=to,
        message=message,
        data=data or {},
    )
    case.save()
    interaction_record(
        type=InteractionType.CASE_UPDATE,
        request=request,
        user=case.resident if request is None else None,
        channel=Channel.WEB,
        service_code=case.service_code,
        journey=case.reference,
        step=to,
        outcome=current,
        staff=actor if actor_role == Actor.STAFF else None,
        case_reference=case.reference,
    )
    _resident_notify(case, event)
    return event


def _staff_label(status: str) -> str:
    return STAFF_LABELS[CaseStatus(status)].lower()


def _resident_label(status: str) -> str:
    return CaseStatus(status).label.lower()


def _reopen_check(case: Case, actor_role: str) -> None:
    if actor_role != Actor.RESIDENT:
        return
    days = getattr(settings, "CASE_REOPEN_DAYS", 28)
    if case.closed_at and (timezone.now() - case.closed_at).days > days:
        raise CaseError(
            f"This request was closed more than {days} days ago, so it cannot be reopened. "
            "Make a new request instead."
        )


def case_withdraw(
    *, case: Case, user: "User", reason: str = "", request: HttpRequest | None = None
) -> CaseEvent:
    """The resident (or someone acting for them who may send requests and messages) withdraws
    the request (allowed while received or awaiting them)."""
    proxy = _acting_check(case, user)
    return case_transition(
        case=case,
        to=CaseStatus.WITHDRAWN,
        actor_role=Actor.RESIDENT,
        actor=user,
        message=reason,
        request=request,
        data=acting_data(proxy),
    )


def case_reopen(*, case: Case, user: "User", reason: str, request: HttpRequest | None = None) -> CaseEvent:
    """The resident says a resolved case was not fixed, or asks for a review of a decision to
    close it without action; either way it goes back to in progress (within the reopen
    window, ``CASE_REOPEN_DAYS``) with their reason on the timeline."""
    proxy = _acting_check(case, user)
    return _reopen(case=case, user=user, reason=reason, request=request, data=acting_data(proxy))


def _reopen(
    *,
    case: Case,
    user: "User | None",
    reason: str,
    request: HttpRequest | None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    if not reason.strip():
        raise CaseError(
            "Enter why you are asking for a review" if case.is_rejected else "Enter what was not fixed"
        )
    return case_transition(
        case=case,
        to=CaseStatus.IN_PROGRESS,
        actor_role=Actor.RESIDENT,
        actor=user,
        message=reason,
        request=request,
        data=data,
    )


def case_reopen_anonymous(
    *, case: Case, token: str, reason: str, request: HttpRequest | None = None
) -> CaseEvent:
    """``case_reopen`` for an anonymous request, by whoever holds its tracking link."""
    _tracking_check(case, token)
    return _reopen(case=case, user=None, reason=reason, request=request)


def case_staff_transition(
    *, case: Case, actor: "User", to: str, message: str = "", request: HttpRequest | None = None
) -> CaseEvent:
    """A staff status change, after checking the officer may work on the case."""
    _staff_check(case, actor)
    return case_transition(
        case=case, to=to, actor_role=Actor.STAFF, actor=actor, message=message, request=request
    )
