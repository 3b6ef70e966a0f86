import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.html import escape

from wagtail.models import Revision

from accounts.constants import ContactPreference, SupportNeed
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record
from portal.lib.retry import backoff_delay, task_enqueue
from portal.lib.validation import phone_is_uk_mobile

from .constants import (
    DELIVERED_STATUSES,
    FINAL_STATUSES,
    MAX_ATTEMPTS,
    OUTCOME_RANK,
    RETRY_DELAYS,
    STATUS_RANK,
    STATUS_REASONS,
    NotificationChannel,
    NotificationProvider,
    NotificationStatus,
)
from .messages import (
    MessageType,
    channel_offered,
    common_context,
    message_type,
    message_type_register,
    message_types,
    render,
)
from .models import MessageTemplate, Notification, NotifyReceipt, SmsOptOut
from .providers import MessageContent, PermanentProviderError, TemporaryProviderError, provider_for
from .selectors import phone_digits, sms_opted_out, undeliverable_addresses

if TYPE_CHECKING:
    from accounts.models import User
    from portal.cases.models import Case, CaseEvent

__all__ = ["MessageType", "message_type_register"]  # for each app's messages module

logger = logging.getLogger(__name__)

# Kept instead of a body that still held a secret after redaction (a form of it not foreseen).
REDACTED_BODY = "[This message held a sign-in link or code. It is not kept.]"


@transaction.atomic
def notification_email_send(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    template: str = "",
    user: "User | None" = None,
    case: "Case | None" = None,
    case_event: "CaseEvent | None" = None,
    secrets: Mapping[str, str] | None = None,
    hold_seconds: int = 0,
    message_template: MessageTemplate | None = None,
    log_interaction: bool = True,
) -> Notification:
    """Write an email to the outbox and queue its delivery once the transaction commits.

    ``hold_seconds`` holds it back that long, so something that happens meanwhile can be
    told in the same email (``notification_release_amended``): a form's confirmation waits
    for its payment's receipt. A held email is queued for when it is due where the task
    backend can defer; otherwise ``notification_housekeeping`` sends it once it is overdue.

    The row is the record that the person was (or will be) told; delivery runs as
    a background task so a slow or failing mail server never breaks the request.
    ``case``/``case_event`` link the email to the case update it tells the person about.

    ``secrets`` maps each secret the email carries (a sign-in or verification code, a
    password reset link) to the placeholder the outbox keeps instead, e.g.
    ``{code: "[redacted code]"}``. The row stores the bodies with the secrets replaced;
    the real bodies are held in the shared cache (Redis, or the database cache table)
    under the row's id for ``NOTIFICATIONS_SECRET_TTL_SECONDS`` and deleted as soon as
    the email is sent or given up. Delivery, and any retry after a failure or a worker
    killed mid-send, reads them there: a secret is never written to the outbox or to a
    task's arguments, and an email not sent within that time fails rather than send a
    link or code that is likely no longer valid.
    """
    if user is None:
        user = get_user_model().objects.filter(email__iexact=to).first()
    return _outbox_add(
        message_template=message_template,
        log_interaction=log_interaction,
        channel=NotificationChannel.EMAIL,
        to=to,
        user=user,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        template=template,
        case=case,
        case_event=case_event,
        secrets=secrets,
        hold_seconds=hold_seconds,
    )


class InvalidMessage(ValueError):
    """A message that cannot be sent as asked (no number, an incomplete address)."""


@transaction.atomic
def notification_sms_send(
    *,
    to: str,
    body: str,
    user: "User | None" = None,
    template: str = "",
    case: "Case | None" = None,
    case_event: "CaseEvent | None" = None,
    secrets: Mapping[str, str] | None = None,
    hold_seconds: int = 0,
    message_template: MessageTemplate | None = None,
    log_interaction: bool = True,
) -> Notification:
    """Write a text message to ``to`` (a phone number) to the outbox and queue its delivery.

    Delivered as email is (``notification_deliver``: leases, retries with backoff), by GOV.UK
    Notify with ``NOTIFY_API_KEY`` set, otherwise logged by the console provider and kept as
    ``sending``. ``secrets`` is redacted from the outbox as for ``notification_email_send``.
    """
    if not any(character.isdigit() for character in to):
        raise InvalidMessage("Enter a phone number to send a text message to")
    if not body.strip():
        raise InvalidMessage("Enter the text message to send")
    return _outbox_add(
        hold_seconds=hold_seconds,
        message_template=message_template,
        log_interaction=log_interaction,
        channel=NotificationChannel.SMS,
        to=to.strip(),
        user=user,
        subject="",
        body_text=body,
        template=template,
        case=case,
        case_event=case_event,
        secrets=secrets,
    )


