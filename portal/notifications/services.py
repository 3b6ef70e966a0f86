import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape

from portal.lib.retry import backoff_delay, task_enqueue

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
from .models import Notification, NotifyReceipt
from .providers import MessageContent, PermanentProviderError, TemporaryProviderError, provider_for

if TYPE_CHECKING:
    from accounts.models import User
    from portal.cases.models import Case, CaseEvent

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


def _outbox_add(
    *,
    channel: str,
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
    )
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

    # A backend that cannot defer (the immediate one) retries at once; the attempts cap ends it.
    if not task_enqueue(deliver_notification, str(notification_id), delay_seconds=delay_seconds):
        task_enqueue(deliver_notification, str(notification_id))


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
