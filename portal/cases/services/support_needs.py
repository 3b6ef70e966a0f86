"""Support needs an officer records on a case, after a conversation with the person.

There is one record per person. For a case with a resident account it is the resident's
own ``accounts.SupportNeeds`` (the same one they see and change on their profile), so an
officer recording needs after a conversation updates it for all the resident's cases,
with ``recorded_by`` set to the officer; it is exported with the resident's data and
erased with their account. A case with no account (an anonymous request) keeps them on
the case itself (``CaseSupportNeeds``), for as long as the case is kept.

What officers see is read by ``portal.cases.selectors.case_support_needs``.
"""

from typing import TYPE_CHECKING

from django.db import transaction

from accounts.services import support_needs_clean, support_needs_update

from ..constants import Actor, EventType
from ..models import Case, CaseSupportNeeds
from ..permissions import staff_can_change_case
from .timeline import case_event_add

if TYPE_CHECKING:
    from accounts.models import SupportNeeds, User


class SupportNeedsError(Exception):
    """The officer may not record support needs on this case; the message says why."""


def case_support_needs_update(
    *, case: Case, actor: "User", needs: list[str], language: str = "", details: str = ""
) -> "SupportNeeds | CaseSupportNeeds | None":
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
        record: SupportNeeds | CaseSupportNeeds | None
        if case.resident is not None:
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


def _case_record_update(
    *, case: Case, needs: list[str], language: str, details: str, actor: "User"
) -> CaseSupportNeeds | None:
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
