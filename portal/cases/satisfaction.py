"""Asking residents once per case: "How satisfied are you with the outcome?"

When a case is resolved or rejected, the resident is asked on the case page (or the
anonymous tracking page) and in the email about the decision. ``Case.satisfaction_state``
records where that stands: blank until they answer or say "No thanks", then ``answered``
or ``dismissed``. Both are set by a conditional UPDATE (only from blank), so a double
submit, a second tab or a replayed email link records one answer, never two.

Reopening: the question is asked once per *case*, not once per decision. A case reopened
and resolved again is not asked again if the resident already answered or dismissed it;
if they had not, they are asked about the new outcome. An answer recorded before a
reopening stays in the figures: it was the resident's view of that outcome.

Answers are ``satisfaction`` interactions (``portal.interactions.satisfaction``); staff who
hear the answer on the phone or face to face record it with the case's contact form.
"""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.interactions.constants import Channel, SatisfactionScore
from portal.interactions.models import Interaction, SatisfactionComment
from portal.interactions.satisfaction import satisfaction_record

from .constants import SATISFACTION_STATUSES, SatisfactionState
from .models import Case
from .permissions import case_visible_to_staff_by_reference, staff_can_view_case
from .services import CaseError

NOT_YOUR_CASE = "You cannot record an answer on this case"


def case_satisfaction_due(case: Case) -> bool:
    """Whether the resident should be asked now: the case has an outcome and they have not
    answered or dismissed the question."""
    return case.status in SATISFACTION_STATUSES and not case.satisfaction_state


def case_satisfaction_path(case: Case) -> str:
    """The rating page: under the tracking link for anonymous requests (no sign-in needed),
    else under the resident's case page in My account."""
    if case.resident_id:
        return reverse("cases:satisfaction", kwargs={"reference": case.reference})
    return reverse("cases:track_satisfaction", kwargs={"token": case.tracking_token})


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


def _score_check(score) -> int:
    if score not in SatisfactionScore.values:
        raise CaseError("Select how satisfied you are with the outcome")
    return score


@transaction.atomic
def case_satisfaction_answer(*, case: Case, score: int, comment: str = "", request=None) -> bool:
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


def case_satisfaction_staff_can_record(case: Case) -> bool:
    """Staff may record the resident's answer (given by phone or in person) while the case has
    an outcome and the resident has not answered yet, even if they dismissed the online question."""
    return case.status in SATISFACTION_STATUSES and case.satisfaction_state != SatisfactionState.ANSWERED


@transaction.atomic
def case_satisfaction_record_assisted(
    *, case: Case, staff, channel: str, score: int, comment: str = ""
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
    staff,
    channel: str,
    service_code: int | None,
    score: int,
    comment: str = "",
    resident=None,
    case_reference: str = "",
    occurred_at=None,
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


def case_satisfaction_for_staff(case: Case) -> dict | None:
    """What the resident said about the outcome, for the staff case view (None: not asked yet).

    The answer is a ``satisfaction`` interaction, found through the (type, time) index
    around the moment the case recorded it, since the log is not indexed by case.
    """
    if not case.satisfaction_state:
        return None
    answer = None
    if case.satisfaction_state == SatisfactionState.ANSWERED and case.satisfaction_at:
        window = timedelta(minutes=5)
        answer = (
            Interaction.objects.filter(
                type="satisfaction",
                occurred_at__range=(case.satisfaction_at - window, case.satisfaction_at + window),
                case_reference=case.reference,
            )
            .order_by("-occurred_at")
            .first()
        )
    score = (answer.extras or {}).get("score") if answer else None
    comment = SatisfactionComment.objects.filter(interaction_id=answer.pk).first() if answer else None
    return {
        "state": SatisfactionState(case.satisfaction_state).label,
        "at": case.satisfaction_at,
        "score": SatisfactionScore(score).label if score in SatisfactionScore.values else "",
        "channel": answer.get_channel_display() if answer else "",
        "comment": comment.comment if comment else "",
    }
