"""Calls: taking one, finding and identifying the caller, and closing it.

The agent's current call lives in their session (``SESSION_CALL``); the middleware turns it
into ``request.assisted`` (``portal.lib.assisted``) so the resident-facing forms and payment
pages act for the caller. Every look at, and action on, a resident's record is audited
through ``accounts.services.staff_access_record``, tagged with the call; closing the call
records the assisted contact and gives every audit entry of the call that contact as its
reason.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.constants import IdentityCheck, StaffAccessAction
from accounts.services import staff_access_contact_link, staff_access_record
from portal.interactions.constants import ASSISTED_CHANNELS, Channel
from portal.interactions.models import Interaction
from portal.lib.assisted import Assisted

from .models import Call

if TYPE_CHECKING:
    from accounts.models import User

SESSION_CALL = "contact_centre.call"
# A code read back by the caller: how long it lasts and how many tries it gets.
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# A call left open longer than a shift stops giving access to the caller's record: the agent
# takes a new call (and checks identity again) to carry on.
CALL_HOURS = 8


class CallError(ValueError):
    """Something an agent cannot do on this call; the message says why, for the agent."""


def call_start(*, staff: "User", channel: str) -> Call:
    """Take a call (or a desk visit, an email or a letter): nobody identified yet."""
    if channel not in {c.value for c in ASSISTED_CHANNELS}:
        raise CallError("Choose how the person contacted the council")
    return Call.objects.create(staff=staff, channel=channel)


def call_for(*, staff: "User", call_id: UUID | str | None) -> Call | None:
    """``staff``'s own open call with this id, or None (another agent's call is never theirs,
    nor one taken more than ``CALL_HOURS`` ago)."""
    if not call_id:
        return None
    try:
        return (
            Call.objects.select_related("resident", "staff")
            .filter(
                pk=call_id,
                staff=staff,
                ended_at__isnull=True,
                started_at__gte=timezone.now() - timedelta(hours=CALL_HOURS),
            )
            .first()
        )
    except (ValueError, TypeError):
        return None


def assisted_from(call: Call) -> Assisted:
    """What the resident-facing pages need to know about the call."""
    return Assisted(
        call_id=call.pk,
        staff=call.staff,
        channel=call.channel,
        resident=call.resident if call.identity_checked else None,
        identity=call.identity if call.identity_checked else "",
    )


@transaction.atomic
def call_caller_set(*, call: Call, resident: "User | None") -> Call:
    """The agent thinks the caller is ``resident`` (or clears it): identity not checked yet.

    Once a caller's record is open, the call is theirs: everything audited on it gets the
    contact recorded at its end as its reason, so helping someone else needs a new call.
    """
    _open(call)
    if call.identity_checked and (resident is None or resident.pk != call.resident_id):
        raise CallError(
            f"You have opened {call.resident}’s record on this call. Close this call, then take "
            "a new one to help someone else"
        )
    call.resident = resident
    call.identity = ""
    call.identity_checked_at = None
    call.code_hash = ""
    call.code_sent_at = None
    call.code_attempts = 0
    call.save(
        update_fields=[
            "resident",
            "identity",
            "identity_checked_at",
            "code_hash",
            "code_sent_at",
            "code_attempts",
        ]
    )
    return call


@transaction.atomic
def call_identity_confirm(*, call: Call, method: str) -> Call:
    """The agent confirms the caller is the resident, and how: the record opens (audited)."""
    _open(call)
    if call.resident_id is None:
        raise CallError("Find the caller's record first")
    if method not in IdentityCheck.values:
        raise CallError("Choose how you checked who the caller is")
    if method in (IdentityCheck.EMAILED_CODE, IdentityCheck.TEXTED_CODE):
        raise CallError("Enter the code the caller reads back to you")
    if method == IdentityCheck.ID_SEEN and call.channel != Channel.FACE_TO_FACE:
        raise CallError("Photo identification can only be seen at a desk: choose another check")
    _identified(call, method)
    return call


def _identified(call: Call, method: str) -> None:
    if call.resident is None:
        raise CallError("Find the caller's record first")
    call.identity = method
    call.identity_checked_at = timezone.now()
    call.code_hash = ""
    call.save(update_fields=["identity", "identity_checked_at", "code_hash"])
    staff_access_record(
        staff=call.staff,
        resident=call.resident,
        action=StaffAccessAction.RECORD_OPENED,
        channel=call.channel,
        identity=method,
        call=call.pk,
    )


def _code_hash(call: Call, code: str) -> str:
    key = f"{settings.SECRET_KEY}:call-code:{call.pk}".encode()
    return hmac.new(key, code.strip().encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def call_code_issue(*, call: Call, by_text: bool = False) -> str:
    """A new six-digit code for the caller to read back; returns it for the sender to send
    (by email, or ``by_text`` to their mobile: the audit records which).

    Only its hash is kept; an earlier code stops working."""
    _open(call)
    if call.resident_id is None:
        raise CallError("Find the caller's record first")
    code = f"{secrets.randbelow(1_000_000):06d}"
    call.code_hash = _code_hash(call, code)
    call.code_sent_at = timezone.now()
    call.code_attempts = 0
    call.code_by_text = by_text
    call.save(update_fields=["code_hash", "code_sent_at", "code_attempts", "code_by_text"])
    return code


@transaction.atomic
def call_code_check(*, call: Call, code: str) -> bool:
    """Whether ``code`` is the one sent (and still valid); a match opens the record."""
    call = Call.objects.select_for_update(of=("self",)).select_related("resident", "staff").get(pk=call.pk)
    _open(call)
    if not call.code_hash or call.code_sent_at is None:
        raise CallError("Send the caller a code first")
    if call.code_sent_at < timezone.now() - timedelta(minutes=CODE_MINUTES):
        raise CallError(f"The code has expired: codes last {CODE_MINUTES} minutes. Send a new one")
    if call.code_attempts >= CODE_ATTEMPTS:
        raise CallError("The code was entered wrongly too many times. Send a new one")
    if not hmac.compare_digest(call.code_hash, _code_hash(call, code)):
        call.code_attempts += 1
        call.save(update_fields=["code_attempts"])
        return False
    _identified(call, IdentityCheck.TEXTED_CODE if call.code_by_text else IdentityCheck.EMAILED_CODE)
    return True


def call_audit(*, call: Call, action: str, detail: str = "") -> None:
    """Audit an action the agent took for the identified caller on this call."""
    if call.resident is None:
        return
    staff_access_record(
        staff=call.staff,
        resident=call.resident,
        action=action,
        channel=call.channel,
        identity=call.identity,
        call=call.pk,
        detail=detail,
    )


@transaction.atomic
def call_end(*, call: Call, contact: Interaction | None = None) -> Call:
    """Close the call; with ``contact`` (the recorded contact), every audit entry of the call
    gets it as its reason. Raises ``CallError`` if it has already ended (a second close)."""
    locked = Call.objects.select_for_update(of=("self",)).get(pk=call.pk)
    _open(locked)
    call.ended_at = timezone.now()
    call.contact = contact
    call.save(update_fields=["ended_at", "contact"])
    if contact is not None:
        staff_access_contact_link(call=call.pk, contact_id=contact.pk)
    return call


def _open(call: Call) -> None:
    if call.ended_at is not None:
        raise CallError("This call has ended. Take a new call")
