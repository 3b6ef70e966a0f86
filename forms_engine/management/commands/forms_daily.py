from django.conf import settings
from django.core.management.base import BaseCommand

from forms_engine.housekeeping import forms_housekeeping


class Command(BaseCommand):
    help = (
        "The online forms' daily job: record drafts idle for FORM_ABANDON_HOURS as abandoned "
        "forms (one form_abandon interaction each), then delete drafts untouched for "
        "FORM_DRAFT_DAYS and their uploaded files. Idempotent; run it before interactions_daily."
    )

    def handle(self, *args, **options):
        counts = forms_housekeeping()
        self.stdout.write(
            f"Abandoned forms recorded: {counts['abandoned']} "
            f"(drafts idle more than {settings.FORM_ABANDON_HOURS} hours)"
        )
        self.stdout.write(
            f"Expired drafts deleted: {counts['expired']} (untouched for {settings.FORM_DRAFT_DAYS} days)"
        )
