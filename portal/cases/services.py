"""Creating cases, moving them between statuses (the only code that writes ``Case.status``),
their timeline, and telling the resident about what they can see."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.interactions.services import interaction_record

from .constants import (
    MESSAGE_REQUIRED_FOR,
    OPEN_STATUSES,
    TRANSITIONS,
    Actor,
    CaseStatus,
    EventType,
)
from .models import Case, CaseAttachment, CaseEvent, ReferenceSequence, Team
from .sla import working_days_add, working_days_between

logger = logging.getLogger(__name__)

WORKING_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_RESIDENT})


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
        if event.actor_role == Actor.RESIDENT:
            # What residents do themselves is never "unread" to them.
            case.resident_seen_at = event.created_at
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
        contact_email=(contact_email or (resident.email if resident else "")).strip().lower(),
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
    _resident_notify(case, event)
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


# --- The timeline -------------------------------------------------------------------------


def case_event_add(
    *,
    case: Case,
    type: str,
    actor=None,
    actor_role: str,
    message: str = "",
    public: bool = True,
    data: dict | None = None,
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


# --- Telling the resident -----------------------------------------------------------------

_SUBJECTS = {
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
    resident = case.resident
    to = resident.email if resident else case.contact_email
    if resident and resident.contact_preference != "email":
        outcome = f"preference_{resident.contact_preference}"
    elif not to:
        outcome = "no_address"
    else:
        outcome = "email"
        try:
            with transaction.atomic():
                _resident_email(case, event, to=to, user=resident)
        except Exception:
            logger.exception("Could not write the email for case %s event %s", case.reference, event.pk)
            outcome = "error"
    event.data = {**event.data, "notify": outcome}
    CaseEvent.objects.filter(pk=event.pk).update(data=event.data)


def _resident_email(case: Case, event: CaseEvent, *, to: str, user) -> None:
    from portal.notifications.services import notification_email_send

    from .satisfaction import case_satisfaction_due, case_satisfaction_path
    from .selectors import case_next_steps

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
        # The decision email asks the outcome question (once per case, see satisfaction.py).
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


# --- What residents do ------------------------------------------------------------------

# A view of an unchanged open case counts as progress chasing only if the resident's last
# look was at least this long ago: reloading the page, or landing on it after replying, is not.
PROGRESS_CHASE_GAP = timedelta(hours=1)


def case_view_record(*, case: Case, request) -> bool:
    """Record that the resident viewed ``case`` and clear its unread marker.

    Returns whether the view looks like progress chasing: the case is open, the resident
    has looked before (more than ``PROGRESS_CHASE_GAP`` ago) and nothing they can see has
    changed since. Such views are logged with ``extras={"progress_chasing": True}`` and
    outcome ``no_change``, which the rollups count as ``case_views_chasing``. Other
    outcomes: ``first_view``, ``updated`` (something new to see) and ``reload`` (unchanged,
    looked at again within the gap).
    """
    now = timezone.now()
    seen = case.resident_seen_at
    unchanged = seen is not None and (case.last_public_event_at is None or case.last_public_event_at <= seen)
    chasing = bool(case.is_open and unchanged and now - seen >= PROGRESS_CHASE_GAP)
    interaction_record(
        type="case_view",
        request=request,
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="no_change" if chasing else _view_outcome(seen, unchanged),
        case_reference=case.reference,
        extras={"progress_chasing": True} if chasing else None,
    )
    Case.objects.filter(pk=case.pk).update(resident_seen_at=now)
    case.resident_seen_at = now
    return chasing


def _view_outcome(seen, unchanged: bool) -> str:
    if seen is None:
        return "first_view"
    return "reload" if unchanged else "updated"


def _attachments_save(case: Case, event: CaseEvent, files, user, stored: list[str]) -> list[CaseAttachment]:
    """Store checked uploads privately; ``stored`` collects the file names for clean-up on failure.

    Each file must carry ``checked_content_type`` and ``checked_extension``, set by the form
    from ``forms_engine.uploads.upload_check`` (content sniffing, not the file name).
    """
    saved = []
    for upload in files:
        attachment = CaseAttachment(
            case=case,
            event=event,
            uploaded_by=user,
            original_name=upload.name[:255],
            content_type=upload.checked_content_type,
            extension=f".{upload.checked_extension}",
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        stored.append(attachment.file.name)
        attachment.save()
        saved.append(attachment)
    return saved


def _resident_check(case: Case, user) -> None:
    if case.resident_id is None or case.resident_id != user.pk:
        raise CaseError("This is not your case")


def case_message_send(*, case: Case, user, message: str, files=(), request=None) -> CaseEvent:
    """A resident's message on an open case, with any attachments (already checked by the form).

    When the case is waiting for the resident, this is their reply: the case goes back to
    in progress and the SLA clock restarts. If anything fails, no file is left behind.
    """
    _resident_check(case, user)
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _case_message_send(case, user, message, files, request, stored)
    except BaseException:
        storage = CaseAttachment._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


def _case_message_send(case, user, message, files, request, stored) -> CaseEvent:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise CaseError("This case is closed, so you cannot send a message on it")
    message = message.strip()
    if not message:
        raise CaseError("Enter your message")
    event = _event(
        case,
        type=EventType.RESIDENT_MESSAGE,
        actor=user,
        actor_role=Actor.RESIDENT,
        message=message,
        data={"files": len(files)} if files else {},
    )
    case.save(update_fields=["last_public_event_at", "resident_seen_at", "updated_at"])
    _attachments_save(case, event, files, user, stored)
    interaction_record(
        type="case_message",
        request=request,
        user=user if request is None else None,
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="reply" if case.status == CaseStatus.AWAITING_RESIDENT else "message",
        case_reference=case.reference,
    )
    if case.status == CaseStatus.AWAITING_RESIDENT:
        case_transition(case=case, to=CaseStatus.IN_PROGRESS, actor_role=Actor.RESIDENT, actor=user)
    return event


def case_withdraw(*, case: Case, user, reason: str = "", request=None) -> CaseEvent:
    """The resident withdraws their request (allowed while received or awaiting them)."""
    _resident_check(case, user)
    return case_transition(
        case=case,
        to=CaseStatus.WITHDRAWN,
        actor_role=Actor.RESIDENT,
        actor=user,
        message=reason,
        request=request,
    )


def case_reopen(*, case: Case, user, reason: str, request=None) -> CaseEvent:
    """The resident says a resolved case was not fixed; it goes back to in progress."""
    _resident_check(case, user)
    if not reason.strip():
        raise CaseError("Enter why the problem was not fixed")
    return case_transition(
        case=case,
        to=CaseStatus.IN_PROGRESS,
        actor_role=Actor.RESIDENT,
        actor=user,
        message=reason,
        request=request,
    )


def case_reopen_until(case: Case):
    """The last moment a resolved case may be reopened by the resident, or None."""
    if case.status != CaseStatus.RESOLVED or not case.closed_at:
        return None
    return case.closed_at + timedelta(days=getattr(settings, "CASE_REOPEN_DAYS", 28))


# --- What staff do ----------------------------------------------------------------------


def _staff_check(case: Case, actor) -> None:
    from .permissions import staff_can_change_case

    if not staff_can_change_case(actor, case):
        raise CaseError("You do not have permission to work on this case")


@transaction.atomic
def case_assign(*, case: Case, actor, assignee=None, team: Team | None = None, request=None) -> CaseEvent:
    """Give ``case`` to an officer and/or a team (internal event; the resident is not told).

    Pass ``assignee`` or ``team`` (or both); the one not passed stays as it is.
    """
    from .permissions import staff_is_case_worker

    if assignee is None and team is None:
        raise CaseError("Choose an officer or a team to assign the case to")
    _staff_check(case, actor)
    if assignee is not None and not staff_is_case_worker(assignee):
        raise CaseError(f"{assignee} does not work on cases, so cannot be assigned one")
    case = Case.objects.select_for_update().get(pk=case.pk)
    data = {}
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


def case_staff_transition(*, case: Case, actor, to: str, message: str = "", request=None) -> CaseEvent:
    """A staff status change, after checking the officer may work on the case."""
    _staff_check(case, actor)
    return case_transition(
        case=case, to=to, actor_role=Actor.STAFF, actor=actor, message=message, request=request
    )


def case_note_add(*, case: Case, actor, message: str) -> CaseEvent:
    """An internal note: staff only, never shown or sent to the resident."""
    _staff_check(case, actor)
    if not message.strip():
        raise CaseError("Enter the note")
    return case_event_add(
        case=case,
        type=EventType.INTERNAL_NOTE,
        actor=actor,
        actor_role=Actor.STAFF,
        message=message,
        public=False,
    )


def case_officer_message(*, case: Case, actor, message: str, request=None) -> CaseEvent:
    """A message from the council to the resident: on their timeline and emailed to them."""
    _staff_check(case, actor)
    if not message.strip():
        raise CaseError("Enter the message to the resident")
    event = case_event_add(
        case=case, type=EventType.OFFICER_MESSAGE, actor=actor, actor_role=Actor.STAFF, message=message
    )
    interaction_record(
        type="case_message",
        request=request,
        channel="web",
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="officer",
        staff=actor,
        case_reference=case.reference,
    )
    return event


# --- The daily deadline email -----------------------------------------------------------


def case_deadline_digest_send(*, today=None) -> int:
    """Email each team (``Team.email``) its open cases that are overdue or due within 2 working
    days. Returns the number of emails written. Run once a working day (``manage.py cases_daily``).

    Idempotent per day: a team already sent today's list (same template and day) is skipped.
    """
    from portal.notifications.models import Notification
    from portal.notifications.services import notification_email_send

    from .selectors import cases_due_soon_or_overdue

    today = today or timezone.localdate()
    template = f"cases/deadlines/{today.isoformat()}"
    sent = 0
    for team in Team.objects.exclude(email=""):
        if Notification.objects.filter(template=template, to=team.email).exists():
            continue
        cases = list(
            cases_due_soon_or_overdue(Case.objects.filter(team=team), today)
            .select_related("assignee")
            .order_by("due_on", "pk")
        )
        if not cases:
            continue
        overdue = [c for c in cases if c.due_on < today]
        due_soon = [c for c in cases if c.due_on >= today]
        body = render_to_string(
            "cases/email/deadlines.txt",
            {
                "team": team,
                "overdue": overdue,
                "due_soon": due_soon,
                "today": today,
                "queue_url": settings.SITE_URL + reverse("cases_admin:queue") + f"?team={team.pk}&sort=due",
                "site_url": settings.SITE_URL,
            },
        )
        with transaction.atomic():
            notification_email_send(
                to=team.email,
                subject=f"{team.name}: {len(overdue)} overdue, {len(due_soon)} due within 2 working days",
                body_text=body,
                template=template,
            )
        sent += 1
    return sent