@transaction.atomic
def notification_letter_send(
    *,
    address_lines: Sequence[str],
    subject: str,
    body: str,
    user: "User | None" = None,
    template: str = "",
    case: "Case | None" = None,
    case_event: "CaseEvent | None" = None,
    large_print: bool = False,
    hold_seconds: int = 0,
    message_template: MessageTemplate | None = None,
    log_interaction: bool = True,
) -> Notification:
    """Write a letter to the outbox and queue its delivery (as ``notification_sms_send``).

    ``address_lines``: 3 to 7 lines, the person's name first and the postcode last, as
    GOV.UK Notify prints them. Letters carry no secrets: a sign-in code never goes by post.
    """
    lines = [line.strip() for line in address_lines if line and line.strip()]
    if not 3 <= len(lines) <= 7:
        raise InvalidMessage(
            "Enter an address of 3 to 7 lines, with the person's name first and the postcode last"
        )
    return _outbox_add(
        hold_seconds=hold_seconds,
        message_template=message_template,
        log_interaction=log_interaction,
        channel=NotificationChannel.LETTER,
        to=", ".join(lines)[:254],
        address_lines=lines,
        large_print=large_print,
        user=user,
        subject=subject,
        body_text=body,
        template=template,
        case=case,
        case_event=case_event,
    )


# --- Every message by the channel the person chose (editors' wording, routed by preference) ---

_PREFERRED: dict[str, str] = {
    ContactPreference.EMAIL: NotificationChannel.EMAIL,
    ContactPreference.SMS: NotificationChannel.SMS,
    ContactPreference.POST: NotificationChannel.LETTER,
}


@dataclass(frozen=True)
class Route:
    """Where a message goes: the channel, the address, and why, for staff."""

    channel: str
    to: str = ""
    address_lines: tuple[str, ...] = ()
    large_print: bool = False
    # Set when the message goes another way than the person's preference: what stopped it.
    fallback_reason: str = ""


def message_route(
    *,
    user: "User | None",
    email: str = "",
    phone: str = "",
    channels: Sequence[str] = (
        NotificationChannel.EMAIL,
        NotificationChannel.SMS,
        NotificationChannel.LETTER,
    ),
    channel: str = "",
) -> Route | None:
    """Choose how to reach the person: their contact preference first, then any other way
    the message can go (email, text, letter), skipping an address Notify reported
    undeliverable and a number that replied STOP. ``channel`` asks for one way only (an
    agent sending a link by text); ``email``/``phone`` are used instead of the account's.
    None when there is no way at all.
    """
    email = email or (user.message_email if user else "")
    phone = phone or (user.phone if user else "")
    undeliverable = undeliverable_addresses(user) if user and user.pk else {}
    # Once the resident has been asked to check an address since it failed (at sign-in) and
    # kept it, it is tried again: a new failure flags it, and asks them, again.
    asked = getattr(user, "contact_check_shown_at", None)
    if asked:
        undeliverable = {c: n for c, n in undeliverable.items() if n.updated_at > asked}
    order: list[str]
    if channel:
        order = [channel]
    else:
        preferred = _PREFERRED.get(user.contact_preference, "") if user else ""
        order = [preferred] if preferred in channels else []
        order += [
            c
            for c in (NotificationChannel.EMAIL, NotificationChannel.SMS, NotificationChannel.LETTER)
            if c in channels and c not in order
        ]
        if user is None:
            order = [c for c in order if c != NotificationChannel.LETTER]
    reasons: list[str] = []
    for candidate in order:
        if candidate == NotificationChannel.EMAIL:
            if not email:
                reasons.append("no email address")
                continue
            failed = undeliverable.get(NotificationChannel.EMAIL)
            if failed and failed.to.lower() == email.lower():
                reasons.append("the email address could not take messages")
                continue
            route = Route(channel=candidate, to=email)
        elif candidate == NotificationChannel.SMS:
            if not phone:
                reasons.append("no phone number")
                continue
            if not phone_is_uk_mobile(phone_digits(phone)):
                reasons.append("the phone number is not a mobile")
                continue
            if sms_opted_out(phone):
                reasons.append("the phone number replied STOP")
                continue
            failed = undeliverable.get(NotificationChannel.SMS)
            if failed and phone_digits(failed.to) == phone_digits(phone):
                reasons.append("the phone number could not take texts")
                continue
            route = Route(channel=candidate, to=phone)
        else:
            if user is None or not user.has_address:
                reasons.append("no postal address")
                continue
            needs = user.support_needs_or_none
            lines = (user.full_name or "The resident", *user.address_lines)
            route = Route(
                channel=candidate,
                to=", ".join(lines)[:254],
                address_lines=tuple(lines),
                large_print=bool(needs and SupportNeed.LARGE_PRINT in needs.needs),
            )
        if reasons and not channel:
            return replace(route, fallback_reason="; ".join(reasons))
        return route
    return None


