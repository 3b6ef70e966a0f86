"""Who may act on a case: the error the services raise, and the resident and staff checks."""

from hmac import compare_digest
from typing import TYPE_CHECKING

from accounts.models import Proxy

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


def _acting_check(case: Case, user: "User | AnonymousUser") -> Proxy | None:
    """The resident themselves (None), or someone acting for them under an active arrangement
    that lets them send requests and messages (that arrangement); anyone else is refused."""
    if case.resident_id is not None and case.resident_id == user.pk:
        return None
    proxy = (
        Proxy.objects.active().filter(resident_id=case.resident_id, person_id=user.pk).first()
        if case.resident_id is not None and user.pk is not None
        else None
    )
    if proxy is None:
        raise CaseError("This is not your case")
    if not proxy.can_submit:
        raise CaseError("You can see this request, but you cannot send messages or make changes for them")
    return proxy


def acting_data(proxy: Proxy | None) -> dict:
    """What a timeline entry keeps to say it was made by someone acting for the resident."""
    return {"proxy": proxy.pk} if proxy is not None else {}


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
