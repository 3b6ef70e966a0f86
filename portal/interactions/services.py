import logging
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.lib.commit import commit_without_waiting

from .buffer import buffer_enabled, page_view_buffer
from .constants import (
    ASSISTED_CHANNELS,
    FOLLOW_UP_DAYS,
    TRANSACTION_KINDS,
    AvoidableCategory,
    Channel,
    InteractionType,
    Outcome,
)
from .models import ContactTeam, Interaction, RollupRebuild
from .tasks import rebuild_requested_rollups
from .visitor import visitor_key

logger = logging.getLogger(__name__)


_TYPES = frozenset(InteractionType.values)
_CHANNELS = frozenset(Channel.values)
_CATEGORIES = frozenset(AvoidableCategory.values)
_INSERT_FIELDS = [f for f in Interaction._meta.concrete_fields if not f.primary_key]
_insert_sql: dict[str, str] = {}


class InteractionError(ValueError):
    """An assisted contact or event that does not make sense; the message says why."""


def _insert_without_id(interaction: Interaction) -> None:
    """INSERT the row with a statement built once per database vendor.

    Compiling an INSERT through the ORM costs several times more than running it; on
    the page-view hot path the id is not needed, so the statement is reused.
    """
    sql = _insert_sql.get(connection.vendor)
    if sql is None:
        # A concrete field always has a column (the stubs say ``str | None``).
        columns = ", ".join(connection.ops.quote_name(f.column) for f in _INSERT_FIELDS)  # type: ignore[arg-type]
        placeholders = ", ".join(["%s"] * len(_INSERT_FIELDS))
        table = connection.ops.quote_name(Interaction._meta.db_table)
        sql = _insert_sql[connection.vendor] = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    params = [f.get_db_prep_save(f.pre_save(interaction, True), connection) for f in _INSERT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _loggable_path(request: HttpRequest) -> str:
    """The request's path with any secret in it (a URL argument named ``token``, as in a
    payment link, an invitation or a tracking link) replaced by ``[token]``: the log never
    holds a working link."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match is not None else ():
        if "token" in name and value and isinstance(value, str):
            path = path.replace(value, "[token]")
    return path[:500]


def _request_fields(request: HttpRequest) -> dict[str, Any]:
    """What a web request says about who is interacting, without any extra query."""
    fields: dict[str, Any] = {"channel": Channel.WEB, "path": _loggable_path(request)}
    session = getattr(request, "session", None)
    if session is not None:
        fields["session_key"] = session.session_key or ""
    user = getattr(request, "user", None)
    # Only a user the request already loaded: logging must not add queries to the page.
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is not None and getattr(wrapped, "is_authenticated", False):
        fields["user_id"] = wrapped.pk
        fields["person_key"] = getattr(wrapped, "person_key", "") or ""
    fields["visitor_key"] = visitor_key(request)
    return fields


def interaction_record(
    *,
    type: str,
    request: HttpRequest | None = None,
    channel: str | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    service_code: int | None = None,
    path: str = "",
    status_code: int | None = None,
    journey: str = "",
    step: str = "",
    outcome: str = "",
    reason_code: str = "",
    avoidable: bool | None = None,
    avoidable_category: str = "",
    resolved_first_contact: bool | None = None,
    staff: AbstractBaseUser | None = None,
    case_reference: str = "",
    extras: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    handled_by: ContactTeam | None = None,
    fetch_id: bool = True,
    buffered: bool = False,
) -> Interaction:
    """Write one interaction: the one API every feature records its events through.

    With ``request``, the session, signed-in account, cookieless visitor key and path
    are taken from it. The write is a single INSERT; inside an open transaction it runs
    in a savepoint, so a failed log write can never break the caller's transaction.
    ``fetch_id=False`` (the page-view middleware) skips reading back the new row's id.
    ``buffered=True`` (page views and searches) queues the row for a batch write when the page-view
    buffer is on (``portal.interactions.buffer``); the row then has no id.
    """
    if type not in _TYPES:
        raise InteractionError(f"Unknown interaction type {type!r}")
    fields: dict[str, Any] = _request_fields(request) if request is not None else {}
    if channel:
        fields["channel"] = channel
    fields.setdefault("channel", Channel.WEB)
    if fields["channel"] not in _CHANNELS:
        raise InteractionError(f"Unknown channel {fields['channel']!r}")
    if user is not None:
        fields["user_id"] = user.pk
        fields["person_key"] = getattr(user, "person_key", "") or ""
    if path:
        fields["path"] = path[:500]
    if avoidable_category and not avoidable:
        raise InteractionError("An avoidable category needs avoidable=True")
    if avoidable_category and avoidable_category not in _CATEGORIES:
        raise InteractionError(f"Unknown avoidable category {avoidable_category!r}")
    # The log may not import accounts, so ``staff`` is typed as any user, not accounts.User.
    interaction = Interaction(  # type: ignore[misc]
        occurred_at=occurred_at or timezone.now(),
        type=type,
        service_code=service_code,
        status_code=status_code,
        journey=journey[:100],
        step=step[:100],
        outcome=outcome[:40],
        reason_code=reason_code[:60],
        avoidable=avoidable,
        avoidable_category=avoidable_category,
        resolved_first_contact=resolved_first_contact,
        staff=staff,
        case_reference=case_reference[:40],
        handled_by=handled_by,
        extras=extras or {},
        **fields,
    )
    if buffered and buffer_enabled() and page_view_buffer(interaction):
        return interaction
    write = (
        (lambda: interaction.save(force_insert=True))
        if fetch_id
        else (lambda: _insert_without_id(interaction))
    )
    # A savepoint inside the caller's transaction; on its own, a commit that does not wait
    # for the disk (portal.lib.commit: the log may lose its last fraction of a second in a
    # database crash, never a submission, case or payment).
    with commit_without_waiting():
        write()
    return interaction


def transaction_record(
    *,
    kind: str,
    channel: str,
    service_code: int | None,
    journey: str = "",
    user: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    staff: AbstractBaseUser | None = None,
    case_reference: str = "",
) -> Interaction:
    """Record a completed transaction: a service request sent (and paid, if it has a fee)
    or a bill paid, on the channel it was done on (``kind``: ``form`` or ``bill``).

    The measures count transactions only from these events (digital take-up, cost per
    transaction, and "completed online" in failed web contact). Callers record it once,
    where the state change that completes the transaction happens.
    """
    if kind not in TRANSACTION_KINDS:
        raise InteractionError(f"Unknown transaction kind {kind!r}")
    web = channel == Channel.WEB and staff is None
    return interaction_record(
        type=InteractionType.TRANSACTION,
        request=request if web else None,
        user=user,  # the payer or requester, also when a webhook's request completes it
        channel=channel,
        service_code=service_code,
        journey=journey,
        staff=staff,
        case_reference=case_reference,
        outcome=Outcome.SUCCESS,
        extras={"kind": kind},
    )


def rollups_rebuild_request(*days: date, window: bool = True) -> list[date]:
    """Ask for the rollups of every day a changed event affects to be rebuilt, in the background.

    An event on day D counts in D's figures and, through the 7-day windows (repeat
    contact, failed web contact), in the days before and after it: 7 days of elapsed time
    can reach an 8th calendar day across a clock change, so D - 8 .. D + 8 are queued, up
    to today (``window=False``: D only, for an event no window reads, e.g. a satisfaction
    answer). Each day is listed in ``RollupRebuild`` (in the caller's
    transaction: the request cannot be lost) until its rebuild has run; the dashboard says
    its figures are being recalculated meanwhile.
    """
    today = timezone.localdate()
    reach = FOLLOW_UP_DAYS + 1 if window else 0
    queued = sorted(
        {
            day + timedelta(days=offset)
            for day in days
            for offset in range(-reach, reach + 1)
            if day + timedelta(days=offset) <= today
        }
    )
    for day in queued:
        RollupRebuild.objects.update_or_create(date=day, defaults={"requested_at": timezone.now()})
    if queued:
        # the task is given the days, and rebuilds them after this transaction commits, so
        # a rebuild that ran meanwhile (without the change) cannot make the request lost
        days_iso = [day.isoformat() for day in queued]
        transaction.on_commit(partial(rebuild_requested_rollups.enqueue, days_iso))
    return queued


def _assisted_contact_check(*, channel: str, avoidable: bool, avoidable_category: str) -> None:
    if channel not in ASSISTED_CHANNELS:
        raise InteractionError("Choose how the resident contacted the council")
    if avoidable and not avoidable_category:
        raise InteractionError("Choose why the contact was avoidable")


@transaction.atomic
def assisted_contact_record(
    *,
    staff: AbstractBaseUser,
    channel: str,
    service_code: int | None,
    reason_code: str,
    avoidable: bool,
    avoidable_category: str = "",
    resolved_first_contact: bool,
    resident: AbstractBaseUser | None = None,
    case_reference: str = "",
    notes: str = "",
    occurred_at: datetime | None = None,
    handled_by: ContactTeam | None = None,
    extras: dict | None = None,
) -> Interaction:
    """Record a phone call, visit, email, letter or social-media contact taken by staff.

    ``extras`` adds answers the log keeps beside the notes (e.g. ``tried_online``)."""
    _assisted_contact_check(channel=channel, avoidable=avoidable, avoidable_category=avoidable_category)
    if occurred_at is not None and timezone.localdate(occurred_at) < timezone.localdate():
        rollups_rebuild_request(timezone.localdate(occurred_at))
    return interaction_record(
        type=InteractionType.ASSISTED_CONTACT,
        channel=channel,
        user=resident,
        service_code=service_code,
        reason_code=reason_code,
        avoidable=avoidable,
        avoidable_category=avoidable_category if avoidable else "",
        resolved_first_contact=resolved_first_contact,
        outcome=Outcome.RESOLVED if resolved_first_contact else Outcome.UNRESOLVED,
        staff=staff,
        case_reference=case_reference,
        extras={**(extras or {}), **({"notes": notes} if notes else {})},
        occurred_at=occurred_at,
        handled_by=handled_by,
    )


@transaction.atomic
def assisted_contact_update(
    *,
    contact: Interaction,
    channel: str,
    service_code: int | None,
    reason_code: str,
    avoidable: bool,
    avoidable_category: str = "",
    resolved_first_contact: bool,
    resident: AbstractBaseUser | None = None,
    case_reference: str = "",
    notes: str = "",
    occurred_at: datetime | None = None,
    handled_by: ContactTeam | None = None,
) -> Interaction:
    """Correct a recorded contact with the same rules as recording it; who recorded it and
    the event type never change."""
    if contact.type != InteractionType.ASSISTED_CONTACT:
        raise InteractionError("Only assisted contacts can be corrected here")
    _assisted_contact_check(channel=channel, avoidable=avoidable, avoidable_category=avoidable_category)
    previous_day = timezone.localdate(contact.occurred_at)
    contact.channel = channel
    contact.service_code = service_code
    contact.reason_code = reason_code[:60]
    contact.avoidable = avoidable
    contact.avoidable_category = avoidable_category if avoidable else ""
    contact.resolved_first_contact = resolved_first_contact
    contact.outcome = Outcome.RESOLVED if resolved_first_contact else Outcome.UNRESOLVED
    contact.user = resident  # type: ignore[assignment]  # accounts.User, which the log may not import
    contact.case_reference = case_reference[:40]
    contact.handled_by = handled_by
    if resident is not None or contact.user_id is not None:
        # the resident was changed or cleared; with the account deleted (no user, but a key)
        # the contact keeps its key, so a correction never moves closed days
        contact.person_key = getattr(resident, "person_key", "") or ""
    contact.occurred_at = occurred_at or contact.occurred_at
    extras = dict(contact.extras or {})
    if notes:
        extras["notes"] = notes
    else:
        extras.pop("notes", None)
    contact.extras = extras
    contact.save()
    rollups_rebuild_request(previous_day, timezone.localdate(contact.occurred_at))
    return contact
