"""Opening a case: its reference, its first timeline entry and the start of its SLA clock."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..constants import Actor, CaseStatus, EventType
from ..models import Case, ReferenceSequence, Team
from ..sla import working_days_add
from .notifications import _resident_notify
from .timeline import _event

if TYPE_CHECKING:
    from accounts.models import User


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


@transaction.atomic
def case_create(
    *,
    title: str,
    reference_prefix: str,
    service_code: int | None = None,
    resident: "User | None" = None,
    contact_email: str = "",
    contact_name: str = "",
    team: Team | None = None,
    sla_working_days: int | None = None,
    awaiting_payment: bool = False,
    channel: str = "web",
    notify: bool = True,
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
        contact_email=(contact_email or (resident.message_email if resident else "") or "").strip().lower(),
        contact_name=contact_name or (resident.full_name if resident else ""),
        team=team,
        sla_working_days=sla_working_days,
        status=status,
        channel=channel,
    )
    if status == CaseStatus.SUBMITTED:
        _clock_start(case, now)
    case.save()
    event = _event(case, type=EventType.CREATED, actor=resident, actor_role=Actor.RESIDENT, status_to=status)
    case.save(update_fields=["last_public_event_at", "resident_seen_at"])
    if notify and status == CaseStatus.SUBMITTED:
        _resident_notify(case, event)
    return case


def _clock_start(case: Case, now: datetime) -> None:
    case.submitted_at = now
    if case.sla_working_days is not None:
        case.due_on = working_days_add(timezone.localdate(now), case.sla_working_days)
