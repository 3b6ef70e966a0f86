from datetime import date

from django.conf import settings
from django.tasks import task

from .rollups import interactions_purge, rollup_build_day, rollup_build_recent, rollup_build_requested
from .signals import rollups_refreshed


@task
def build_rollups(day: str | None = None) -> int:
    """Rebuild one day's rollups (ISO date), or today and the 8 days before (and any day
    still waiting for a late contact's rebuild)."""
    if day:
        rows = rollup_build_day(day=date.fromisoformat(day))
    else:
        rows = rollup_build_recent() + rollup_build_requested()
    rollups_refreshed.send(sender=None)  # Contact insights warms its dashboard's cache
    return rows


@task
def rebuild_requested_rollups(days: list[str] | None = None) -> int:
    """Rebuild ``days`` (ISO dates) and every day listed in ``RollupRebuild`` (late or
    corrected contacts), oldest first."""
    rows = rollup_build_requested(days=[date.fromisoformat(day) for day in days or []])
    rollups_refreshed.send(sender=None)
    return rows


@task
def purge_interactions() -> int:
    return interactions_purge(older_than_days=settings.INTERACTIONS_RETENTION_DAYS)
