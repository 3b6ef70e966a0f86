"""Page views written in batches: the page-view log made nearly free for the page it logs.

A page view is one INSERT. On a page served from the page cache that INSERT, committed
synchronously, costs more than serving the page. With ``INTERACTIONS_PAGE_VIEW_BUFFER``
on (the default when the cache is Redis), the page-view middleware pushes the row to a
list in Redis instead (one round trip, no database), and the rows are written in batches:

* by a thread in each web process every ``INTERACTIONS_BUFFER_FLUSH_SECONDS`` (0.5 s; 0
  starts no thread);
* at once by the request that takes the list past ``INTERACTIONS_BUFFER_FLUSH_AT`` rows;
* by ``page_views_flush`` before anything reads page views in bulk (the daily rollups)
  and when a process exits.

This trades up to about half a second of durability for page views only: submissions,
cases, payments and every other event are written in the request's own transaction as
before. While the database is down the rows stay in Redis and are written when it comes
back; a row that can be neither pushed nor written is counted as lost in the logs
(``page view lost``). Taking a batch is atomic (``LRANGE`` and ``LTRIM`` in one MULTI), so
two processes never write the same rows; a batch whose INSERT fails goes back on the list.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, close_old_connections, transaction

from .models import Interaction

logger = logging.getLogger(__name__)

BUFFER_KEY = "interactions:page-view-buffer"
_FIELDS = [f for f in Interaction._meta.concrete_fields if not f.primary_key]
_DATETIME_FIELDS = frozenset(f.attname for f in _FIELDS if f.get_internal_type() == "DateTimeField")
_flusher: threading.Thread | None = None
_flusher_lock = threading.Lock()


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


def _interaction(raw: bytes | str) -> Interaction:
    values = json.loads(raw)
    for name in _DATETIME_FIELDS & values.keys():
        if values[name]:
            values[name] = datetime.fromisoformat(values[name])
    return Interaction(**values)


def page_view_buffer(interaction: Interaction) -> bool:
    """Queue ``interaction`` (not yet saved) for the next batch. False if it could not be
    queued (no Redis, or Redis failed): the caller then writes it directly."""
    client = _redis()
    if client is None:
        return False
    try:
        length = client.rpush(_key(), _row(interaction))
    except Exception:
        logger.warning("Could not buffer a page view; writing it directly", exc_info=True)
        return False
    if settings.INTERACTIONS_BUFFER_FLUSH_SECONDS > 0:
        _flusher_start()
    if length >= settings.INTERACTIONS_BUFFER_FLUSH_AT:
        page_views_flush()
    return True


def page_views_pending() -> int:
    client = _redis()
    return int(client.llen(_key())) if client is not None else 0


def page_views_flush(*, batch: int = 1000) -> int:
    """Write every buffered page view (in batches of ``batch``). Returns how many were written.

    A batch that cannot be written (the database is down) goes back on the list and the
    flush stops; the next flush tries again. Never raises.
    """
    client = _redis()
    if client is None:
        return 0
    written = 0
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
            rows = [_interaction(raw) for raw in raws]
            with transaction.atomic():
                Interaction.objects.bulk_create(rows, batch_size=batch)
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
    if _flusher is not None:
        try:
            page_views_flush()
        except Exception:
            logger.exception("Page-view buffer flush at exit failed")
