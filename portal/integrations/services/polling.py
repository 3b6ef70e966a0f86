"""Reading status updates from back-office systems the portal sends to over Open311.

GeoReport v2 has no way to push updates back, so, as FixMyStreet does, the portal reads the
remote system's ``servicerequestupdates.json`` (the widely used extension) every few minutes
for each Open311 destination with ``poll_updates``, and applies what it finds through
``status_update_apply``: the same rules, once each, in order.

Each read asks from ``polled_until`` (less an overlap, for clocks that differ and updates
written late) to now; ``polled_until`` moves on only after a read that worked, so nothing is
lost while the other system is down: the next run reads the whole gap. The overlap means
some updates are read twice, which ``status_update_apply`` answers as duplicates.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from django.db.models import Min
from django.utils import timezone

from portal.cases.constants import CaseStatus

from ..constants import DestinationKind, UpdateOutcome
from ..models import Delivery, Destination
from .status import StatusUpdateRefused, status_target, status_update_apply

logger = logging.getLogger("portal.integrations")

POLL_OVERLAP = timedelta(minutes=5)
POLL_TIMEOUT_SECONDS = 10
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
    start = _start(destination)
    updates = _updates_fetch(destination, start=start, end=now)
    ids = {str(u.get("service_request_id") or "").strip() for u in updates} - {""}
    deliveries = {
        d.remote_id: d
        for d in Delivery.objects.filter(destination=destination, remote_id__in=ids, case__isnull=False)
        .select_related("case")
        .order_by("created_at", "pk")
    }
    applied = 0
    failed = False
    # Oldest first, so a newer update is the one that stands (the stale check does the rest).
    for update in sorted(updates, key=lambda u: str(u.get("updated_datetime") or "")):
        delivery = deliveries.get(str(update.get("service_request_id") or "").strip())
        if delivery is None or delivery.case is None:
            continue  # not one of ours (the feed has every request the system holds)
        try:
            applied += _update_apply(destination, delivery, update)
        except StatusUpdateRefused as refused:
            logger.info("Update %s from %s refused: %s", update.get("update_id"), destination.name, refused)
        except Exception:
            failed = True
            logger.exception("Could not apply update %s from %s", update.get("update_id"), destination.name)
    if not failed:
        # Read from here next time; an update that failed for a reason of ours is read again.
        Destination.objects.filter(pk=destination.pk).update(polled_until=now)
        destination.polled_until = now
    return applied


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
    response = requests.get(
        destination.url.rstrip("/") + "/servicerequestupdates.json",
        params=params,
        timeout=POLL_TIMEOUT_SECONDS,
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200:
        raise PollError(f"HTTP {response.status_code} from {destination.url}")
    try:
        body = response.json()
    except ValueError as error:
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
        source=f"destination:{destination.pk}",
        update_id=str(update.get("update_id") or "").strip() or _update_hash(update),
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
