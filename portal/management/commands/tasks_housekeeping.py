from django.core.management.base import BaseCommand

from portal.housekeeping import tasks_housekeeping


class Command(BaseCommand):
    help = (
        "Retry claimed work that did not finish: tasks left running by a db_worker that stopped "
        "(no heartbeat for TASKS_WORKER_LOST_SECONDS) or running longer than TASKS_MAX_RUNTIME_SECONDS, "
        "and emails whose delivery attempt outlived NOTIFICATIONS_SEND_LEASE_SECONDS or was never "
        "queued. Idempotent: run it every minute or few."
    )

    def handle(self, *args, **options):
        for name, count in tasks_housekeeping().items():
            self.stdout.write(f"{name}: {count}")
