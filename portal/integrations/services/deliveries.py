"""Deliveries of submissions to the back-office destinations their form names: the outbox.

A submission writes one ``Delivery`` per active destination of its form, in the transaction
that makes the submission (a listener the forms engine calls), and its task is queued once
that commits. Writing rows is all the submission waits for: a back office that is down, slow
or refusing never blocks or loses the resident's request.

Each attempt claims the delivery first (a compare-and-set from pending or retrying to
``sending``, with a lease of ``DELIVERY_LEASE_SECONDS``), so two workers never send the same
delivery at once; a worker that dies mid-send leaves a lease that runs out, and
``deliveries_due_run`` hands the delivery back. Every attempt is kept (``DeliveryAttempt``).
Temporary failures (no answer, refused connection, HTTP 5xx, 408, 429) are retried with
backoff (``DELIVERY_BACKOFF``) up to ``DELIVERY_MAX_ATTEMPTS``; a permanent refusal (other
4xx, a destination with no address, an address inside the portal's own network) fails at
once. After ``DELIVERY_ALERT_AFTER`` failures in a row the form's team is told once, and once
more when the portal stops trying; the message goes after the attempt's record commits.

Should writing a submission's deliveries fail (the listener carries on without them, so the
resident's submission stands), ``deliveries_due_run`` finds the submissions of the last 7 days
that lack them and writes them.

A form with a fee: while the case waits for payment, its deliveries wait too (a back office
should not start work that has not been paid for); they go once it is paid, and are
cancelled if it closes unpaid.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from forms_engine.models import Submission
from forms_engine.services import submission_listener_register
from portal.cases.constants import Actor, CaseStatus, EventType
from portal.cases.services import case_event_add
from portal.lib.retry import backoff_delay, task_enqueue
from portal.notifications.services import message_send

from ..constants import (
    DELIVERY_ALERT_AFTER,
    DELIVERY_BACKOFF,
    DELIVERY_CLAIMABLE,
    DELIVERY_FINAL,
    DELIVERY_LEASE_SECONDS,
    DELIVERY_MAX_ATTEMPTS,
    DELIVERY_TRANSITIONS,
    AttemptOutcome,
    DeliveryStatus,
)
from ..messages import DELIVERY_FAILING
from ..models import Delivery, DeliveryAttempt, Destination, _webhook_secret
from ..payloads import case_staff_url, submission_answers_keyed, webhook_payload
from ..transports import PermanentFailure, Result, TemporaryFailure, transport_for
from ..transports.webhook import webhook_signature

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "DeliveryStateError",
    "deliveries_create",
    "deliveries_due_run",
    "destination_secret_replace",
    "delivery_attempt",
    "delivery_resend",
    "delivery_transition",
    "register",
    "submission_answers_keyed",
    "webhook_payload",
    "webhook_signature",
]

logger = logging.getLogger("portal.integrations")

# How long a delivery of an unpaid form's submission waits before looking at the case again.
PAYMENT_WAIT = timedelta(minutes=5)
# The most deliveries one housekeeping run queues (the rest wait for the next run).
DUE_BATCH = 500
# How long a replaced webhook secret still signs (a second ``v1=``), for receivers to change over.
SECRET_OVERLAP = timedelta(hours=24)
# How far back the housekeeping looks for submissions whose deliveries were never written.
MISSING_LOOKBACK = timedelta(days=7)


class DeliveryStateError(ValueError):
    """A move the delivery state table does not allow (e.g. resending one still being tried)."""


def register() -> None:
    """Have every new submission write its deliveries (called once, from ``AppConfig.ready``)."""
    submission_listener_register(_submission_made)


def _submission_made(submission: Submission) -> None:
    """The listener: runs inside the transaction making ``submission``. A failure here is
    logged and swallowed (in a savepoint), so it can never undo the resident's submission."""
    try:
        with transaction.atomic():
            deliveries_create(submission=submission)
    except Exception:
        logger.exception("Could not write the deliveries of submission %s", submission.pk)


