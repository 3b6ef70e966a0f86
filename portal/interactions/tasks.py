from datetime import date

from django.conf import settings
from django.tasks import task

from .rollups import interactions_purge, rollup_build_day, rollup_build_recent


@task
def build_rollups(day: str | None = None) -> int:
    """Rebuild one day's rollups (ISO date), or today and the 8 days before."""
    from portal.insights.dashboard import dashboard_figures_warm  # imported late: the log sits below insights

    rows = rollup_build_day(day=date.fromisoformat(day)) if day else rollup_build_recent()
    dashboard_figures_warm()
    return rows


@task
def purge_interactions() -> int:
    return interactions_purge(older_than_days=settings.INTERACTIONS_RETENTION_DAYS)
