"""Reading status updates from back-office systems the portal sends to over Open311.

GeoReport v2 has no way to push updates back, so, as FixMyStreet does, the portal reads the
remote system's ``servicerequestupdates.json`` (the widely used extension) every few minutes
for each Open311 destination with ``poll_updates``, and applies what it finds through
``status_update_apply``: the same rules, once each, in order.

Each read asks from ``polled_until`` (less an overlap, for clocks that differ and updates
written late) to now, in windows of at most 90 days (what servers accept); ``polled_until``
moves on only after a read that worked, so nothing is lost while the other system is down:
the next run reads the whole gap. A read that comes back full (the server's cap) moves it
only as far as the newest update it held. The overlap means some updates are read twice,
which ``status_update_apply`` answers as duplicates. An update that cannot be applied for a
reason of ours is logged and kept as refused rather than read again for ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Min
from django.utils import timezone

from portal.cases.constants import CaseStatus

from ..constants import DestinationKind, UpdateOutcome
from ..models import Delivery, Destination, StatusUpdate
from ..transports.base import DeliveryFailure
from ..transports.net import http_request
from .status import StatusUpdateRefused, status_target, status_update_apply

logger = logging.getLogger("portal.integrations")

POLL_OVERLAP = timedelta(minutes=5)
POLL_TIMEOUT_SECONDS = 10
# GeoReport servers refuse a window over 90 days; FixMyStreet's answer holds at most 1000.
MAX_WINDOW = timedelta(days=90)
UPDATES_CAP = 1000
# Reads one run makes of one destination (a long outage is caught up over a few runs).
MAX_READS_PER_RUN = 20
# 1000 updates are a few hundred KB; anything far larger is not an answer to read.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
# Said to the resident when the other system closes a case without a word of its own.
DEFAULT_MESSAGES: dict[str, str] = {
    CaseStatus.RESOLVED: "The work on your request has been completed.",
    CaseStatus.REJECTED: "Your request has been closed without further action.",
}


class PollError(Exception):
    """The other system's answer could not be read (its status, or not the expected JSON)."""


def open311_updates_poll(*, destination: Destination | None = None, now: datetime | None = None) -> int:
    """Read and apply the updates of every Open311 destination that is active, polls and has
    requests of ours (or just ``destination``). Returns how many updates were applied.

    Never raises: a system that is down or answers nonsense is logged, keeps its
    ``polled_until`` and is read again, from the same point, next run.
    """
    now = now or timezone.now()
    destinations = (
        Destination.objects.filter(
            kind=DestinationKind.OPEN311, active=True, poll_updates=True, deliveries__remote_id__gt=""
        )
        .exclude(url="")
        .distinct()
    )
    if destination is not None:
        destinations = destinations.filter(pk=destination.pk)
    applied = 0
    for each in destinations:
        try:
            applied += _destination_poll(each, now)
        except Exception:  # one system's trouble never stops the others, nor the caller
            logger.exception("Could not read the status updates of %s (destination %s)", each.name, each.pk)
    return applied


def _destination_poll(destination: Destination, now: datetime) -> int:
    """Read ``destination``'s updates from where the last read ended up to ``now``, a window
    of at most ``MAX_WINDOW`` at a time (servers refuse longer ones), moving the cursor on
    after each read. A read that hit the server's cap moves it only to the newest update it
    held, so the next read takes the rest."""
    applied = 0
    for _ in range(MAX_READS_PER_RUN):
        start = _start(destination)
        end = min(now, start + MAX_WINDOW)
        updates = _updates_fetch(destination, start=start, end=end)
        applied += _updates_apply(destination, updates)
        until = end
        if len(updates) >= UPDATES_CAP:
            newest = max(
                (t for t in (_remote_time(u.get("updated_datetime")) for u in updates) if t), default=None
            )
            # The next read starts an overlap before the cursor: it must start later than this one.
            floor = start + POLL_OVERLAP + timedelta(seconds=1)
            until = min(end, max(newest or floor, floor))
            if newest is None or newest < floor:
                logger.warning(
                    "%s answered %s updates within %s: some may be missed",
                    destination.name,
                    len(updates),
                    POLL_OVERLAP,
                )
        Destination.objects.filter(pk=destination.pk).update(polled_until=until)
        destination.polled_until = until
        if until >= now:
            break
    return applied


