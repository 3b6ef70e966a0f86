"""Knowing that the database is unavailable, without asking it.

When a request fails because the database can't be reached, the error handler
(``portal.views.server_error``) answers 503 "try again shortly" and marks the outage here
for a few seconds; the page cache then serves what it holds even if its content version
can't be checked. The mark lives in the shared cache, so every process sees it.
"""

from __future__ import annotations

from django.core.cache import cache

OUTAGE_KEY = "portal:database-unavailable"
OUTAGE_SECONDS = 10


def database_unavailable_mark() -> None:
    try:
        cache.set(OUTAGE_KEY, True, OUTAGE_SECONDS)
    except Exception:  # noqa: BLE001 - the cache may be down too; the 503 still goes out
        return


def database_unavailable() -> bool:
    try:
        return bool(cache.get(OUTAGE_KEY))
    except Exception:  # noqa: BLE001 - a database cache can't be read in an outage either
        return True
