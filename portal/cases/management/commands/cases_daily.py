from datetime import date

from django.core.management.base import BaseCommand, CommandError

from portal.cases.services import case_deadline_digest_send


class Command(BaseCommand):
    help = (
        "Email each case team the open cases that are overdue or due within 2 working days. "
        "Run it once each morning from cron or any scheduler; re-running it the same day sends nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, date: str | None = None, **options):
        try:
            today = _parse(date)
        except ValueError as exc:
            raise CommandError(f"Dates must look like 2026-11-22: {exc}") from exc
        sent = case_deadline_digest_send(today=today)
        self.stdout.write(f"Deadline emails written: {sent}")


def _parse(value):
    return date.fromisoformat(value) if value else None
