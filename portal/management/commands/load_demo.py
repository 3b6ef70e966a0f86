from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from wagtail.models import Site

from cms.demo import demo_content_load, demo_moderation_load
from cms.models import CouncilSettings
from forms_engine.demo import FORMS as DEMO_FORMS
from forms_engine.demo import demo_forms_load
from payments.demo import demo_bills_load
from portal.cases.demo import demo_cases_load
from portal.interactions.demo import synthetic_events_create
from portal.interactions.models import ContactTeam, Interaction
from portal.interactions.rollups import rollup_build_day
from portal.lib.demo import loaders as demo_loaders

DEMO_PASSWORD = "demo-portal-2026"  # demo only; refused in production
# Staff must use 2-step verification: the demo staff share this authenticator-app key.
# `manage.py demo_totp_code` prints the current code for it. Demo only, like the password.
DEMO_TOTP_SECRET = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA"
DEMO_USERS = [
    {
        "email": "resident@example.com",
        "full_name": "Riley Resident",
        "role": "resident",
        "groups": [],
        "is_staff": False,
    },
    {
        "email": "officer@example.com",
        "full_name": "Olu Officer",
        "role": "case officer (Wagtail admin at /admin/)",
        "groups": ["Case officers", "Editors"],
        "is_staff": True,
    },
    {
        "email": "moderator@example.com",
        "full_name": "Morgan Moderator",
        "role": "moderator (approves pages editors submit, in /admin/)",
        "groups": ["Moderators"],
        "is_staff": True,
    },
    {
        "email": "manager@example.com",
        "full_name": "Mo Manager",
        "role": "service manager (Contact insights in /admin/)",
        "groups": ["Service managers"],
        "is_staff": True,
    },
    {
        "email": "agent@example.com",
        "full_name": "Ash Agent",
        "role": "contact-centre agent (Take a call in /admin/)",
        "groups": ["Contact centre"],
        "is_staff": True,
    },
    {
        "email": "auditor@example.com",
        "full_name": "Aud Auditor",
        "role": "auditor (Reports → Resident record access in /admin/)",
        "groups": ["Auditors"],
        "is_staff": True,
    },
    {
        "email": "finance@example.com",
        "full_name": "Fran Finance",
        "role": "finance (payments, refunds, reconciliation in /admin/)",
        "groups": ["Finance"],
        "is_staff": True,
    },
]


DEMO_CONTACT_TEAMS = [
    ("Contact centre (outsourced)", "Outsourced: contract CC-2026-04"),
    ("Customer service centre", "Face to face, the town hall"),
    ("Revenues back office", "Council tax and business rates"),
]


class Command(BaseCommand):
    help = "Load demo content and demo accounts. Safe to run repeatedly; never in production."

    def handle(self, *args, **options):
        if not settings.PORTAL_ALLOW_DEMO_DATA:
            raise CommandError(
                "Demo data is disabled in these settings (PORTAL_ALLOW_DEMO_DATA is off). "
                "Demo accounts have known passwords and must never exist in production."
            )
        with transaction.atomic():
            self._council_settings()
            demo_content_load()
            demo_moderation_load()
            created = [self._user(spec) for spec in DEMO_USERS]
            self._interactions()
            forms = demo_forms_load()
            bills = demo_bills_load()
            users = get_user_model().objects
            cases_made = demo_cases_load(
                resident=users.get(email="resident@example.com"),
                officer=users.get(email="officer@example.com"),
            )
            # The apps on top: targets for Contact insights, the contact centre's callers.
            for _name, loader in demo_loaders():
                loader()

        for spec, was_created in zip(DEMO_USERS, created, strict=True):
            state = "created" if was_created else "already there"
            self.stdout.write(f"  {spec['email']:<24} {spec['role']} ({state})")
        self.stdout.write(
            f"  Online forms: {len(DEMO_FORMS)} live, linked from their service pages "
            f"({forms['forms_created']} created now)"
        )
        self.stdout.write(f"  Cases: {cases_made} created now (the resident's and the officer's queue)")
        self.stdout.write(
            "  Bills to pay at /pay/: "
            + ", ".join(f"{bill.reference} (postcode {bill.postcode})" for bill in bills)
        )
        self.stdout.write(f"  Password for the demo accounts: {DEMO_PASSWORD}")
        staff = next(spec["email"] for spec in DEMO_USERS if spec["is_staff"])
        uri = get_mfa_adapter().build_totp_url(get_user_model().objects.get(email=staff), DEMO_TOTP_SECRET)
        self.stdout.write(
            "  Staff accounts use 2-step verification. Add this key to an authenticator app:\n"
            f"    {DEMO_TOTP_SECRET}\n"
            f"    {uri}\n"
            f"  or print the current code with: .venv/bin/python manage.py demo_totp_code {staff}"
        )

    def _council_settings(self) -> None:
        site = Site.objects.get(is_default_site=True)
        CouncilSettings.objects.get_or_create(
            site=site,
            defaults={
                "council_name": "Anytown Council",
                "phone": "01234 567890",
                "opening_hours": "Monday to Friday, 9am to 5pm",
                "email": "customer.services@council.example",
            },
        )

    def _interactions(self) -> None:
        """Six weeks of synthetic contact so Contact insights has something to show."""
        if Interaction.objects.filter(extras__synthetic=True).exists():
            return
        days = 42
        first_day = timezone.localdate() - timedelta(days=days)
        teams = [
            ContactTeam.objects.get_or_create(name=name, defaults={"description": description})[0].pk
            for name, description in DEMO_CONTACT_TEAMS
        ]
        synthetic_events_create(total=4000, first_day=first_day, days=days, teams=teams)
        for offset in range(days):
            rollup_build_day(day=first_day + timedelta(days=offset))

    def _user(self, spec: dict) -> bool:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            email=spec["email"],
            defaults={"full_name": spec["full_name"], "is_staff": spec["is_staff"]},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.set(Group.objects.filter(name__in=spec["groups"]))
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        if (
            spec["is_staff"]
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return created