@transaction.atomic
def message_send(
    *,
    key: str,
    context: Mapping[str, Any],
    user: "User | None" = None,
    email: str = "",
    phone: str = "",
    channel: str = "",
    case: "Case | None" = None,
    case_event: "CaseEvent | None" = None,
    hold_seconds: int = 0,
    log_interaction: bool = True,
) -> Notification | None:
    """Send a message of type ``key`` by the channel the person chose, in the editors' wording.

    The wording is the message type's published ``MessageTemplate`` (its defaults until an
    editor changes it), filled with ``context`` and the council's name; the outbox row keeps
    which revision it used. ``message_route`` chooses the channel. Placeholders the type marks
    secret (codes, sign-in links) are kept out of the outbox. Returns the outbox row, or None
    when the person cannot be reached any way (the caller records that).
    """
    message = message_type(key)
    if message is None:
        raise ValueError(f"Unknown message type {key!r}: register it with message_type_register")
    wording = _published_wording(key)
    source: Any = wording if wording is not None else message
    offered: list[str] = [
        c
        for c in (NotificationChannel.EMAIL, NotificationChannel.SMS, NotificationChannel.LETTER)
        if channel_offered(message, wording, c)
    ]
    if channel and channel not in offered:
        if not channel_offered(message, None, channel):
            raise InvalidMessage(f"This message cannot be sent by {_NOUNS.get(channel, 'email')}")
        # Editors left this way blank, but the message must go this way (a code the agent
        # texts, a text alert): the default wording, so it is never lost.
        source, wording, offered = message, None, [channel]
    route = message_route(user=user, email=email, phone=phone, channels=offered, channel=channel)
    if route is None:
        return None
    values = {**common_context(), **{name: ("" if v is None else str(v)) for name, v in context.items()}}
    secrets = {
        values[name]: f"[{name.replace('_', ' ')} not kept]"
        for name in message.secret_placeholders
        if values.get(name)
    }
    common: dict[str, Any] = {
        "user": user,
        "template": key,
        "case": case,
        "case_event": case_event,
        "message_template": wording,
        "log_interaction": log_interaction,
    }
    if route.channel == NotificationChannel.SMS:
        return notification_sms_send(
            to=route.to,
            body=render(source.sms_body, values),
            secrets=secrets,
            hold_seconds=hold_seconds,
            **common,
        )
    if route.channel == NotificationChannel.LETTER:
        return notification_letter_send(
            address_lines=route.address_lines,
            subject=render(source.letter_subject, values),
            body=render(source.letter_body, values),
            large_print=route.large_print,
            hold_seconds=hold_seconds,
            **common,
        )
    return notification_email_send(
        to=route.to,
        subject=render(source.email_subject, values),
        body_text=render(source.email_body, values),
        secrets=secrets,
        hold_seconds=hold_seconds,
        **common,
    )


def _published_wording(key: str) -> MessageTemplate | None:
    """The editors' wording as published: none when the message was unpublished (its row may
    then hold an unreviewed draft), so the defaults are sent instead."""
    wording = MessageTemplate.objects.filter(key=key).first()
    return wording if wording is not None and wording.live else None


