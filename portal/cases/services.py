"""Creating cases and moving them between statuses: the only code that writes ``Case.status``."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.interactions.services import interaction_record

from .constants import MESSAGE_REQUIRED_FOR, OPEN_STATUSES, TRANSITIONS, Actor, CaseStatus, EventType
from .models import Case, CaseEvent, ReferenceSequence, Team
from .sla import working_days_add, working_days_between


class CaseError(ValueError):
    """A move or action the rules do not allow; the message is written for the person who tried."""


def case_reference_next(*, prefix: str, year: int | None = None) -> str:
    """The next reference for ``prefix``, e.g. ``BWC-2026-000123``: unique under concurrent submits.

    The sequence row is locked until the caller's transaction commits, so two submits can
    never read the same number; the unique constraint on ``Case.reference`` backs this up.
    """
    year = year or timezone.localdate().year
    prefix = (prefix or "REQ").upper()
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReferenceSequence.objects.get_or_create(prefix=prefix, year=year)
        except IntegrityError:
            pass  # created by a concurrent submit a moment ago
        sequence = ReferenceSequence.objects.select_for_update().get(prefix=prefix, year=year)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
    return f"{prefix}-{year}-{sequence.last_value:06d}"


def _event(case: Case, **fields) -> CaseEvent:
    event = CaseEvent.objects.create(case=case, **fields)
    if event.public:
        case.last_public_event_at = event.created_at
    return event


@transaction.atomic
def case_create(
    *,
    title: str,
    reference_prefix: str,
    service_code: int | None = None,
    resident=None,
    contact_email: str = "",
    contact_name: str = "",
    team: Team | None = None,
    sla_working_days: int | None = None,
    awaiting_payment: bool = False,
    channel: str = "web",
) -> Case:
    """Open a case for a request just received. Its SLA clock starts once it is submitted
    (straight away, or when the fee is paid)."""
    now = timezone.now()
    status = CaseStatus.AWAITING_PAYMENT if awaiting_payment else CaseStatus.SUBMITTED
    case = Case(
        reference=case_reference_next(prefix=reference_prefix),
        title=title[:200],
        service_code=service_code,
        resident=resident,
        contact_email=contact_email or (resident.email if resident else ""),
        contact_name=contact_name or (resident.full_name if resident else ""),
        team=team,
        sla_working_days=sla_working_days,
        status=status,
        channel=channel,
    )
    if status == CaseStatus.SUBMITTED:
        _clock_start(case, now)
    case.save()
    _event(case, type=EventType.CREATED, actor=resident, actor_role=Actor.RESIDENT, status_to=status)
    case.save(update_fields=["last_public_event_at"])
    return case


def _clock_start(case: Case, now) -> None:
    case.submitted_at = now
    if case.sla_working_days is not None:
        case.due_on = working_days_add(timezone.localdate(now), case.sla_working_days)


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to: str,
    actor_role: str,
    actor=None,
    message: str = "",
    request=None,
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
    if not allowed:
        raise CaseError(
            f"A case that is {CaseStatus(current).label.lower()} cannot be moved to "
            f"{CaseStatus(to).label.lower()}"
        )
    if actor_role not in allowed:
        raise CaseError(f"Only {' or '.join(sorted(allowed))} can move a case from {current} to {to}")
    message = message.strip()
    if actor_role == Actor.STAFF and to in MESSAGE_REQUIRED_FOR and not message:
        raise CaseError("Enter a message to the resident explaining the change")
    if current == CaseStatus.RESOLVED and to == CaseStatus.IN_PROGRESS:
        _reopen_check(case, actor_role)
        case.reopened_count += 1

    now = timezone.now()
    today = timezone.localdate(now)
    if current == CaseStatus.AWAITING_PAYMENT and to == CaseStatus.SUBMITTED:
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
    event = _event(
        case,
        type=EventType.STATUS_CHANGE,
        actor=actor,
        actor_role=actor_role,
        status_from=current,
        status_to=to,
        message=message,
    )
    case.save()
    interaction_record(
        type="case_update",
        request=request,
        user=case.resident if request is None else None,
        channel="web",
        service_code=case.service_code,
        journey=case.reference,
        step=to,
        outcome=current,
        staff=actor if actor_role == Actor.STAFF else None,
        case_reference=case.reference,
    )
    return event


def _reopen_check(case: Case, actor_role: str) -> None:
    from django.conf import settings

    if actor_role != Actor.RESIDENT:
        return
    days = getattr(settings, "CASE_REOPEN_DAYS", 28)
    if case.closed_at and (timezone.now() - case.closed_at).days > days:
        raise CaseError(
            f"This case was resolved more than {days} days ago, so it cannot be reopened. "
            "Make a new request instead."
        )
