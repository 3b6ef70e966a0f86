from datetime import date

from django.conf import settings
from django.tasks import task

from .rollups import interactions_purge, rollup_build_day, rollup_build_recent
from .signals import rollups_refreshed


@task
def build_rollups(day: str | None = None) -> int:
    """Rebuild one day's rollups (ISO date), or today and the 8 days before."""
    rows = rollup_build_day(day=date.fromisoformat(day)) if day else rollup_build_recent()
    rollups_refreshed.send(sender=None)  # Contact insights warms its dashboard's cache
    return rows


@task
def purge_interactions() -> int:
    return interactions_purge(older_than_days=settings.INTERACTIONS_RETENTION_DAYS)
