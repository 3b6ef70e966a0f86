"""Fixed-window counters in the shared cache: the portal's own rate limits (allauth has its own).

Every process shares the cache (Redis in production), so a limit holds across web workers.
``cache.add`` then ``cache.incr`` is atomic on Redis and on the database cache; a window
that expires between the two is started again rather than counted as a miss.
"""

from __future__ import annotations

from django.core.cache import cache


def ratelimit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of ``key``; True when it is now over ``limit`` uses in the window."""
    return ratelimit_count(key, window_seconds=window_seconds) > limit


def ratelimit_count(key: str, *, window_seconds: int) -> int:
    """Count one use of ``key`` and return the uses so far in its window."""
    full_key = f"ratelimit:{key}"
    cache.add(full_key, 0, window_seconds)
    try:
        return cache.incr(full_key)
    except ValueError:  # the window expired between add and incr: start a new one
        cache.add(full_key, 1, window_seconds)
        return 1


def ratelimit_exceeded(key: str, *, limit: int) -> bool:
    """Whether ``key`` is already over ``limit`` in its window, without counting a use."""
    return (cache.get(f"ratelimit:{key}") or 0) > limit


def ratelimit_clear(key: str) -> None:
    cache.delete(f"ratelimit:{key}")
