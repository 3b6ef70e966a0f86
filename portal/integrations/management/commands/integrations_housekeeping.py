from django.core.management.base import BaseCommand

from portal.integrations.services.deliveries import deliveries_due_run
from portal.integrations.services.polling import open311_updates_poll


class Command(BaseCommand):
    help = (
        "Queue the deliveries to back offices that are due (retries, a fee now paid, attempts whose "
        "worker stopped) and read the status updates of Open311 back offices. Idempotent: run it "
        "every minute or few."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"deliveries_queued: {deliveries_due_run()}")
        self.stdout.write(f"open311_updates: {open311_updates_poll()}")
