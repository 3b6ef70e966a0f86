"""Page views and searches written in batches: the log made nearly free for the page it logs.

A page view is one INSERT. On a page served from the page cache that INSERT, committed
synchronously, costs more than serving the page; so does the ``search`` event of a search
answered from the search cache (``cms.services.site_search_run`` records it with
``buffered=True``: the same fields and meaning, written a moment later). With
``INTERACTIONS_PAGE_VIEW_BUFFER`` on (the default when the cache is Redis), the page-view
middleware (and the search) appends the row to a queue in the web process's memory
instead (no database, no network), and:

* a thread in each web process, every ``INTERACTIONS_BUFFER_FLUSH_SECONDS`` (0.25 s; 0
  starts no thread), moves the queue to a list in Redis in one ``RPUSH`` and writes the
  list to the database in batches;
* the request that takes the queue past ``INTERACTIONS_BUFFER_FLUSH_AT`` rows does the
  same at once;
* ``page_views_flush`` does it before anything reads page views in bulk (the daily
  rollups) and when a process exits.

This trades a quarter of a second of durability for page views and searches only:
submissions, cases, payments and every other event are written in the request's own
transaction as before. A process killed outright (not stopped) loses the page views it had
not yet moved, at most its last quarter of a second. While the database is down the rows wait in Redis and are
written when it comes back; while Redis is down they are written straight to the
database; while both are down they wait in the process's queue (up to ``LOCAL_LIMIT``
rows), and a row that can be kept nowhere is counted as lost in the logs (``page view
lost``). Taking a batch from Redis is atomic (``LRANGE`` and ``LTRIM`` in one MULTI), so
two processes never write the same rows; a batch whose INSERT fails goes back on the list.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections import deque
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, DataError, IntegrityError, close_old_connections, connection, transaction

from portal.lib.commit import commit_without_waiting

from .models import Interaction

logger = logging.getLogger(__name__)

BUFFER_KEY = "interactions:page-view-buffer"
_FIELDS = [f for f in Interaction._meta.concrete_fields if not f.primary_key]
_DATETIME_FIELDS = frozenset(f.attname for f in _FIELDS if f.get_internal_type() == "DateTimeField")
_flusher: threading.Thread | None = None
_flusher_lock = threading.Lock()
# This process's page views not yet moved to Redis (deque appends and pops are thread-safe).
_local: deque[Interaction] = deque()
LOCAL_LIMIT = 100_000


def buffer_enabled() -> bool:
    """Buffering needs a cache every process shares with list operations: Redis."""
    return bool(getattr(settings, "INTERACTIONS_PAGE_VIEW_BUFFER", False)) and _redis() is not None


def _redis():
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _key() -> str:
    return cache.make_key(BUFFER_KEY)


def _row(interaction: Interaction) -> str:
    values: dict[str, Any] = {}
    for field in _FIELDS:
        value = getattr(interaction, field.attname)
        values[field.attname] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(values, default=str)


def _values(raw: bytes | str) -> list[Any]:
    """A buffered row as the database takes it, in ``_FIELDS`` order."""
    values = json.loads(raw)
    row = []
    for field in _FIELDS:
        value = values[field.attname] if field.attname in values else field.get_default()
        if value and field.attname in _DATETIME_FIELDS:
            value = datetime.fromisoformat(value)
        row.append(field.get_db_prep_save(value, connection))
    return row


def _insert(raws: list) -> None:
    """Write buffered rows in one statement run for many rows (``executemany``): the ORM's
    ``bulk_create`` builds the SQL for every row, which cost more than the write itself."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _FIELDS)
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    sql = f"INSERT INTO {quote(Interaction._meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = [_values(raw) for raw in raws]
    # One transaction for the batch, committed without waiting for the disk (the log only:
    # portal.lib.commit).
    with commit_without_waiting(), transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def page_view_buffer(interaction: Interaction) -> bool:
    """Queue ``interaction`` (not yet saved) for the next batch. False if there is no Redis
    to batch through: the caller then writes it directly."""
    if _redis() is None:
        return False
    _local.append(interaction)
    if settings.INTERACTIONS_BUFFER_FLUSH_SECONDS > 0:
        _flusher_start()
    if len(_local) >= settings.INTERACTIONS_BUFFER_FLUSH_AT:
        page_views_flush()
    return True