def _updates_apply(destination: Destination, updates: list[dict[str, Any]]) -> int:
    ids = {str(u.get("service_request_id") or "").strip() for u in updates} - {""}
    deliveries = {
        d.remote_id: d
        for d in Delivery.objects.filter(destination=destination, remote_id__in=ids, case__isnull=False)
        .select_related("case")
        .order_by("created_at", "pk")
    }
    applied = 0
    # Oldest first, so a newer update is the one that stands (the stale check does the rest).
    for update in sorted(updates, key=lambda u: str(u.get("updated_datetime") or "")):
        delivery = deliveries.get(str(update.get("service_request_id") or "").strip())
        if delivery is None or delivery.case is None:
            continue  # not one of ours (the feed has every request the system holds)
        try:
            applied += _update_apply(destination, delivery, update)
        except StatusUpdateRefused as refused:
            logger.info("Update %s from %s refused: %s", update.get("update_id"), destination.name, refused)
        except Exception as error:
            # Skipped, not retried for ever: one update that always fails must not stop the
            # cursor (every later update would wait behind it). Kept as refused, for staff.
            logger.exception("Could not apply update %s from %s", update.get("update_id"), destination.name)
            _update_skip(destination, delivery, update, error)
    return applied


def _update_skip(
    destination: Destination, delivery: Delivery, update: dict[str, Any], error: Exception
) -> None:
    try:
        StatusUpdate.objects.get_or_create(
            source=_source(destination),
            update_id=_update_id(update),
            defaults={
                "case": delivery.case,
                "status": str(update.get("status") or "")[:24],
                "public_message": str(update.get("description") or "").strip(),
                "remote_time": _remote_time(update.get("updated_datetime")),
                "outcome": UpdateOutcome.REFUSED,
                "detail": f"status: Could not be applied: {type(error).__name__}: {error}"[:300],
            },
        )
    except Exception:
        logger.exception("Could not record the skipped update %s", update.get("update_id"))


def _source(destination: Destination) -> str:
    return f"destination:{destination.pk}"


def _update_id(update: dict[str, Any]) -> str:
    return str(update.get("update_id") or "").strip()[:120] or _update_hash(update)


def _start(destination: Destination) -> datetime:
    if destination.polled_until is not None:
        return destination.polled_until - POLL_OVERLAP
    first = Delivery.objects.filter(destination=destination, remote_id__gt="").aggregate(at=Min("created_at"))
    return (first["at"] or timezone.now()) - POLL_OVERLAP


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updates_fetch(destination: Destination, *, start: datetime, end: datetime) -> list[dict[str, Any]]:
    params = {"start_date": _w3c(start), "end_date": _w3c(end)}
    if destination.open311_api_key:
        params["api_key"] = destination.open311_api_key
    if destination.open311_jurisdiction:
        params["jurisdiction_id"] = destination.open311_jurisdiction
    try:
        response = http_request(
            "GET",
            destination.url.rstrip("/") + "/servicerequestupdates.json",
            params=params,
            timeout=POLL_TIMEOUT_SECONDS,
            headers={"Accept": "application/json"},
            cap=MAX_ANSWER_BYTES,
            over_cap_error=True,
        )
    except DeliveryFailure as failure:
        raise PollError(failure.detail) from failure
    if response.status_code != 200:
        raise PollError(f"HTTP {response.status_code} from {destination.url}")
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError) as error:
        raise PollError("The answer was not JSON") from error
    updates = body.get("service_request_updates") if isinstance(body, dict) else body
    if not isinstance(updates, list):
        raise PollError("The answer had no service_request_updates list")
    return [u for u in updates if isinstance(u, dict)]


def _update_apply(destination: Destination, delivery: Delivery, update: dict[str, Any]) -> int:
    case = delivery.case
    assert case is not None
    status = str(update.get("status") or "")
    description = str(update.get("description") or "").strip()
    if not description:
        try:
            target = status_target(status, current=case.status)
        except StatusUpdateRefused:
            target = ""  # refused (and kept) by status_update_apply below
        if target and target != case.status:
            description = DEFAULT_MESSAGES.get(target, "")
    row = status_update_apply(
        source=_source(destination),
        update_id=_update_id(update),
        case=case,
        status=status,
        public_message=description,
        remote_time=_remote_time(update.get("updated_datetime")),
        by_label=destination.name,
    )
    return 1 if row.outcome == UpdateOutcome.APPLIED else 0


def _update_hash(update: dict[str, Any]) -> str:
    """An id for an update that came without one: the same update read twice has the same."""
    parts = [
        str(update.get(k) or "") for k in ("service_request_id", "status", "updated_datetime", "description")
    ]
    return "sha:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _remote_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
