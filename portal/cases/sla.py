"""Working-day arithmetic for case deadlines: weekends and UK bank holidays are skipped.

Bank holidays come from the maintained ``holidays`` package, for the nation set by
``PORTAL_BANK_HOLIDAYS`` (``ENG`` covers England and Wales' shared list; ``SCT``, ``WLS``
and ``NIR`` are the others).
"""

from datetime import date, timedelta
from functools import cache

import holidays

from django.conf import settings


@cache
def _calendar(subdivision: str, year: int):
    return holidays.country_holidays("GB", subdiv=subdivision, years=year)


def is_working_day(day: date) -> bool:
    subdivision = getattr(settings, "PORTAL_BANK_HOLIDAYS", "ENG")
    return day.weekday() < 5 and day not in _calendar(subdivision, day.year)


def working_days_add(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
