"""Calls the contact centre took with a resident.

- Added to an account with the resident record they were about (``accounts.records``), so
  the call's audit trail follows the person.
- On account deletion the call stays (who took it, when, on which channel, its recorded
  contact) without the person, and without how their identity was checked.
"""

from portal.lib.personal_data import register

from .models import Call


def _reassign(source, target) -> None:
    Call.objects.filter(resident=source).update(resident=target)


def _erase(user) -> None:
    Call.objects.filter(resident=user).update(
        resident=None, identity="", identity_checked_at=None, code_hash=""
    )


register(
    name="calls",
    label="Calls and visits the contact centre dealt with for you",
    erase=_erase,
    reassign=_reassign,
    order=95,
)
