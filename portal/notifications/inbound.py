"""Text messages residents send to the council's number (GOV.UK Notify's received texts).

Notify posts each to ``views.notify_inbound``; ``inbound_text_store`` keeps it once per Notify
id and a task runs ``inbound_text_process``:

- the sender is matched to a resident by phone number (``selectors.phone_digits``: +44 and 0
  alike); when several residents have the number, the one with the most recent open case;
- STOP (and the other words UK networks use: STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) stops
  texts to the number and sends ``services.sms_stopped``; START allows them again. Nothing else
  is done with them;
- anything else is the resident's reply on their most recent case waiting for them
  (``portal.cases.services.case_message_by_text``: on the timeline "by text message", and the
  case moves on as a reply online does); a text that came with another one already added to
  an open case (within ``THREAD_WINDOW``) goes on that case too, whichever was processed first;
- otherwise it waits for the contact centre (*Text messages to triage*), which adds it to a
  case, replies by text, records it as a contact, or marks it dealt with.

Every received text is an interaction (``message_received``, channel SMS). Processing is
idempotent: a text is processed once, and a STOP or START that arrives after a later one
from the same number changes nothing.

A module of its own rather than part of ``services``: it calls ``portal.cases.services``,
which itself sends messages through this app's ``services``.
"""

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.cases.constants import OPEN_STATUSES, CaseStatus
from portal.cases.models import Case
from portal.cases.services import CaseError, case_message_by_text
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record
from portal.lib.retry import task_enqueue

from .constants import START_WORDS, STOP_WORDS, InboundHandled, InboundOutcome, NotificationChannel
from .models import InboundText, Notification
from .selectors import phone_digits
from .services import message_send, sms_opt_in, sms_opt_out, sms_stopped

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("portal.notifications")

# Texts from one number this close together belong to the same conversation: one that comes
# after (or is processed after) another added to an open case goes on that case too.
THREAD_WINDOW = timedelta(hours=1)
# A text still unprocessed this long after it came is queued again (``inbound_texts_requeue``).
REQUEUE_AFTER = timedelta(minutes=10)
REPLY_MAX_CHARACTERS = 612  # four fragments: enough for an answer, short of Notify's limit
_KEYWORD = re.compile(r"^[\s\"'.!]*([A-Za-z]+)[\s\"'.!]*$")


class InboundTextError(ValueError):
    """Something the contact centre cannot do with this text; the message says why."""


@transaction.atomic
def inbound_text_store(*, payload: Mapping[str, Any]) -> tuple[InboundText, bool]:
    """Keep a received text once (per Notify id) and queue its processing on commit.

    Returns the text and whether it is new; a repeat changes nothing and queues nothing.
    """
    source = str(payload.get("source_number") or "")[:30]
    try:
        received = parse_datetime(str(payload.get("date_received") or ""))
    except ValueError:
        received = None
    if received is not None and timezone.is_naive(received):
        received = received.replace(tzinfo=UTC)  # Notify's times are UTC
    text, created = InboundText.objects.get_or_create(
        notify_id=str(payload["id"])[:100],
        defaults={
            "source_number": source,
            "phone_digits": phone_digits(source)[:20],
            "destination_number": str(payload.get("destination_number") or "")[:30],
            "message": str(payload.get("message") or ""),
            "date_received": received or timezone.now(),
        },
    )
    if created:
        transaction.on_commit(partial(_enqueue_inbound, text.pk))
    return text, created


def _enqueue_inbound(inbound_id: int) -> None:
    from .tasks import process_inbound_text  # imported late: notifications.tasks imports this module

    task_enqueue(process_inbound_text, inbound_id)


def inbound_keyword(message: str) -> str:
    """``"stop"`` or ``"start"`` when the text is one of those words on its own, else ``""``."""
    match = _KEYWORD.match(message or "")
    word = match.group(1).upper() if match else ""
    if word in STOP_WORDS:
        return InboundOutcome.STOP
    if word in START_WORDS:
        return InboundOutcome.START
    return ""


def inbound_sender(digits: str) -> "User | None":
    """The resident whose phone number this is: None when nobody has it, or more than one does."""
    if len(digits) < 6:
        return None
    # Stored numbers may carry spaces; their last three digits are always together.
    candidates = [
        user
        for user in get_user_model().objects.filter(phone__endswith=digits[-3:], is_active=True)
        if phone_digits(user.phone) == digits
    ]
    # Two accounts with the same number (a shared family phone, or a number typed by someone
    # else): the text could be either's, so it goes to the contact centre unmatched.
    return candidates[0] if len(candidates) == 1 else None


def _awaiting_case(user: "User") -> Case | None:
    return (
        Case.objects.filter(resident=user, status=CaseStatus.AWAITING_RESIDENT)
        .order_by("-updated_at", "-pk")
        .first()
    )


def _thread_case(text: InboundText) -> Case | None:
    """The open case a text from the same number, sent close to this one, was added to."""
    sibling = (
        InboundText.objects.filter(
            phone_digits=text.phone_digits,
            outcome=InboundOutcome.CASE,
            case__status__in=OPEN_STATUSES,
            date_received__gte=text.date_received - THREAD_WINDOW,
            date_received__lte=text.date_received + THREAD_WINDOW,
        )
        .exclude(pk=text.pk)
        .select_related("case")
        .order_by("-date_received")
        .first()
    )
    return sibling.case if sibling is not None else None


