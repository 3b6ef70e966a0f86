from datetime import date

from django.conf import settings
from django.tasks import task

from .rollups import interactions_purge, rollup_build_day, rollup_build_recent


@task
def build_rollups(day: str | None = None) -> int:
    """Rebuild one day's rollups (ISO date), or the last 8 days when no day is given."""
    if day:
        return rollup_build_day(day=date.fromisoformat(day))
    return rollup_build_recent()


@task
def purge_interactions() -> int:
    return interactions_purge(older_than_days=settings.INTERACTIONS_RETENTION_DAYS)
