"""Messages on a case: the resident's (with attachments), the council's, staff notes, and the
record of a resident looking at their case."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record
from portal.lib.commit import commit_without_waiting

from ..constants import Actor, CaseStatus, EventType
from ..models import Case, CaseAttachment, CaseEvent
from .checks import CaseError, _acting_check, _resident_check, _staff_check, _tracking_check, acting_data
from .timeline import _event, case_event_add
from .transitions import case_transition

if TYPE_CHECKING:
    from accounts.models import User

# A view of an unchanged open case counts as progress chasing only if the resident's last
# look was at least this long ago: reloading the page, or landing on it after replying, is not.
PROGRESS_CHASE_GAP = timedelta(hours=1)


def case_view_record(*, case: Case, request: HttpRequest | None, by_proxy: bool = False) -> bool:
    """Record that the resident viewed ``case`` and clear its unread marker.

    Returns whether the view looks like progress chasing: the case is open, the resident
    has looked before (more than ``PROGRESS_CHASE_GAP`` ago) and nothing they can see has
    changed since. Such views are logged with ``extras={"progress_chasing": True}`` and
    outcome ``no_change``, which the rollups count as ``case_views_chasing``. Other
    outcomes: ``first_view``, ``updated`` (something new to see) and ``reload`` (unchanged,
    looked at again within the gap).

    ``by_proxy``: the viewer acts for the resident. The view is logged (under the viewer, with
    ``extras={"proxy": True}``) but the resident's unread marker is theirs and stays.
    """
    now = timezone.now()
    seen = case.resident_seen_at
    unchanged = seen is not None and (case.last_public_event_at is None or case.last_public_event_at <= seen)
    # The resident's last look says nothing about whether someone acting for them is chasing.
    chasing = bool(
        not by_proxy and case.is_open and unchanged and seen is not None and now - seen >= PROGRESS_CHASE_GAP
    )
    interaction_record(
        type=InteractionType.CASE_VIEW,
        request=request,
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="no_change" if chasing else _view_outcome(seen, unchanged),
        case_reference=case.reference,
        extras={**({"progress_chasing": True} if chasing else {}), **({"proxy": True} if by_proxy else {})}
        or None,
    )
    if by_proxy:
        return chasing
    with commit_without_waiting():  # a look, not a change: see portal.lib.commit
        Case.objects.filter(pk=case.pk).update(resident_seen_at=now)
    case.resident_seen_at = now
    return chasing


def _view_outcome(seen: datetime | None, unchanged: bool) -> str:
    if seen is None:
        return "first_view"
    return "reload" if unchanged else "updated"


# ``files`` are uploads the form has checked: each carries ``checked_content_type`` and
# ``checked_extension`` besides the usual ``UploadedFile`` attributes.
def _attachments_save(
    case: Case, event: CaseEvent, files: Sequence[Any], user: "User | None", stored: list[str]
) -> list[CaseAttachment]:
    """Store checked uploads privately; ``stored`` collects the file names for clean-up on failure.

    Each file must carry ``checked_content_type`` and ``checked_extension``, set by the form
    from ``portal.lib.uploads.upload_check`` (content sniffing, not the file name).
    """
    saved = []
    for upload in files:
        attachment = CaseAttachment(
            case=case,
            event=event,
            uploaded_by=user,
            original_name=upload.name[:255],
            content_type=upload.checked_content_type,
            extension=f".{upload.checked_extension}",
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        assert attachment.file.name is not None  # set by the save above
        stored.append(attachment.file.name)
        attachment.save()
        saved.append(attachment)
    return saved


def case_message_send(
    *,
    case: Case,
    user: "User",
    message: str,
    files: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> CaseEvent:
    """A resident's message on an open case, with any attachments (already checked by the form).

    When the case is waiting for the resident, this is their reply: the case goes back to
    in progress and the SLA clock restarts. If anything fails, no file is left behind.
    ``user`` may also be someone acting for the resident with permission to send messages:
    the timeline then says the message is theirs, for the resident.
    """
    proxy = _acting_check(case, user)
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _case_message_send(case, user, message, files, request, stored, acting=acting_data(proxy))
    except BaseException:
        storage = CaseAttachment._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


def case_message_send_anonymous(
    *, case: Case, token: str, message: str, request: HttpRequest | None = None
) -> CaseEvent:
    """A message on an anonymous request from whoever holds its tracking link: the same
    resident message (and reply, when the case waits for them) as ``case_message_send``,
    without attachments. The view rate-limits it."""
    _tracking_check(case, token)
    with transaction.atomic():
        return _case_message_send(case, None, message, (), request, [])


def case_message_by_text(*, case: Case, user: "User", message: str, staff: "User | None" = None) -> CaseEvent:
    """A text message the resident sent to the council's number, added to their open case.

    The same resident message as ``case_message_send`` (a reply, when the case waits for
    them: it goes back to in progress), marked ``data["channel"] = "sms"`` so the timeline
    says it came by text. ``user`` is the case's resident, found by their phone number;
    ``staff`` is the contact centre agent who added it, when it was triaged.
    """
    _resident_check(case, user)
    data: dict[str, Any] = {
        "channel": Channel.SMS.value,
        **({"added_by": staff.pk} if staff is not None else {}),
    }
    with transaction.atomic():
        return _case_message_send(case, user, message, (), None, [], acting=data, channel=Channel.SMS)


def _case_message_send(
    case: Case,
    user: "User | None",
    message: str,
    files: Sequence[Any],
    request: HttpRequest | None,
    stored: list[str],
    *,
    acting: dict[str, Any] | None = None,
    channel: str | None = None,
) -> CaseEvent:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise CaseError("This case is closed, so you cannot send a message on it")
    message = message.strip()
    if not message:
        raise CaseError("Enter your message")
    event = _event(
        case,
        type=EventType.RESIDENT_MESSAGE,
        actor=user,
        actor_role=Actor.RESIDENT,
        message=message,
        data={**({"files": len(files)} if files else {}), **(acting or {})},
    )
    case.save(update_fields=["last_public_event_at", "resident_seen_at", "updated_at"])
    _attachments_save(case, event, files, user, stored)
    interaction_record(
        type=InteractionType.CASE_MESSAGE,
        request=request,
        channel=channel,
        user=user if request is None else None,
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="reply" if case.is_awaiting_resident else "message",
        case_reference=case.reference,
    )
    if case.is_awaiting_resident:
        case_transition(
            case=case, to=CaseStatus.IN_PROGRESS, actor_role=Actor.RESIDENT, actor=user, data=acting
        )
    return event


def case_note_add(*, case: Case, actor: "User", message: str) -> CaseEvent:
    """An internal note: staff only, never shown or sent to the resident."""
    _staff_check(case, actor)
    if not message.strip():
        raise CaseError("Enter the note")
    return case_event_add(
        case=case,
        type=EventType.INTERNAL_NOTE,
        actor=actor,
        actor_role=Actor.STAFF,
        message=message,
        public=False,
    )


def case_officer_message(
    *, case: Case, actor: "User", message: str, request: HttpRequest | None = None
) -> CaseEvent:
    """A message from the council to the resident: on their timeline and emailed to them."""
    _staff_check(case, actor)
    if not message.strip():
        raise CaseError("Enter the message to the resident")
    event = case_event_add(
        case=case, type=EventType.OFFICER_MESSAGE, actor=actor, actor_role=Actor.STAFF, message=message
    )
    interaction_record(
        type=InteractionType.CASE_MESSAGE,
        request=request,
        channel=Channel.WEB,
        service_code=case.service_code,
        journey=case.reference,
        step=case.status,
        outcome="officer",
        staff=actor,
        case_reference=case.reference,
    )
    return event
