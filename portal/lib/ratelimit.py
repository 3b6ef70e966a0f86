"""Fixed-window counters in the shared cache: the portal's own rate limits (allauth has its own).

Every process shares the cache (Redis in production), so a limit holds across web workers.
``cache.add`` then ``cache.incr`` is atomic on Redis and on the database cache; a window
that expires between the two is started again rather than counted as a miss.

Each window also remembers when it ends, so a refusal can say when to try again
(``ratelimit_retry_after`` and ``retry_after_message``).
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def ratelimit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of ``key``; True when it is now over ``limit`` uses in the window."""
    return ratelimit_count(key, window_seconds=window_seconds) > limit


def ratelimit_count(key: str, *, window_seconds: int) -> int:
    """Count one use of ``key`` and return the uses so far in its window."""
    full_key = f"ratelimit:{key}"
    if cache.add(full_key, 0, window_seconds):
        cache.set(f"{full_key}:ends", time.time() + window_seconds, window_seconds)
    try:
        return cache.incr(full_key)
    except ValueError:  # the window expired between add and incr: start a new one
        cache.add(full_key, 1, window_seconds)
        cache.set(f"{full_key}:ends", time.time() + window_seconds, window_seconds)
        return 1


def ratelimit_exceeded(key: str, *, limit: int) -> bool:
    """Whether ``key`` is already over ``limit`` in its window, without counting a use."""
    return (cache.get(f"ratelimit:{key}") or 0) > limit


def ratelimit_retry_after(key: str, *, window_seconds: int) -> int:
    """Seconds until ``key``'s window ends and it may be used again (at least 1).

    ``window_seconds`` is the answer when the window's end is not known (a window
    started before ends were remembered), so a refusal never says "now".
    """
    ends = cache.get(f"ratelimit:{key}:ends")
    if ends is None:
        return window_seconds
    return max(1, math.ceil(ends - time.time()))


def ratelimit_clear(key: str) -> None:
    cache.delete_many([f"ratelimit:{key}", f"ratelimit:{key}:ends"])


def retry_after_message(seconds: float) -> str:
    """When to try again, in GOV.UK's plain words: "Try again in 5 minutes".

    Rounded up to a whole minute (or hour, past two hours), so waiting as long as it
    says is always long enough.
    """
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return f"Try again in {hours} hours"
    if minutes == 60:
        return "Try again in 1 hour"
    return f"Try again in {minutes} minute{'' if minutes == 1 else 's'}"


def too_many_requests(
    request: HttpRequest, *, retry_after: float, template: str = "429.html", context: dict | None = None
) -> HttpResponse:
    """A 429 page that says when to try again, with the same time in ``Retry-After``."""
    seconds = max(1, math.ceil(retry_after))
    response = render(
        request,
        template,
        {**(context or {}), "retry_after_message": retry_after_message(seconds)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