def deliveries_create(*, submission: Submission) -> list[Delivery]:
    """One delivery per active destination of the submission's form (once each: a delivery is
    unique per destination and submission), each queued when the transaction commits."""
    destinations = Destination.objects.filter(form_id=submission.version.form_id, active=True)
    made: list[Delivery] = []
    with transaction.atomic():
        for destination in destinations:
            delivery, created = Delivery.objects.get_or_create(
                destination=destination,
                submission=submission,
                defaults={"case_id": submission.case_id, "next_attempt_at": timezone.now()},
            )
            if created:
                made.append(delivery)
    for delivery in made:
        transaction.on_commit(partial(_enqueue, delivery.pk))
    return made


def _enqueue(delivery_id: int, *, delay_seconds: int = 0, resent_by_id: int | None = None) -> bool:
    # reason: portal.integrations.tasks imports this module (the task is thin over it)
    from ..tasks import deliver

    args: list[Any] = [delivery_id] if resent_by_id is None else [delivery_id, resent_by_id]
    # A backend that cannot defer (the immediate one in tests) leaves a retry to the housekeeping.
    return task_enqueue(deliver, *args, delay_seconds=delay_seconds)


def delivery_transition(
    *, delivery: Delivery, to: str, where: dict[str, Any] | None = None, **fields: Any
) -> bool:
    """Move ``delivery`` to ``to``, if the state table allows it and nobody moved it first.

    The only writer of ``Delivery.status``: an ``UPDATE ... WHERE status = <the status we
    read>`` (and ``where``, such as the lease we hold), so of two workers racing only one
    moves it. Returns whether it moved; ``delivery`` is updated in place when it did. Raises
    ``DeliveryStateError`` for a move the table does not list.
    """
    if to not in DELIVERY_TRANSITIONS.get(delivery.status, frozenset()):
        raise DeliveryStateError(
            f"A delivery that is {DeliveryStatus(delivery.status).label.lower()} cannot be moved to "
            f"{DeliveryStatus(to).label.lower()}"
        )
    values = {"status": to, "updated_at": timezone.now(), **fields}
    changed = Delivery.objects.filter(pk=delivery.pk, status=delivery.status, **(where or {})).update(
        **values
    )
    if changed:
        computed = [name for name, value in values.items() if hasattr(value, "resolve_expression")]
        # Counters written as F() expressions: read back what the update made of them.
        read = Delivery.objects.filter(pk=delivery.pk).values(*computed).first() if computed else None
        plain = {name: value for name, value in values.items() if name not in computed}
        for name, value in {**plain, **(read or {})}.items():
            setattr(delivery, name, value)
    return bool(changed)


def _load(delivery_id: int | str) -> Delivery | None:
    return (
        Delivery.objects.select_related(
            "destination__form__team", "submission__version", "submission__user", "case"
        )
        .filter(pk=delivery_id)
        .first()
    )


def delivery_attempt(
    delivery_id: int | str, *, now: datetime | None = None, resent_by_id: int | None = None
) -> Delivery | None:
    """Try to deliver once (the task's body): claim, send, record, and decide what next.

    Does nothing to a delivery that is not due, already claimed by a live attempt, or
    finished. ``resent_by_id`` is the staff member who pressed "Resend", noted on the attempt.
    """
    now = now or timezone.now()
    delivery = _load(delivery_id)
    if delivery is None or delivery.status not in DELIVERY_CLAIMABLE or delivery.next_attempt_at > now:
        return delivery
    case = delivery.case
    if case is not None:
        if case.status == CaseStatus.CLOSED_UNPAID:
            delivery_transition(
                delivery=delivery,
                to=DeliveryStatus.CANCELLED,
                last_error="Not sent: the fee was not paid and the request was closed.",
            )
            return delivery
        if case.status == CaseStatus.AWAITING_PAYMENT:
            # Claimed and handed back, as the table has it: no attempt made, none counted.
            lease = now + timedelta(seconds=DELIVERY_LEASE_SECONDS)
            if delivery_transition(delivery=delivery, to=DeliveryStatus.SENDING, lease_until=lease):
                delivery_transition(
                    delivery=delivery,
                    to=DeliveryStatus.PENDING,
                    where={"lease_until": lease},
                    lease_until=None,
                    next_attempt_at=now + PAYMENT_WAIT,
                    last_error="Waiting for the fee to be paid.",
                )
            return delivery
    if delivery.attempts >= DELIVERY_MAX_ATTEMPTS:
        # Every attempt was used (the last ones lost with their workers): stop, as after failures.
        lease = now + timedelta(seconds=DELIVERY_LEASE_SECONDS)
        if delivery_transition(delivery=delivery, to=DeliveryStatus.SENDING, lease_until=lease):
            _failed(delivery, lease=lease, error=delivery.last_error or "No attempt finished.")
        return delivery
    lease = now + timedelta(seconds=DELIVERY_LEASE_SECONDS)
    if not delivery_transition(
        delivery=delivery,
        to=DeliveryStatus.SENDING,
        where={"next_attempt_at__lte": now},
        lease_until=lease,
        attempts=F("attempts") + 1,
    ):
        return delivery  # another worker claimed it first
    return _send(delivery, lease=lease, resent_by_id=resent_by_id)


