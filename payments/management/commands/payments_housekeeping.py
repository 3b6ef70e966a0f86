from django.core.management.base import BaseCommand

from payments.services import payments_housekeeping


class Command(BaseCommand):
    help = (
        "Settle payments stuck in started/submitted beyond PAYMENT_STUCK_MINUTES by asking the provider, "
        "retry refunds not yet sent, expire payments never started, and close requests still unpaid after "
        "PAYMENT_EXPIRY_HOURS as closed_unpaid (the resident is told), and text bill reminders with a "
        "payment link BILL_REMINDER_DAYS before bills are due (once per bill, 9am to 8pm). "
        "Idempotent: run it every few minutes."
    )

    def handle(self, *args, **options):
        for name, count in payments_housekeeping().items():
            self.stdout.write(f"{name}: {count}")
