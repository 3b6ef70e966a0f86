"""A member of staff doing a caller's business in the pages residents use.

The contact centre (``portal.contact_centre``) opens a *call* and, while the agent works
through a form or a payment for the caller, its middleware sets ``request.assisted`` to an
``Assisted``. The domain apps below it read it with ``assisted_for(request)`` (they never
import the contact centre): drafts then belong to the caller, events carry the call's
channel and the agent as staff (never the agent as the resident), and the submission is
made on the caller's channel.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.http import HttpRequest


@dataclass(frozen=True)
class Assisted:
    call_id: UUID
    staff: Any  # the agent (accounts.User)
    channel: str  # an interactions Channel other than web: phone, face_to_face, email, letter
    # The caller, once found and their identity checked (or a record made for them);
    # None for a caller who is not identified: help that needs no personal data only.
    resident: Any | None
    identity: str = ""  # accounts IdentityCheck value, "" when not identified


def assisted_for(request: HttpRequest | None) -> Assisted | None:
    """The call the signed-in agent is working on in this request, if any."""
    return getattr(request, "assisted", None) if request is not None else None
