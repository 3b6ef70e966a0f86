"""Sessions written to the database and read from the cache, which never keeps one alive.

Django's ``cached_db`` engine reads a session from the cache first and keeps it there for
the session's whole life (two weeks for a resident). If the cache fails while a session is
ended (sign-out, "sign out of every other device", an account deleted), the database row
goes but the cached copy stays, and with it the signed-in session; the failed cache delete
is also a 500 on sign-out. Here:

* a session is kept in the cache for at most ``CACHE_SECONDS`` (5 minutes), then read from
  the database again, so a copy that outlived its row is gone within minutes;
* a cache error never fails a request: reads fall back to the database, writes and
  deletes are logged (the database is the record).

Used as ``SESSION_ENGINE`` when the cache is Redis (``portal/settings/base.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5 * 60


class SessionStore(CachedDBStore):
    def _cache_set(self, data: dict[str, Any], age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, max(0, min(CACHE_SECONDS, age)))  # type: ignore[attr-defined]
        except Exception:
            logger.warning("Could not keep a session in the cache", exc_info=True)

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - read it from the database instead
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key: str | None) -> bool:
        return bool(session_key) and DBStore.exists(self, session_key or "")

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_age())  # type: ignore[attr-defined]

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the row is gone; the copy expires within CACHE_SECONDS
            logger.error(
                "Could not remove an ended session from the cache; it expires within %ss", CACHE_SECONDS
            )
