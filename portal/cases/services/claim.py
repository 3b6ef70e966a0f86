"""A resident adding to their account the requests they made anonymously with the same email.

Offered on My account and the case list when the resident has a *verified* email address
that anonymous requests were made with (``selectors.case_claimable_for_resident``); done
only when they confirm (a POST). The match is checked again here, inside the transaction,
so nothing is attached without a verified match. Each case gets a ``claimed`` event
(staff only) saying who added it and with which address; its tracking link stops working,
since the case now lives in the resident's account.
"""

from typing import TYPE_CHECKING

from django.db import transaction

from ..constants import Actor, EventType
from ..models import Case
from ..selectors import case_claimable_for_resident
from .timeline import case_event_add

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def case_claim(*, user: "User", references: list[str] | None = None) -> list[Case]:
    """Attach to ``user`` the anonymous cases made with one of their verified email addresses
    (all of them, or those in ``references``). Returns the cases attached."""
    claimable = case_claimable_for_resident(user)
    if references is not None:
        claimable = claimable.filter(reference__in=references)
    cases = list(claimable.select_for_update())
    for case in cases:
        Case.objects.filter(pk=case.pk, resident__isnull=True).update(resident=user)
        case.resident = user
        case_event_add(
            case=case,
            type=EventType.CLAIMED,
            actor=user,
            actor_role=Actor.RESIDENT,
            public=False,
            message=f"The resident added this request to their account, confirming the email "
            f"address it was made with ({case.contact_email}), which they have verified.",
        )
    return cases
