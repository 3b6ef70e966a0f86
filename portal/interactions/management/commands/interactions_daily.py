from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.interactions.rollups import (
    interactions_purge,
    rollup_build_day,
    rollup_build_recent,
    rollup_build_requested,
)
from portal.interactions.signals import rollups_refreshed


class Command(BaseCommand):
    help = (
        "The interaction log's job: rebuild the rollups for today and the 8 days before, and "
        "purge raw events past the retention period. Run it at least once a day after "
        "midnight (hourly keeps today's figures fresh). Idempotent: re-running it gives the "
        "same numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="Rebuild from this date (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", help="Rebuild up to this date (YYYY-MM-DD)")
        parser.add_argument("--no-purge", action="store_true", help="Skip the purge")

    def handle(self, *args, start=None, end=None, no_purge=False, **options):
        if start or end:
            try:
                first = date.fromisoformat(start or end)
                last = date.fromisoformat(end or start)
            except ValueError as exc:
                raise CommandError(f"Dates must look like 2026-11-22: {exc}") from exc
            if last < first:
                raise CommandError("--to must be on or after --from")
            rows, day = 0, first
            while day <= last:
                rows += rollup_build_day(day=day)
                day += timedelta(days=1)
        else:
            rows = rollup_build_recent()
            # and any day still waiting for a late contact's rebuild (its task failed, say)
            rows += rollup_build_requested()
        self.stdout.write(f"Rollups rebuilt: {rows} rows")
        rollups_refreshed.send(sender=None)  # Contact insights warms its dashboard's cache
        if not no_purge:
            purged = interactions_purge(older_than_days=settings.INTERACTIONS_RETENTION_DAYS)
            self.stdout.write(f"Raw events purged: {purged}")
