"""Rows of the interaction log's rollups for tests, and a snapshot to compare rebuilds by."""

from datetime import date

from portal.interactions.models import DailyRollup, WebPersonDay
from portal.interactions.rollups import rollup_month_build

WASTE = 524  # household waste collection


def rollup_make(
    day: date, metric: str, value, service: int | None = WASTE, channel: str = "phone", key: str = ""
):
    """One day's rollup row, written directly (a figure a test wants without the events behind it)."""
    DailyRollup.objects.create(
        date=day, service_code=service, channel=channel, metric=metric, key=key, value=value
    )
    rollup_month_build(first=day.replace(day=1))  # as rebuilding the day does


def rollup_rows():
    """Every rollup row and web person-day, sorted: equal snapshots mean equal rebuilds."""
    return (
        sorted(
            DailyRollup.objects.values_list(
                "date", "service_code", "channel", "team", "metric", "key", "value"
            )
        ),
        sorted(WebPersonDay.objects.values_list("date", "service_code", "person_key", "failed")),
    )