def message_rendered(*, key: str, context: Mapping[str, Any], channel: str) -> tuple[str, str]:
    """(subject, body) of a message on ``channel`` in the published wording: for a held
    message amended before it goes (``notification_release_amended``)."""
    message = message_type(key)
    if message is None:
        raise ValueError(f"Unknown message type {key!r}")
    source: Any = _published_wording(key) or message
    if channel != NotificationChannel.EMAIL and not channel_offered(message, source, channel):
        source = message
    values = {**common_context(), **{name: ("" if v is None else str(v)) for name, v in context.items()}}
    if channel == NotificationChannel.SMS:
        return "", render(source.sms_body, values)
    if channel == NotificationChannel.LETTER:
        return render(source.letter_subject, values), render(source.letter_body, values)
    return render(source.email_subject, values), render(source.email_body, values)


@transaction.atomic
def message_templates_ensure() -> int:
    """Make the editors' wording row of every registered message type that has none yet,
    published with the type's default wording (run after migrate). Returns how many."""
    made = 0
    ContentType.objects.clear_cache()  # a test's flush may have renumbered them
    existing = set(MessageTemplate.objects.values_list("key", flat=True))
    for message in message_types():
        if message.key in existing:
            continue
        now = timezone.now()
        template = MessageTemplate(
            key=message.key,
            name=message.name,
            email_subject=message.email_subject,
            email_body=message.email_body,
            sms_body=message.sms_body,
            letter_subject=message.letter_subject,
            letter_body=message.letter_body,
            live=True,
            has_unpublished_changes=False,
            first_published_at=now,
            last_published_at=now,
        )
        # Written without save()'s post_save signal, which would queue a search-index task per
        # row on every migrate (for a worker to run after the deploy): the admin's listing
        # searches with the database, not the index. The first version is written as
        # save_revision() and publish() would write it.
        MessageTemplate.objects.bulk_create([template])
        revision = Revision.objects.create(
            content_object=template,
            base_content_type=template.get_base_content_type(),
            content=template.serializable_data(),
            object_str=str(template),
        )
        MessageTemplate.objects.filter(pk=template.pk).update(
            latest_revision=revision, live_revision=revision
        )
        made += 1
    return made


# --- Text messages: STOP and START ---

# Sent when a number replies STOP (``phone``: the number as it came, ``phone_digits``), so
# other apps stop what else they text it (alert subscriptions). Sent for every STOP applied.
sms_stopped = Signal()


@transaction.atomic
def sms_opt_out(*, phone: str) -> bool:
    """Send this number no more texts (it replied STOP). Returns whether it was new."""
    _row, created = SmsOptOut.objects.get_or_create(phone_digits=phone_digits(phone))
    return created


@transaction.atomic
def sms_opt_in(*, phone: str) -> bool:
    """Texts may go to this number again (START, or the person chose texts in My account)."""
    deleted, _ = SmsOptOut.objects.filter(phone_digits=phone_digits(phone)).delete()
    return bool(deleted)


def _outbox_add(
    *,
    channel: str,
    message_template: MessageTemplate | None = None,
    log_interaction: bool = True,
    to: str,
    user: "User | None",
    subject: str,
    body_text: str,
    body_html: str = "",
    template: str,
    case: "Case | None",
    case_event: "CaseEvent | None",
    secrets: Mapping[str, str] | None = None,
    hold_seconds: int = 0,
    address_lines: Sequence[str] = (),
    large_print: bool = False,
) -> Notification:
    """The outbox row, written first; its delivery queued once the transaction commits."""
    secrets = {secret: placeholder for secret, placeholder in (secrets or {}).items() if secret}
    notification = Notification.objects.create(
        channel=channel,
        to=to,
        address_lines=list(address_lines),
        large_print=large_print,
        user=user,
        subject=_redact(subject, secrets),
        body_text=_redact(body_text, secrets),
        body_html=_redact(body_html, secrets),
        template=template,
        case=case,
        case_event=case_event,
        redacted=bool(secrets),
        next_attempt_at=timezone.now() + timedelta(seconds=hold_seconds),
        message_template=message_template,
        template_revision_id=message_template.live_revision_id if message_template else None,
    )
    if log_interaction:
        _message_logged(notification)
    if secrets:
        cache.set(
            _unredacted_key(notification.pk),
            {"subject": subject, "body_text": body_text, "body_html": body_html},
            timeout=settings.NOTIFICATIONS_SECRET_TTL_SECONDS,
        )
    if hold_seconds:
        transaction.on_commit(partial(_enqueue_held, notification.pk, hold_seconds))
    else:
        transaction.on_commit(lambda: _enqueue_delivery(notification.pk))
    return notification