def _take_local() -> list[Interaction]:
    rows = []
    while True:
        try:
            rows.append(_local.popleft())
        except IndexError:
            return rows


def _keep_local(rows: list[Interaction]) -> None:
    """Put rows back at the front of the queue, in order, as far as the limit allows."""
    room = max(0, LOCAL_LIMIT - len(_local))
    kept, lost = rows[:room], rows[room:]
    _local.extendleft(reversed(kept))
    if lost:
        logger.error("page view lost: %s rows could be neither written nor kept", len(lost))


def _move_local(client) -> int:
    """This process's queue to the shared Redis list in one RPUSH; straight to the database
    if Redis refuses; back on the queue if both do."""
    rows = _take_local()
    if not rows:
        return 0
    try:
        client.rpush(_key(), *(_row(row) for row in rows))
        return 0
    except Exception:
        logger.warning(
            "Could not move %s page views to Redis; writing them directly", len(rows), exc_info=True
        )
    try:
        with transaction.atomic():
            Interaction.objects.bulk_create(rows)
    except Exception:  # noqa: BLE001 - both stores down: keep them in this process
        logger.warning("Page views kept in this process: Redis and the database are unavailable")
        _keep_local(rows)
        return 0
    return len(rows)


def page_views_pending() -> int:
    """Page views not yet written: this process's queue and the shared Redis list."""
    client = _redis()
    return len(_local) + (int(client.llen(_key())) if client is not None else 0)


def page_views_flush(*, batch: int = 1000) -> int:
    """Write every buffered page view (in batches of ``batch``). Returns how many were written.

    A batch that cannot be written (the database is down) goes back on the list and the
    flush stops; the next flush tries again. Never raises.
    """
    client = _redis()
    if client is None:
        return 0
    written = _move_local(client)
    key = _key()
    while True:
        try:
            pipe = client.pipeline(transaction=True)
            pipe.lrange(key, 0, batch - 1)
            pipe.ltrim(key, batch, -1)
            raws, _ = pipe.execute()
        except Exception:
            logger.warning("Could not read the page-view buffer", exc_info=True)
            return written
        if not raws:
            return written
        try:
            _insert(raws)
        except (DataError, IntegrityError):
            # A row the database refuses (not an outage): write the batch row by row, so one
            # bad row is dropped (and counted as lost) rather than the batch retried forever.
            written += _insert_one_by_one(raws)
            continue
        except DatabaseError:
            _put_back(client, key, raws)
            logger.warning("Page views kept in the buffer: the database is unavailable (%s rows)", len(raws))
            return written
        except Exception:
            logger.exception("page view lost: %s buffered rows could not be written", len(raws))
            return written
        written += len(raws)
        if len(raws) < batch:
            return written


def _insert_one_by_one(raws: list) -> int:
    written = 0
    for raw in raws:
        try:
            _insert([raw])
            written += 1
        except (DataError, IntegrityError, ValueError, TypeError):
            logger.error("page view lost: the database refused a buffered row: %.300s", raw)
    return written


def _put_back(client, key: str, raws: list) -> None:
    try:
        client.rpush(key, *raws)
    except Exception:  # noqa: BLE001 - both stores down: count the loss in the logs
        logger.error("page view lost: %s rows could be neither written nor kept", len(raws))


def _flush_loop() -> None:
    while True:
        time.sleep(settings.INTERACTIONS_BUFFER_FLUSH_SECONDS)
        close_old_connections()  # this thread's connection: as a request would, honour its age
        page_views_flush()  # never raises; an empty buffer costs one Redis round trip


def _flusher_start() -> None:
    """One flushing thread per process, started with the first buffered page view."""
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return
    with _flusher_lock:
        if _flusher is not None and _flusher.is_alive():
            return
        _flusher = threading.Thread(target=_flush_loop, name="page-view-buffer", daemon=True)
        _flusher.start()


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - runs as the process ends
    if _flusher is not None or _local:
        try:
            page_views_flush()
        except Exception:
            logger.exception("Page-view buffer flush at exit failed")