def _send(delivery: Delivery, *, lease: datetime, resent_by_id: int | None) -> Delivery:
    started = timezone.now()
    clock = time.monotonic()
    outcome: str
    result: Result | None = None
    status_code: int | None = None
    try:
        result = transport_for(delivery.destination.kind)(delivery)
        outcome, status_code, detail = AttemptOutcome.DELIVERED, result.status_code, result.detail
    except PermanentFailure as exc:
        outcome, status_code, detail = AttemptOutcome.PERMANENT, exc.status_code, exc.detail
    except TemporaryFailure as exc:
        outcome, status_code, detail = AttemptOutcome.TEMPORARY, exc.status_code, exc.detail
    except Exception as exc:
        logger.exception("Delivery %s: the transport failed", delivery.pk)
        outcome, detail = AttemptOutcome.TEMPORARY, f"Error in the portal: {type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - clock) * 1000)
    if resent_by_id is not None:
        detail = f"{detail} (resent by staff)" if detail else "Resent by staff"
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            started_at=started,
            duration_ms=duration,
            outcome=outcome,
            status_code=status_code,
            detail=detail[:4000],
            resent_by_id=resent_by_id,
        )
        if outcome == AttemptOutcome.DELIVERED and result is not None:
            _delivered(delivery, lease=lease, result=result)
        elif outcome == AttemptOutcome.PERMANENT:
            _failed(delivery, lease=lease, error=detail)
        else:
            _retry_or_fail(delivery, lease=lease, error=detail)
    return delivery


def _delivered(delivery: Delivery, *, lease: datetime, result: Result) -> None:
    moved = delivery_transition(
        delivery=delivery,
        to=DeliveryStatus.DELIVERED,
        where={"lease_until": lease},
        lease_until=None,
        delivered_at=timezone.now(),
        failures_in_row=0,
        alerted_at=None,
        last_error="",
        remote_id=result.remote_id or delivery.remote_id,
    )
    if moved and result.remote_id and delivery.case is not None:
        case_event_add(
            case=delivery.case,
            type=EventType.INTERNAL_NOTE,
            actor=None,
            actor_role=Actor.SYSTEM,
            message=f"Sent to {delivery.destination.name}: their reference {result.remote_id}",
            public=False,
            data={
                "delivery": delivery.pk,
                "destination": delivery.destination_id,
                "remote_id": result.remote_id,
            },
        )


def _failed(delivery: Delivery, *, lease: datetime, error: str) -> None:
    if delivery_transition(
        delivery=delivery,
        to=DeliveryStatus.FAILED,
        where={"lease_until": lease},
        lease_until=None,
        failures_in_row=F("failures_in_row") + 1,
        last_error=error[:4000],
    ):
        _alert(delivery, final=True)


def _retry_or_fail(delivery: Delivery, *, lease: datetime, error: str) -> None:
    if delivery.attempts >= DELIVERY_MAX_ATTEMPTS:
        _failed(delivery, lease=lease, error=error)
        return
    delay = backoff_delay(delivery.attempts, DELIVERY_BACKOFF)
    if delivery_transition(
        delivery=delivery,
        to=DeliveryStatus.RETRYING,
        where={"lease_until": lease},
        lease_until=None,
        failures_in_row=F("failures_in_row") + 1,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error[:4000],
    ):
        if delivery.failures_in_row >= DELIVERY_ALERT_AFTER:
            _alert(delivery, final=False)
        transaction.on_commit(partial(_enqueue, delivery.pk, delay_seconds=delay))