def inbound_text_process(*, inbound_id: int) -> InboundText | None:
    """Act on a stored text: STOP, START, the resident's case, or the contact centre.

    Idempotent: a text already processed is returned unchanged.
    """
    with transaction.atomic():
        text = InboundText.objects.select_for_update().filter(pk=inbound_id).first()
        if text is None or text.processed_at is not None:
            return text
        user = inbound_sender(text.phone_digits)
        text.user = user
        keyword = inbound_keyword(text.message)
        if keyword:
            text.outcome = keyword
            _keyword_apply(text, keyword)
        else:
            _land(text, user)
        text.processed_at = timezone.now()
        text.save(update_fields=["user", "outcome", "case", "case_event", "processed_at"])
        interaction_record(
            type=InteractionType.MESSAGE_RECEIVED,
            channel=Channel.SMS,
            user=user,
            service_code=text.case.service_code if text.case else None,
            journey=text.case.reference if text.case else "",
            case_reference=text.case.reference if text.case else "",
            outcome=text.outcome,
            extras={"inbound_text": text.pk},
        )
    return text


def _keyword_apply(text: InboundText, keyword: str) -> None:
    """STOP or START, unless a later STOP or START from the number was already applied."""
    superseded = InboundText.objects.filter(
        phone_digits=text.phone_digits,
        outcome__in=[InboundOutcome.STOP, InboundOutcome.START],
        processed_at__isnull=False,
        date_received__gt=text.date_received,
    ).exists()
    if superseded or not text.phone_digits:
        logger.info("Received %s for …%s superseded by a later one", keyword, text.phone_digits[-3:])
        return
    if keyword == InboundOutcome.STOP:
        sms_opt_out(phone=text.source_number)
        sms_stopped.send(sender=InboundText, phone=text.source_number, phone_digits=text.phone_digits)
    else:
        sms_opt_in(phone=text.source_number)


def _land(text: InboundText, user: "User | None") -> None:
    case = None
    if user is not None:
        case = _awaiting_case(user) or _thread_case(text)
        if case is not None and case.resident_id != user.pk:
            case = None
    if case is not None:
        try:
            with transaction.atomic():
                event = case_message_by_text(case=case, user=user, message=text.message)
        except CaseError as error:
            logger.info("Received text %s not added to %s: %s", text.notify_id, case.reference, error)
        else:
            text.outcome, text.case, text.case_event = InboundOutcome.CASE, case, event
            return
    text.outcome = InboundOutcome.TRIAGE


def inbound_texts_requeue(*, now: datetime | None = None) -> int:
    """Queue again the texts whose processing never finished (its task was lost or failed):
    those received more than ``REQUEUE_AFTER`` ago and still unprocessed. Returns how many."""
    cutoff = (now or timezone.now()) - REQUEUE_AFTER
    ids = list(
        InboundText.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in ids:
        transaction.on_commit(partial(_enqueue_inbound, pk))
    return len(ids)


# --- The contact centre's triage ---


def _triage_check(text: InboundText) -> None:
    if not text.to_triage:
        raise InboundTextError("This text message has already been dealt with")


@transaction.atomic
def inbound_text_add_to_case(*, inbound: InboundText, case: Case, staff: "User") -> InboundText:
    """Add a triaged text to one of its sender's open cases, as their message by text (a
    reply, when the case waits for them). Marks it dealt with."""
    text = InboundText.objects.select_for_update().get(pk=inbound.pk)
    _triage_check(text)
    if text.user_id is None or case.resident_id != text.user_id:
        raise InboundTextError("Choose one of the sender's own requests")
    try:
        event = case_message_by_text(case=case, user=text.user, message=text.message, staff=staff)
    except CaseError as error:
        raise InboundTextError(str(error)) from error
    text.case, text.case_event = case, event
    return _handled(text, staff, InboundHandled.ADDED_TO_CASE, extra=["case", "case_event"])


@transaction.atomic
def inbound_text_reply(*, inbound: InboundText, staff: "User", message: str) -> Notification:
    """Answer a triaged text by text, to the number it came from. Marks it dealt with.

    Refused when the number replied STOP (or cannot take texts)."""
    text = InboundText.objects.select_for_update().get(pk=inbound.pk)
    _triage_check(text)
    message = message.strip()
    if not message:
        raise InboundTextError("Enter your reply")
    if len(message) > REPLY_MAX_CHARACTERS:
        raise InboundTextError(f"Your reply must be {REPLY_MAX_CHARACTERS} characters or fewer")
    user = text.user
    notification = message_send(
        key="notifications/text_reply",
        context={"name": (user.full_name if user else "") or "", "message": message},
        user=user,
        phone=text.source_number,
        channel=NotificationChannel.SMS,
    )
    if notification is None:
        raise InboundTextError("This number cannot be sent texts: it replied STOP, or texts to it failed")
    _handled(text, staff, InboundHandled.REPLIED)
    return notification


@transaction.atomic
def inbound_text_mark_handled(
    *, inbound: InboundText, staff: "User", how: str = InboundHandled.NO_ACTION
) -> InboundText:
    """The contact centre has dealt with a triaged text (``how``: recorded as a contact, or
    nothing to do)."""
    if how not in InboundHandled.values:
        raise InboundTextError("Choose what you did with the text message")
    text = InboundText.objects.select_for_update().get(pk=inbound.pk)
    _triage_check(text)
    return _handled(text, staff, how)


def _handled(text: InboundText, staff: "User", how: str, *, extra: list[str] | None = None) -> InboundText:
    text.handled_at = timezone.now()
    text.handled_by = staff
    text.handled_how = how
    text.save(update_fields=["handled_at", "handled_by", "handled_how", *(extra or [])])
    return text
