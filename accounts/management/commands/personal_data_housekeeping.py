from django.core.management.base import BaseCommand

from accounts.services import personal_data_housekeeping


class Command(BaseCommand):
    help = (
        "Delete expired data exports, and records kept after account deletion that are older than "
        "PORTAL_RETENTION_YEARS. Idempotent: run it daily from cron or any scheduler."
    )

    def handle(self, *args, **options):
        for part, count in personal_data_housekeeping().items():
            self.stdout.write(f"{part}: {count} deleted")
