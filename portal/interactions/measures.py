"""The log-level pieces the contact measures are built on (the figures are ``portal.insights``).

``percent`` is the one rounding rule for every percentage; the rollup version is bumped
whenever the daily rollups are rebuilt, so every cached figure becomes stale at once; bots
are counted in the cache (by the middleware) under ``bot_counter_key`` for the daily rollup.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache


def percent(numerator: int, denominator: int) -> float | None:
    """``numerator`` as a percentage of ``denominator`` to one place, half rounded up;
    None ("no data") when there is nothing to divide by."""
    if not denominator:
        return None
    exact = Decimal(100 * numerator) / Decimal(denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


ROLLUP_VERSION_KEY = "interactions:rollup-version"


def bot_counter_key(day) -> str:
    return f"interactions:bots:{day.isoformat()}"


def rollup_version() -> int:
    return cache.get_or_set(ROLLUP_VERSION_KEY, 1, None)


def rollups_changed() -> None:
    """Called whenever rollups are rebuilt: every cached figure becomes stale at once."""
    try:
        cache.incr(ROLLUP_VERSION_KEY)
    except ValueError:
        cache.set(ROLLUP_VERSION_KEY, 1, None)