_LOG_CHANNELS: dict[str, str] = {
    NotificationChannel.EMAIL: Channel.EMAIL,
    NotificationChannel.SMS: Channel.SMS,
    NotificationChannel.LETTER: Channel.LETTER,
}


def _message_logged(notification: Notification) -> None:
    """Every message the council sends is an interaction (proactive contact), on its channel."""
    case = notification.case
    interaction_record(
        type=InteractionType.MESSAGE_SENT,
        channel=_LOG_CHANNELS[notification.channel],
        user=notification.user,
        service_code=case.service_code if case else None,
        case_reference=case.reference if case else "",
        journey=notification.template[:100],
        extras={"notification": str(notification.pk)},
    )


def _enqueue_held(notification_id: UUID | str, delay_seconds: int) -> None:
    """Queue a held email for when it is due; a backend that cannot defer leaves it to the
    housekeeping (never sent early, which would defeat the hold)."""
    from .tasks import deliver_notification  # imported late: notifications.tasks imports this module

    task_enqueue(deliver_notification, str(notification_id), delay_seconds=delay_seconds)


@transaction.atomic
def notification_release_amended(*, case_id: int, template: str, subject: str, body_text: str) -> bool:
    """Send now, with a new subject and body, an email still held back for the case (see
    ``hold_seconds``). Returns False, changing nothing, if there is none still waiting: it
    has gone already (or is going), so the caller sends its news on its own."""
    now = timezone.now()
    held = (
        Notification.objects.select_for_update()
        .filter(
            case_id=case_id,
            template=template,
            status=NotificationStatus.CREATED,
            attempts=0,
            next_attempt_at__gt=now,
            redacted=False,
        )
        .order_by("created_at")
        .first()
    )
    if held is None:
        return False
    held.subject, held.body_text, held.next_attempt_at = subject, body_text, now
    held.save(update_fields=["subject", "body_text", "next_attempt_at", "updated_at"])
    transaction.on_commit(partial(_enqueue_delivery, held.pk))
    return True


def _redact(body: str, secrets: Mapping[str, str]) -> str:
    if not body or not secrets:
        return body
    for secret, placeholder in sorted(secrets.items(), key=lambda item: -len(item[0])):
        body = body.replace(secret, placeholder).replace(escape(secret), placeholder)
    if any(form in body for secret in secrets for form in (secret, escape(secret), quote(secret, safe=""))):
        return REDACTED_BODY
    return body


def _unredacted_key(notification_id: UUID | str) -> str:
    return f"notifications:unredacted:{notification_id}"


def _enqueue_delivery(notification_id: UUID | str, *, delay_seconds: int = 0) -> None:
    from .tasks import deliver_notification  # imported late: notifications.tasks imports this module

    # A retry the backend cannot defer is left to ``notification_housekeeping`` (it is overdue then).
    task_enqueue(deliver_notification, str(notification_id), delay_seconds=delay_seconds)