def _alert_address(delivery: Delivery) -> str:
    destination = delivery.destination
    team = destination.form.team
    return destination.alert_email or (team.email if team is not None else "")


def _alert(delivery: Delivery, *, final: bool) -> None:
    """Tell the form's team: once per run of failures (``alerted_at``, cleared on success and
    resend) while still trying, and once more when it stops trying (``final_alerted_at``,
    cleared on resend).

    Only the mark is written here, in the attempt's transaction; the message goes once that
    commits, so an alert that cannot be sent never undoes the attempt's record.
    """
    column = "final_alerted_at" if final else "alerted_at"
    if not Delivery.objects.filter(pk=delivery.pk, **{f"{column}__isnull": True}).update(
        **{column: timezone.now()}
    ):
        return
    transaction.on_commit(partial(_alert_send, delivery.pk, final=final))


def _alert_send(delivery_id: int, *, final: bool) -> None:
    delivery = _load(delivery_id)
    if delivery is None:
        return
    try:
        _alert_message(delivery, final=final)
    except Exception:
        logger.exception("Could not send the alert about delivery %s", delivery_id)


def _alert_message(delivery: Delivery, *, final: bool) -> None:
    address = _alert_address(delivery)
    if not address:
        logger.warning(
            "Delivery %s to %s keeps failing and nobody can be told: set the destination's alert "
            "address or the form's team's email",
            delivery.pk,
            delivery.destination,
        )
        return
    case = delivery.case
    if final:
        state = "We have stopped trying. Resend it from the delivery log once the problem is fixed."
    else:
        state = f"We will keep trying, up to {DELIVERY_MAX_ATTEMPTS} attempts in all."
    message_send(
        key=DELIVERY_FAILING,
        email=address,
        channel="email",
        log_interaction=False,  # to a team, not a resident: not contact
        context={
            "destination": delivery.destination.name,
            "form": delivery.destination.form.title,
            "reference": case.reference if case else f"submission {delivery.submission_id}",
            "attempts": delivery.attempts,
            "state": state,
            "error": delivery.last_error or "(none given)",
            "link": case_staff_url(case.pk) if case else "",
        },
    )


@transaction.atomic
def delivery_resend(*, delivery: Delivery, by: User) -> Delivery:
    """Send a delivered, failed or cancelled delivery again ("Resend" in the delivery log):
    back to pending with a fresh set of attempts, queued on commit; the next attempt notes
    who asked. Raises ``DeliveryStateError`` while it is still being tried."""
    current = Delivery.objects.get(pk=delivery.pk)
    if current.status not in DELIVERY_FINAL:
        raise DeliveryStateError("This delivery is still being tried: wait for it to finish before resending")
    if not delivery_transition(
        delivery=current,
        to=DeliveryStatus.PENDING,
        attempts=0,
        failures_in_row=0,
        alerted_at=None,
        final_alerted_at=None,
        lease_until=None,
        next_attempt_at=timezone.now(),
        last_error="",
    ):
        raise DeliveryStateError("This delivery changed while you were looking at it: try again")
    transaction.on_commit(partial(_enqueue, current.pk, resent_by_id=by.pk))
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def destination_secret_replace(*, destination: Destination, now: datetime | None = None) -> Destination:
    """Give a webhook destination a new signing secret ("Replace the signing secret").

    The old one keeps signing too, as a second ``v1=`` in the signature header, for
    ``SECRET_OVERLAP`` (24 hours), so the receiver can take the new secret without refusing
    the deliveries in between; after that only the new one signs. A second replacement within
    the 24 hours keeps only the secret it replaces.
    """
    now = now or timezone.now()
    locked = Destination.objects.select_for_update().get(pk=destination.pk)
    locked.previous_secret = locked.secret
    locked.previous_secret_until = now + SECRET_OVERLAP
    locked.secret = _webhook_secret()
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    destination.secret = locked.secret
    destination.previous_secret = locked.previous_secret
    destination.previous_secret_until = locked.previous_secret_until
    return destination


