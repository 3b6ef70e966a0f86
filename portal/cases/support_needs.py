"""Support needs on cases: what officers see and record about a person's need for extra support.

There is one record per person. For a case with a resident account it is the resident's
own ``accounts.SupportNeeds`` (the same one they see and change on their profile), so an
officer recording needs after a conversation updates it for all the resident's cases,
with ``recorded_by`` set to the officer; it is exported with the resident's data and
erased with their account. A case with no account (an anonymous request) keeps them on
the case itself (``CaseSupportNeeds``), for as long as the case is kept.

Only staff who can see the case see its support needs: every read goes through the case
views, which ask ``portal.cases.permissions`` first.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from accounts.constants import SupportNeed
from accounts.models import SupportNeeds
from accounts.services import support_needs_clean, support_needs_update

from .constants import Actor, EventType
from .models import Case, CaseSupportNeeds
from .permissions import staff_can_change_case
from .services import case_event_add

# The officer's wording: the resident's choices are written in the first person.
STAFF_LABELS = {
    SupportNeed.LARGE_PRINT: "Large print, or letters in another format",
    SupportNeed.INTERPRETER: "An interpreter",
    SupportNeed.BSL: "British Sign Language",
    SupportNeed.PHONE: "Finds it hard to use the phone",
    SupportNeed.READING: "Help reading or understanding forms and letters",
    SupportNeed.CARER: "Someone else, such as a carer, acts for them",
    SupportNeed.OTHER: "Something else (see the details)",
}
STAFF_CHOICES = [(need.value, STAFF_LABELS[need]) for need in SupportNeed]


def support_labels(needs: list[str], language: str = "") -> list[str]:
    """The needs in the officer's words, the interpreter's language included."""
    labels = []
    for need in SupportNeed:
        if need.value in needs:
            label = STAFF_LABELS[need]
            if need == SupportNeed.INTERPRETER and language:
                label = f"{label} ({language})"
            labels.append(label)
    return labels


@dataclass(frozen=True)
class CaseSupport:
    """The support needs an officer sees on a case, wherever they are kept."""

    labels: list[str]
    needs: list[str]
    language: str
    details: str
    updated_at: datetime | None
    recorded_by: str  # "the resident", or the officer's name
    on_account: bool  # kept with the resident's account (else with this case only)


def _recorder(record, resident) -> str:
    if record.recorded_by_id is None or (resident is not None and record.recorded_by_id == resident.pk):
        return "the resident"
    officer = record.recorded_by
    return (officer.full_name or officer.email) if officer else "an officer"


def case_support_needs(case: Case) -> CaseSupport | None:
    """The support needs to show on ``case`` (the caller has checked the viewer may see it).

    Reads what ``select_related("resident__support_needs__recorded_by",
    "support_needs__recorded_by")`` fetched with the case, so it adds no query then.
    """
    if case.resident_id:
        record = case.resident.support_needs_or_none
        resident = case.resident
    else:
        record = _case_record(case)
        resident = None
    if record is None:
        return None
    return CaseSupport(
        labels=support_labels(record.needs, record.language),
        needs=list(record.needs),
        language=record.language,
        details=record.details,
        updated_at=record.updated_at,
        recorded_by=_recorder(record, resident),
        on_account=resident is not None,
    )


def _case_record(case: Case) -> CaseSupportNeeds | None:
    try:
        return case.support_needs
    except CaseSupportNeeds.DoesNotExist:
        return None


def cases_with_support_flag(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate ``has_support_needs``: the resident's record or the case's own. Two EXISTS
    subqueries in the same query, so the queue costs no more queries however many rows."""
    return queryset.annotate(
        has_support_needs=Exists(SupportNeeds.objects.filter(user_id=OuterRef("resident_id")))
        | Exists(CaseSupportNeeds.objects.filter(case_id=OuterRef("pk")))
    )


class SupportNeedsError(Exception):
    """The officer may not record support needs on this case; the message says why."""


def case_support_needs_update(*, case: Case, actor, needs: list[str], language: str = "", details: str = ""):
    """Record the support needs an officer heard about in a conversation on ``case``.

    With a resident account, this updates the resident's own record (``recorded_by`` the
    officer), which they see and can change on their profile. Without one, the needs are
    kept on the case. Clearing every answer deletes the record. An internal timeline entry
    says that the needs changed and who changed them, without repeating them. Returns the
    record, or None when cleared.
    """
    if not staff_can_change_case(actor, case):
        raise SupportNeedsError("You cannot change this case")
    with transaction.atomic():
        if case.resident_id:
            record = support_needs_update(
                user=case.resident, needs=needs, language=language, details=details, recorded_by=actor
            )
        else:
            record = _case_record_update(
                case=case, needs=needs, language=language, details=details, actor=actor
            )
        case_event_add(
            case=case,
            type=EventType.INTERNAL_NOTE,
            actor=actor,
            actor_role=Actor.STAFF,
            public=False,
            message="Support needs recorded" if record else "Support needs removed",
            data={"support_needs": "recorded" if record else "removed"},
        )
    return record


def _case_record_update(*, case: Case, needs: list[str], language: str, details: str, actor):
    """The same rules as ``accounts.services.support_needs_update``, for a case with no account."""
    needs, language, details = support_needs_clean(needs=needs, language=language, details=details)
    if not needs and not details:
        CaseSupportNeeds.objects.filter(case=case).delete()
        return None
    record, _ = CaseSupportNeeds.objects.update_or_create(
        case=case,
        defaults={"needs": needs, "language": language, "details": details, "recorded_by": actor},
    )
    return record