def notification_deliver(*, notification_id: UUID | str) -> Notification | None:
    """Send one outbox message by its provider; retry with backoff on failure; one attempt at a time.

    The provider (``providers.provider_for``: GOV.UK Notify, the mail server, the console)
    takes it or raises a temporary error (retried with backoff, a technical failure after
    ``MAX_ATTEMPTS``) or a permanent one (``permanent-failure``, not retried). Once a
    provider has taken it (``sent_at``) no attempt sends it again; receipts may follow.

    An attempt claims the row (``sending``) for ``NOTIFICATIONS_SEND_LEASE_SECONDS``; any
    other delivery task that arrives meanwhile (a duplicate, a retry queued by the
    housekeeping) does nothing. An attempt that never finishes (its worker was killed
    mid-send) is handed to a new one by ``notification_housekeeping`` once the lease has
    run out, so every email is sent at least once. SMTP has no idempotency key: if the
    worker died after the server had accepted the message, the retry sends a second copy,
    with the same Message-ID (made from the outbox id) so mail systems can tell it is the
    same message. An attempt's outcome is written only if no later attempt has claimed the
    row since, so a late finisher never overwrites a newer result.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.is_final or notification.is_handed_over:
            return notification
        if (
            notification.status == NotificationStatus.SENDING
            and notification.lease_expires_at
            and notification.lease_expires_at > now
        ):
            return notification
        if notification.attempts >= MAX_ATTEMPTS:
            # The last attempts were lost with their workers: give up, as after failures.
            notification.status = NotificationStatus.TECHNICAL_FAILURE
            notification.last_error = notification.last_error or "No delivery attempt finished."
            notification.lease_expires_at = notification.next_attempt_at = None
            notification.save(
                update_fields=["status", "last_error", "lease_expires_at", "next_attempt_at", "updated_at"]
            )
            if notification.redacted:
                cache.delete(_unredacted_key(notification.pk))
            return notification
        notification.status = NotificationStatus.SENDING
        notification.attempts += 1
        notification.claimed_at = now
        notification.lease_expires_at = now + timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS)
        notification.next_attempt_at = None
        notification.save(
            update_fields=[
                "status",
                "attempts",
                "claimed_at",
                "lease_expires_at",
                "next_attempt_at",
                "updated_at",
            ]
        )

    content = _content(notification)
    if content is None:
        _finish(
            notification,
            status=NotificationStatus.TECHNICAL_FAILURE,
            last_error=f"The sign-in link or code in this {_noun(notification)} expired before it could "
            "be sent. The person needs to ask for a new one.",
        )
        return notification

    provider = provider_for(notification)
    try:
        provider_id = provider.send(notification, content)
    except PermanentProviderError as exc:
        logger.warning("%s %s cannot be sent: %s", _noun(notification).capitalize(), notification.pk, exc)
        _finish(
            notification,
            status=NotificationStatus.PERMANENT_FAILURE,
            last_error=str(exc)[:2000],
            provider=provider.name,
        )
        return notification
    except TemporaryProviderError as exc:
        logger.warning(
            "%s %s failed (attempt %s): %s",
            _noun(notification).capitalize(),
            notification.pk,
            notification.attempts,
            exc,
        )
        error = str(exc)[:2000]
        if notification.attempts >= MAX_ATTEMPTS:
            _finish(
                notification,
                status=NotificationStatus.TECHNICAL_FAILURE,
                last_error=error,
                provider=provider.name,
            )
            return notification
        delay = backoff_delay(notification.attempts, RETRY_DELAYS)
        retry_at = timezone.now() + timedelta(seconds=delay)
        if _finish(
            notification,
            status=NotificationStatus.TEMPORARY_FAILURE,
            last_error=error,
            next_attempt_at=retry_at,
            provider=provider.name,
        ):
            _enqueue_delivery(notification.pk, delay_seconds=delay)
        return notification

    _finish(
        notification,
        status=provider.accepted_status,
        sent_at=timezone.now(),
        last_error="",
        provider=provider.name,
        provider_id=provider_id,
    )
    return notification


def _content(notification: Notification) -> MessageContent | None:
    """What to send: the row's wording, or the unredacted wording held for it (None once gone)."""
    if not notification.redacted:
        return MessageContent(
            subject=notification.subject, body_text=notification.body_text, body_html=notification.body_html
        )
    held = cache.get(_unredacted_key(notification.pk))
    if held is None:
        return None
    return MessageContent(subject=held["subject"], body_text=held["body_text"], body_html=held["body_html"])


_NOUNS: dict[str, str] = {NotificationChannel.SMS: "text message", NotificationChannel.LETTER: "letter"}


def _noun(notification: Notification) -> str:
    return _NOUNS.get(notification.channel, "email")


def _finish(notification: Notification, *, status: str, **fields: Any) -> bool:
    """Record an attempt's outcome, unless a later attempt has claimed the message since.

    A provider taking the message (``sent_at``) is recorded whatever happened meanwhile: it
    did go. Only the first provider id is kept, so a copy sent twice is matched to one row.
    """
    accepted = fields.get("sent_at") is not None
    rows = Notification.objects.filter(pk=notification.pk)
    if accepted:
        rows = rows.exclude(status=NotificationStatus.DELIVERED).filter(sent_at__isnull=True)
    else:
        rows = rows.filter(claimed_at=notification.claimed_at).exclude(status__in=FINAL_STATUSES)
    values = {"status": status, "lease_expires_at": None, "updated_at": timezone.now(), **fields}
    changed = rows.update(**values)
    if changed:
        for name, value in values.items():
            setattr(notification, name, value)
    if (accepted or status in FINAL_STATUSES) and notification.redacted:
        cache.delete(_unredacted_key(notification.pk))
    return bool(changed)