def _lease_lost(delivery: Delivery, now: datetime) -> bool:
    """Hand back a delivery whose attempt outlived its lease (its worker died mid-send)."""
    lease = delivery.lease_until
    detail = (
        f"Attempt {delivery.attempts} did not finish within {DELIVERY_LEASE_SECONDS} seconds "
        "(the worker stopped); trying again."
    )
    with transaction.atomic():
        if delivery.attempts >= DELIVERY_MAX_ATTEMPTS:
            moved = delivery_transition(
                delivery=delivery,
                to=DeliveryStatus.FAILED,
                where={"lease_until": lease},
                lease_until=None,
                failures_in_row=F("failures_in_row") + 1,
                last_error="No attempt finished.",
            )
            if moved:
                _alert(delivery, final=True)
        else:
            moved = delivery_transition(
                delivery=delivery,
                to=DeliveryStatus.PENDING,
                where={"lease_until": lease},
                lease_until=None,
                next_attempt_at=now,
                last_error=detail,
            )
        if moved:
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=lease - timedelta(seconds=DELIVERY_LEASE_SECONDS) if lease else now,
                duration_ms=DELIVERY_LEASE_SECONDS * 1000,
                outcome=AttemptOutcome.TEMPORARY,
                detail=detail,
            )
    return moved


def deliveries_due_run(now: datetime | None = None) -> int:
    """Queue every delivery that is due (run every minute or few by ``integrations_housekeeping``).

    Due: pending or retrying with ``next_attempt_at`` passed (a retry the task backend could
    not defer, a task lost between commit and queueing, a fee now paid), and any claimed
    delivery whose lease ran out (handed back first). Deliveries that recent submissions
    should have and lack are written first. Returns how many were queued. Safe to run twice
    at once: each attempt claims its delivery, and a second one finds it taken. An error with
    one delivery is logged and the run goes on (so does the polling the housekeeping runs next).
    """
    now = now or timezone.now()
    _deliveries_missing_create(now)
    expired = Delivery.objects.filter(status=DeliveryStatus.SENDING).filter(
        Q(lease_until__lte=now)
        | Q(lease_until__isnull=True, updated_at__lte=now - timedelta(seconds=DELIVERY_LEASE_SECONDS))
    )
    for delivery in expired.select_related("destination__form__team", "case")[:DUE_BATCH]:
        # One delivery that cannot be handed back must not stop the others (or the polling after).
        try:
            _lease_lost(delivery, now)
        except Exception:
            logger.exception("Could not hand back delivery %s after its lease ran out", delivery.pk)
    due = list(
        Delivery.objects.filter(status__in=DELIVERY_CLAIMABLE, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    # Due by the clock the task will read (``now`` may be given later than the real time).
    real_now = timezone.now()
    Delivery.objects.filter(pk__in=due, next_attempt_at__gt=real_now).update(next_attempt_at=real_now)
    for pk in due:
        transaction.on_commit(partial(_enqueue_logged, pk), robust=True)
    return len(due)


def _enqueue_logged(delivery_id: int) -> None:
    """Queue one due delivery; an error (with the immediate backend, the attempt's own) is
    logged, so the rest of the run's deliveries are still queued."""
    try:
        _enqueue(delivery_id)
    except Exception:
        logger.exception("Could not queue delivery %s", delivery_id)


def _deliveries_missing_create(now: datetime) -> int:
    """Write the deliveries a recent submission should have and has not (writing them failed
    in the submission's transaction, which carried on without them: ``_submission_made``).

    Only submissions of the last ``MISSING_LOOKBACK`` made after the destination was, so a
    new destination is not sent what came before it. Returns how many were written.
    """
    since = now - MISSING_LOOKBACK
    made = 0
    for destination in Destination.objects.filter(active=True).only("pk", "form_id", "created_at"):
        missing = (
            Submission.objects.filter(
                version__form_id=destination.form_id,
                submitted_at__gte=max(since, destination.created_at),
            )
            .exclude(deliveries__destination=destination)
            .order_by("submitted_at")[:DUE_BATCH]
        )
        for submission in missing:
            try:
                created = deliveries_create(submission=submission)
            except Exception:
                logger.exception("Could not write the missing deliveries of submission %s", submission.pk)
                continue
            if created:
                made += len(created)
                logger.error(
                    "Submission %s had no delivery to %s: written by the housekeeping",
                    submission.pk,
                    destination,
                )
    return made
