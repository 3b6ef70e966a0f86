"""Asking residents once per case: "How satisfied are you with the outcome?"

When a case is resolved or rejected, the resident is asked on the case page (or the
anonymous tracking page) and in the email about the decision. ``Case.satisfaction_state``
records where that stands: blank until they answer or say "No thanks", then ``answered``
or ``dismissed``. Both are set by a conditional UPDATE (only from blank), so a double
submit, a second tab or a replayed email link records one answer, never two.

Reopening: an answer is about one decision. When a case is reopened (or a rejected one is
taken up again after the resident asks for a review), an earlier answer no longer counts:
it is marked superseded (``portal.interactions.satisfaction.satisfaction_supersede``), so
the figures leave it out, and the resident is asked again about the new outcome. A "No
thanks" stands: a resident who dismissed the question is not asked about the case again.

Answers are ``satisfaction`` interactions (``portal.interactions.satisfaction``); staff who
hear the answer on the phone or face to face record it with the case's contact form.

The reads (whether the question is due, its page, what staff see) are in
``portal.cases.selectors``.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.interactions.constants import Channel, SatisfactionScore
from portal.interactions.satisfaction import satisfaction_record, satisfaction_supersede

from ..constants import SATISFACTION_STATUSES, SatisfactionState
from ..models import Case
from ..permissions import case_visible_to_staff_by_reference, staff_can_view_case
from .checks import CaseError

if TYPE_CHECKING:
    from accounts.models import User

NOT_YOUR_CASE = "You cannot record an answer on this case"


def _claim(case: Case, state: str, *, allow_dismissed: bool = False) -> bool:
    """Move the case's question from unanswered to ``state`` if nobody has already; one
    UPDATE, so of two concurrent submits exactly one wins."""
    states = ["", SatisfactionState.DISMISSED] if allow_dismissed else [""]
    now = timezone.now()
    claimed = Case.objects.filter(
        pk=case.pk, satisfaction_state__in=states, status__in=sorted(SATISFACTION_STATUSES)
    ).update(satisfaction_state=state, satisfaction_at=now)
    if claimed:
        case.satisfaction_state, case.satisfaction_at = state, now
        return True
    fresh = Case.objects.only("status", "satisfaction_state", "satisfaction_at").get(pk=case.pk)
    case.status, case.satisfaction_state, case.satisfaction_at = (
        fresh.status,
        fresh.satisfaction_state,
        fresh.satisfaction_at,
    )
    if case.status not in SATISFACTION_STATUSES:
        raise CaseError("This request is not closed any more, so we cannot ask about its outcome yet")
    return False


def _satisfaction_supersede(case: Case) -> None:
    """On reopening (inside ``case_transition``, with the case row locked; the caller saves
    ``case``): an answer to the old decision leaves the figures and the question is due again."""
    if case.satisfaction_state != SatisfactionState.ANSWERED:
        return
    satisfaction_supersede(case_reference=case.reference, since=case.created_at)
    case.satisfaction_state, case.satisfaction_at = "", None


def _score_check(score: int) -> int:
    if score not in SatisfactionScore.values:
        raise CaseError("Select how satisfied you are with the outcome")
    return score


@transaction.atomic
def case_satisfaction_answer(
    *, case: Case, score: int, comment: str = "", request: HttpRequest | None = None
) -> bool:
    """The resident's answer on the web. Returns False, recording nothing, if the question
    was already answered or dismissed; raises ``CaseError`` if the case is open again."""
    _score_check(score)
    if not _claim(case, SatisfactionState.ANSWERED):
        return False
    satisfaction_record(
        score=score,
        channel=Channel.WEB,
        service_code=case.service_code,
        comment=comment,
        request=request,
        user=case.resident if request is None else None,
        case_reference=case.reference,
    )
    return True


def case_satisfaction_dismiss(*, case: Case) -> bool:
    """The resident chose "No thanks": they are not asked about this case again."""
    return _claim(case, SatisfactionState.DISMISSED)


@transaction.atomic
def case_satisfaction_record_assisted(
    *, case: Case, staff: "User", channel: str, score: int, comment: str = ""
) -> bool:
    """An answer the resident gave an officer by phone, face to face or in writing.

    Counts as the case's one answer: returns False, recording nothing, if the resident
    already answered (online or to a colleague). Raises ``CaseError`` if ``staff`` cannot
    see the case.
    """
    _score_check(score)
    if not staff_can_view_case(staff, case):
        raise CaseError(NOT_YOUR_CASE)
    if not _claim(case, SatisfactionState.ANSWERED, allow_dismissed=True):
        return False
    satisfaction_record(
        score=score,
        channel=channel,
        service_code=case.service_code,
        comment=comment,
        user=case.resident,
        staff=staff,
        case_reference=case.reference,
    )
    return True


def satisfaction_record_for_contact(
    *,
    staff: "User",
    channel: str,
    service_code: int | None,
    score: int,
    comment: str = "",
    resident: "User | None" = None,
    case_reference: str = "",
    occurred_at: datetime | None = None,
) -> bool:
    """An answer staff took on the general "Record a contact" form.

    When the contact names a case that has an outcome, the answer is that case's one answer
    (recorded with ``case_satisfaction_record_assisted``): False if the resident had already
    answered, so nothing is counted twice. Otherwise it is recorded on its own.

    Only a case ``staff`` can see may be answered for: naming another team's case raises
    ``CaseError`` (the form refuses it first), as a reference that matches no case does,
    so an officer can neither use up another team's question nor learn that a case exists.
    """
    _score_check(score)
    case = None
    if case_reference.strip():
        case = case_visible_to_staff_by_reference(staff, case_reference)
        if case is None:
            raise CaseError(NOT_YOUR_CASE)
        case_reference = case.reference
    if case is not None and case.status in SATISFACTION_STATUSES:
        try:
            with transaction.atomic():
                if not _claim(case, SatisfactionState.ANSWERED, allow_dismissed=True):
                    return False
                satisfaction_record(
                    score=score,
                    channel=channel,
                    service_code=service_code if service_code is not None else case.service_code,
                    comment=comment,
                    user=resident or case.resident,
                    staff=staff,
                    case_reference=case.reference,
                    occurred_at=occurred_at,
                )
            return True
        except CaseError:
            pass  # reopened a moment ago: an answer about this contact, not the case's outcome
    satisfaction_record(
        score=score,
        channel=channel,
        service_code=service_code,
        comment=comment,
        user=resident,
        staff=staff,
        case_reference=case_reference,
        occurred_at=occurred_at,
    )
    return True