def notification_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Hand every email whose delivery was lost to a new attempt (run every few minutes).

    * ``sending`` past its lease: the attempt died with its worker. It becomes a
      ``temporary-failure`` (staff see why) and is queued again.
    * ``created`` or ``temporary-failure`` whose attempt is overdue by more than a lease:
      its task was lost (the process stopped between the commit and the queueing, or the
      queued retry went missing). It is queued again.

    Queueing twice does no harm: an attempt claims the message, and one that finds it
    claimed or finished does nothing.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS)
    lost = Notification.objects.filter(status=NotificationStatus.SENDING, sent_at__isnull=True).filter(
        Q(lease_expires_at__lte=now) | Q(lease_expires_at__isnull=True, updated_at__lte=now - lease)
    )
    lost_count = 0
    requeue: list[UUID] = []
    for notification in lost.only("pk", "claimed_at", "lease_expires_at", "attempts"):
        changed = Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.SENDING,
            sent_at__isnull=True,
            lease_expires_at=notification.lease_expires_at,
        ).update(
            status=NotificationStatus.TEMPORARY_FAILURE,
            last_error=f"Attempt {notification.attempts} did not finish within "
            f"{settings.NOTIFICATIONS_SEND_LEASE_SECONDS} seconds (its worker stopped).",
            lease_expires_at=None,
            next_attempt_at=now,
            updated_at=now,
        )
        if changed:
            lost_count += 1
            requeue.append(notification.pk)
            logger.warning(
                "Email %s: attempt %s was lost; trying again", notification.pk, notification.attempts
            )

    # A temporary failure reported by Notify's receipt (sent_at set) is not the outbox's to retry.
    overdue = Notification.objects.filter(
        status__in=[NotificationStatus.CREATED, NotificationStatus.TEMPORARY_FAILURE], sent_at__isnull=True
    ).filter(
        Q(next_attempt_at__lte=now - lease) | Q(next_attempt_at__isnull=True, updated_at__lte=now - lease)
    )
    overdue_ids = list(overdue.values_list("pk", flat=True))
    # Due again a lease from now, so the next run does not queue it a second time meanwhile.
    Notification.objects.filter(pk__in=overdue_ids).update(next_attempt_at=now, updated_at=now)
    requeue += overdue_ids
    for pk in requeue:
        transaction.on_commit(partial(_enqueue_delivery, pk))
    return {"lost_attempts": lost_count, "overdue": len(overdue_ids)}


# --- Delivery receipts from GOV.UK Notify, and polling where none comes ---


@transaction.atomic
def notify_receipt_store(*, payload: Mapping[str, Any]) -> tuple[NotifyReceipt, bool]:
    """Keep a receipt once (per Notify id and status) and queue its processing on commit.

    Returns the receipt and whether it is new; a repeat changes nothing and queues nothing.
    """
    receipt, created = NotifyReceipt.objects.get_or_create(
        notify_id=str(payload["id"])[:100],
        status=str(payload["status"])[:30],
        # Not the address it went to: the outbox row has that, and erases it with the account.
        defaults={"payload": {key: value for key, value in payload.items() if key != "to"}},
    )
    if created:
        transaction.on_commit(partial(_enqueue_receipt, receipt.pk))
    return receipt, created


def _enqueue_receipt(receipt_id: int) -> None:
    from .tasks import process_notify_receipt  # imported late: notifications.tasks imports this module

    task_enqueue(process_notify_receipt, receipt_id)


def notify_receipt_process(*, receipt_id: int) -> NotifyReceipt | None:
    """Apply a stored receipt to its outbox row (by Notify id, else by reference: the outbox id).

    Idempotent: a receipt processed again, or arriving after a later status, changes nothing.
    """
    with transaction.atomic():
        receipt = NotifyReceipt.objects.select_for_update().filter(pk=receipt_id).first()
        if receipt is None or receipt.processed_at is not None:
            return receipt
        notification = _receipt_row(receipt.notify_id, str(receipt.payload.get("reference") or ""))
        if notification is None:
            logger.warning(
                "Notify receipt %s (%s) matches no outbox row; ignored", receipt.notify_id, receipt.status
            )
            receipt.outcome = "unknown"
        else:
            changed = notification_status_apply(
                notification=notification, status=receipt.status, provider_id=receipt.notify_id
            )
            receipt.notification = notification
            receipt.outcome = "applied" if changed else "unchanged"
        receipt.processed_at = timezone.now()
        receipt.save(update_fields=["notification", "outcome", "processed_at"])
    return receipt


