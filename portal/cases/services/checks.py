"""Who may act on a case: the error the services raise, and the resident and staff checks."""

from hmac import compare_digest
from typing import TYPE_CHECKING

from ..models import Case
from ..permissions import staff_can_change_case

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class CaseError(ValueError):
    """A move or action the rules do not allow; the message is written for the person who tried."""


def _resident_check(case: Case, user: "User | AnonymousUser") -> None:
    if case.resident_id is None or case.resident_id != user.pk:
        raise CaseError("This is not your case")


def _tracking_check(case: Case, token: str) -> None:
    """An anonymous request acted on through its tracking link: the token must be its own."""
    if (
        case.resident_id is not None
        or not token
        or len(token) < 20
        or not compare_digest(case.tracking_token, token)
    ):
        raise CaseError("This is not your case")


def _staff_check(case: Case, actor: "User") -> None:
    if not staff_can_change_case(actor, case):
        raise CaseError("You do not have permission to work on this case")
