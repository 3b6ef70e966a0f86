"""Status updates coming back from back-office systems: through the status API, or read from a
remote Open311 system (``polling``). Each is kept (``StatusUpdate``) and applied at most once.

Back offices repeat themselves (retries after a timeout, overlapping polling windows) and send
out of order (queues, clocks). So an update is identified by its source and the source's own
id: a repeat changes nothing and gets the first answer again. An update older
(``remote_time``) than one already applied to the case from the same source is kept, marked
stale and not applied, so an old "in progress" never reopens a case a newer update closed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import IntegrityError, transaction

from portal.cases.constants import MESSAGE_REQUIRED_FOR, OPEN_STATUSES, STAFF_LABELS, CaseStatus
from portal.cases.models import Case
from portal.cases.services import CaseError, case_back_office_update

from ..constants import UpdateOutcome
from ..models import StatusUpdate

logger = logging.getLogger("portal.integrations")

# Statuses other systems say, besides the portal's own (``CaseStatus`` values): Open311's two
# and FixMyStreet's extended set, compared without regard to case. "open" and "closed" are
# handled apart (see ``status_target``).
EXTERNAL_STATUSES: dict[str, str] = {
    "in_progress": CaseStatus.IN_PROGRESS,
    "action_scheduled": CaseStatus.IN_PROGRESS,
    "investigating": CaseStatus.IN_PROGRESS,
    "fixed": CaseStatus.RESOLVED,
    "not_councils_responsibility": CaseStatus.REJECTED,
    "duplicate": CaseStatus.REJECTED,
    "no_further_action": CaseStatus.REJECTED,
    "wont_fix": CaseStatus.REJECTED,
    "internal_referral": CaseStatus.REJECTED,
}
OPEN = "open"
CLOSED = "closed"


class StatusUpdateRefused(Exception):
    """An update the case's rules do not allow (or a status the portal does not know).

    ``field`` names what was wrong, for the API's error list. The update is kept, refused.
    """

    def __init__(self, message: str, *, field: str = "status") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StatusUpdateConflict(StatusUpdateRefused):
    """An ``update_id`` the source already used for an update to another case.

    Not a repeat (that would be the same case): two updates given one id, and only the
    source can say which is which, so the second is refused rather than dropped as a copy.
    """

    def __init__(self, update_id: str) -> None:
        super().__init__(
            f"update_id {update_id} was already used for an update to another case: "
            "give each update its own update_id",
            field="update_id",
        )


def status_known(status: str) -> bool:
    """Whether ``status`` is one the portal understands (its own, Open311's or FixMyStreet's)."""
    key = _key(status)
    return not key or key in (OPEN, CLOSED) or key in CaseStatus.values or key in EXTERNAL_STATUSES


def status_target(status: str, *, current: str) -> str:
    """The portal status ``status`` asks for, for a case now in ``current``; "" for no change.

    Open311's "open" means "not closed": it starts work on a case just received, leaves a case
    that is being worked (or waits for the resident, or for payment) as it is, and asks to
    reopen a closed one. Its "closed" resolves an open case and leaves a closed one as it is
    (however the portal closed it). Raises ``StatusUpdateRefused`` for a status the portal
    does not know.
    """
    key = _key(status)
    if not key:
        return ""
    if key == OPEN:
        if current == CaseStatus.SUBMITTED or current not in OPEN_STATUSES:
            return CaseStatus.IN_PROGRESS
        return ""
    if key == CLOSED:
        return CaseStatus.RESOLVED if current in OPEN_STATUSES else ""
    if key in CaseStatus.values:
        return key
    if key in EXTERNAL_STATUSES:
        return EXTERNAL_STATUSES[key]
    raise StatusUpdateRefused(f"{status!r} is not a status the portal knows")


def _key(status: str) -> str:
    return status.strip().lower().replace(" ", "_").replace("-", "_")


def status_update_apply(
    *,
    source: str,
    update_id: str,
    case: Case,
    status: str = "",
    public_message: str = "",
    internal_note: str = "",
    expected_on: date | None = None,
    remote_time: datetime | None = None,
    by_label: str,
) -> StatusUpdate:
    """Keep one update from ``source`` and apply it to ``case`` once.

    Returns the ``StatusUpdate`` whose ``outcome`` says what happened: applied; stale (older
    than one already applied to the case from ``source``: kept, not applied); or duplicate
    (this ``update_id`` came before: the first row is returned, with ``outcome`` set to
    duplicate on the returned object only, and nothing is applied again, even when two
    copies arrive at once). The same id for another case raises ``StatusUpdateConflict``
    (a ``StatusUpdateRefused``), nothing kept. A refused update is kept too, and raises
    ``StatusUpdateRefused`` (a repeat of it raises the same again). ``by_label`` is the
    system's name staff read on the timeline ("Highways system (back office)").
    """
    update_id = str(update_id).strip()[:120]
    if not update_id:
        raise ValueError("A status update needs its update id")
    existing = StatusUpdate.objects.filter(source=source, update_id=update_id).first()
    if existing is not None:
        return _repeat(existing, case=case)
    fields = {
        "case": case,
        "status": status.strip()[:24],
        "public_message": public_message.strip(),
        "internal_note": internal_note.strip(),
        "expected_on": expected_on,
        "remote_time": remote_time,
    }
    refused: StatusUpdateRefused | None = None
    try:
        with transaction.atomic():
            # One update per case at a time: the stale check and the apply see the same case.
            locked = Case.objects.select_for_update().get(pk=case.pk)
            # Inserted first: a copy arriving at the same moment waits on the unique index
            # and then fails, so only one of them is ever applied.
            row = StatusUpdate.objects.create(
                source=source, update_id=update_id, outcome=UpdateOutcome.APPLIED, **fields
            )
            if _stale(row):
                row.outcome = UpdateOutcome.STALE
                row.detail = "Older than an update already applied to this case"
                row.save(update_fields=["outcome", "detail"])
                return row
            try:
                target = status_target(status, current=locked.status)
                _message_check(target, locked, public_message)
                with transaction.atomic():
                    case_back_office_update(
                        case=locked,
                        source_label=by_label,
                        status=target,
                        public_message=public_message,
                        internal_note=internal_note,
                        expected_on=expected_on,
                    )
            except CaseError as error:
                refused = StatusUpdateRefused(str(error), field="status")
            except StatusUpdateRefused as error:
                refused = error
            if refused is not None:
                row.outcome = UpdateOutcome.REFUSED
                row.detail = _detail(refused)
                row.save(update_fields=["outcome", "detail"])
    except IntegrityError:
        first = StatusUpdate.objects.filter(source=source, update_id=update_id).first()
        if first is None:
            raise
        return _repeat(first, case=case)
    if refused is not None:
        logger.info("Status update %s %s for %s refused: %s", source, update_id, case.reference, refused)
        raise refused
    return row


def _stale(row: StatusUpdate) -> bool:
    if row.remote_time is None:
        return False
    return (
        StatusUpdate.objects.filter(
            case=row.case,
            source=row.source,
            outcome=UpdateOutcome.APPLIED,
            remote_time__gt=row.remote_time,
        )
        .exclude(pk=row.pk)
        .exists()
    )


def _message_check(target: str, case: Case, public_message: str) -> None:
    """The resident is told in words why their case is closed or waits for them (as an
    officer must), so a back office that closes a case says why."""
    if target and target != case.status and target in MESSAGE_REQUIRED_FOR and not public_message.strip():
        raise StatusUpdateRefused(
            f"Enter a public message telling the resident why the case is now "
            f"{STAFF_LABELS[CaseStatus(target)].lower()}",
            field="public_message",
        )


# The field is kept at the start of the detail, so a repeat is refused the same way.
def _detail(refused: StatusUpdateRefused) -> str:
    return f"{refused.field}: {refused.message}"[:300]


def _repeat(first: StatusUpdate, *, case: Case) -> StatusUpdate:
    """The answer to an update id seen before: the same refusal, or the first row as a
    duplicate; ``StatusUpdateConflict`` when the id was used for another case."""
    if first.case_id != case.pk:
        raise StatusUpdateConflict(first.update_id)
    if first.outcome == UpdateOutcome.REFUSED:
        field, _, message = first.detail.partition(": ")
        raise StatusUpdateRefused(message or first.detail, field=field if message else "status")
    first.outcome = UpdateOutcome.DUPLICATE
    return first
