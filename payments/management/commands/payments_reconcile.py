from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.reconciliation import reconciliation_report, report_csv


class Command(BaseCommand):
    help = (
        "Compare a day's successful payments and refunds with the payment provider's records. Prints the "
        "report as CSV (or to --output) and exits with status 1 when anything does not match, so a daily "
        "job can alert finance. The day defaults to yesterday."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--provider", help="stripe or sandbox (default: the configured provider)")
        parser.add_argument("--output", help="write the CSV to this file instead of standard output")

    def handle(self, *args, **options):
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("Give the date as YYYY-MM-DD, e.g. --date 2026-03-31") from exc
        else:
            day = timezone.localdate() - timedelta(days=1)
        report = reconciliation_report(day=day, provider_name=options["provider"])
        if report.error:
            raise CommandError(report.error)
        text = report_csv(report)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
        summary = f"{day}: {len(report.lines)} lines, {len(report.mismatches)} mismatches ({report.provider})"
        self.stderr.write(summary)
        if report.mismatches:
            raise SystemExit(1)