def _receipt_row(notify_id: str, reference: str) -> Notification | None:
    found = Notification.objects.filter(provider_id=notify_id).first() if notify_id else None
    if found is None and reference:
        try:
            found = Notification.objects.filter(pk=UUID(reference), provider_id__in=["", notify_id]).first()
        except ValueError:
            return None
    return found


@transaction.atomic
def notification_status_apply(*, notification: Notification, status: str, provider_id: str = "") -> bool:
    """Record a status Notify reported (by receipt or polling). Returns whether the row changed.

    Never moves a row back: an outcome (delivered, a failure, a letter posted) is kept
    whatever arrives after it, and "sending" never replaces it. A status Notify reports that
    the portal does not know is logged and ignored.
    """
    if status not in NotificationStatus.values:
        logger.warning("Notify reported an unknown status %r for %s; ignored", status, notification.pk)
        return False
    row = Notification.objects.select_for_update().get(pk=notification.pk)
    current_rank = STATUS_RANK.get(row.status, OUTCOME_RANK)
    new_rank = STATUS_RANK.get(status, OUTCOME_RANK)
    # The outbox's own temporary failure (before Notify took it) is not an outcome yet.
    if row.status == NotificationStatus.TEMPORARY_FAILURE and row.sent_at is None:
        current_rank = 0
    if row.status == status or new_rank < current_rank or (new_rank == current_rank == OUTCOME_RANK):
        return False
    now = timezone.now()
    row.status = status
    row.lease_expires_at = row.next_attempt_at = None
    fields = ["status", "lease_expires_at", "next_attempt_at", "updated_at"]
    if row.sent_at is None:
        # Notify has it, so no delivery attempt may send it again.
        row.sent_at = now
        row.provider = NotificationProvider.NOTIFY
        fields += ["sent_at", "provider"]
    if provider_id and not row.provider_id:
        row.provider_id = provider_id
        fields.append("provider_id")
    if status in DELIVERED_STATUSES:
        row.delivered_at, row.last_error = now, ""
        fields += ["delivered_at", "last_error"]
    elif status in STATUS_REASONS:
        row.last_error = STATUS_REASONS[status]
        fields.append("last_error")
    row.save(update_fields=fields)
    if row.redacted and status in FINAL_STATUSES:
        cache.delete(_unredacted_key(row.pk))
    for name in fields:
        setattr(notification, name, getattr(row, name))
    return True


POLLED_STATUSES = (
    NotificationStatus.CREATED,
    NotificationStatus.SENDING,
    NotificationStatus.PENDING_VIRUS_CHECK,
    NotificationStatus.ACCEPTED,
)
POLL_BATCH = 500


def notification_receipts_poll(
    *, now: datetime | None = None, older_than_minutes: int = 60
) -> dict[str, int]:
    """Ask GOV.UK Notify for the status of messages whose receipt never came (run with the
    housekeeping): rows Notify took more than ``older_than_minutes`` ago that are still
    created, sending, or (letters) accepted. A status is applied as a receipt's is; an error
    from Notify is logged and the row asked about again on the next run.
    """
    from notifications_python_client.errors import APIError  # only polling talks to Notify here

    from .providers.notify import client  # imported late: only needed with a Notify key

    if not settings.NOTIFY_API_KEY:
        return {"polled": 0, "changed": 0, "errors": 0}
    now = now or timezone.now()
    rows = (
        Notification.objects.filter(
            provider=NotificationProvider.NOTIFY,
            status__in=POLLED_STATUSES,
            sent_at__lte=now - timedelta(minutes=older_than_minutes),
        )
        .exclude(provider_id="")
        .order_by("sent_at")[:POLL_BATCH]
    )
    try:
        api = client()
    except (ValueError, IndexError) as exc:  # a malformed key: the system check says so too
        logger.warning("Polling Notify skipped: %s", exc)
        return {"polled": 0, "changed": 0, "errors": 1}
    polled = changed = errors = 0
    for notification in rows:
        polled += 1
        try:
            answer = api.get_notification_by_id(notification.provider_id)
        except (APIError, OSError) as exc:
            errors += 1
            logger.warning("Polling Notify for %s failed; next run tries again: %s", notification.pk, exc)
            continue
        if notification_status_apply(
            notification=notification,
            status=str(answer.get("status", "")),
            provider_id=notification.provider_id,
        ):
            changed += 1
    return {"polled": polled, "changed": changed, "errors": errors}
