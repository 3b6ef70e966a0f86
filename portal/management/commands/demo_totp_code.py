from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from .load_demo import DEMO_TOTP_SECRET, DEMO_USERS


class Command(BaseCommand):
    help = "Print the current 2-step verification code of a demo staff account. Development only."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default="officer@example.com", help="a demo staff account")

    def handle(self, *args, email: str, **options):
        if not settings.PORTAL_ALLOW_DEMO_DATA:
            raise CommandError("Demo data is disabled in these settings (PORTAL_ALLOW_DEMO_DATA is off).")
        staff = {spec["email"] for spec in DEMO_USERS if spec["is_staff"]}
        if email.lower() not in staff:
            raise CommandError(f"Only the demo staff accounts have a demo code: {', '.join(sorted(staff))}")
        counters = list(yield_hotp_counters_from_time())
        current = counters[len(counters) // 2]
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current)))
