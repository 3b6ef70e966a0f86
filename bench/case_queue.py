"""The staff case queue, a resident's case list and a case page over 100,000 cases.

Seeds N cases (default 100,000) with 10 timeline events each (1 million), with bulk_create,
then prints each page's server-side time (test client; median and p95) as a ratio against
a minimal authenticated page in the same run: an empty Wagtail admin page (same admin
chrome, no content; mounted by this script) for the staff pages, the resident's profile
page for the resident's. Target: staff queue p95
under 4x its baseline.

    .venv/bin/python bench/case_queue.py [--cases N]
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

from _setup import django_test_database, staff_client_login, timed

TARGET_RATIO = 4.0
EVENTS_PER_CASE = 10
TEAMS = 12
SERVICES = [524, 528, 557, 474, 587, 57, 54, 1, 2, 3]


def p95_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


def seed(total: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from portal.cases.constants import OPEN_STATUSES, CaseStatus, EventType
    from portal.cases.models import Case, CaseEvent, Team
    from tests.accounts.factories import StaffFactory, UserFactory

    User = get_user_model()
    rng = random.Random(42)
    teams = Team.objects.bulk_create(
        [Team(name=f"Team {n}", email=f"team{n}@council.example") for n in range(TEAMS)]
    )
    officers_group = Group.objects.get(name="Case officers")
    officers = []
    for n in range(TEAMS * 3):
        officer = StaffFactory(email=f"officer{n}@council.example")
        officer.groups.add(officers_group)
        teams[n % TEAMS].members.add(officer)
        officers.append(officer)
    manager = StaffFactory(email="manager@council.example")
    manager.groups.add(Group.objects.get(name="Service managers"))
    residents = User.objects.bulk_create(
        [User(email=f"bench{n}@example.org", full_name=f"Resident {n}") for n in range(total // 5)],
        batch_size=5000,
    )
    resident = UserFactory(email="busy@example.org")

    statuses = list(CaseStatus)
    weights = [1, 10, 25, 6, 40, 6, 4, 2]
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    cases = []
    for n in range(total):
        status = rng.choices(statuses, weights)[0]
        created = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
        owner = resident if n % 5000 == 0 else rng.choice(residents)
        cases.append(
            Case(
                reference=f"BEN-{created.year}-{n:07d}",
                title="Report a missed bin collection",
                service_code=rng.choice(SERVICES),
                resident=owner,
                contact_email=owner.email,
                status=status,
                team=rng.choice(teams),
                assignee=rng.choice(officers) if rng.random() < 0.7 else None,
                sla_working_days=10,
                due_on=today + timedelta(days=rng.randint(-30, 30)),
                submitted_at=created,
                closed_at=None if status in OPEN_STATUSES else created + timedelta(days=5),
                last_public_event_at=created,
            )
        )
    Case.objects.bulk_create(cases, batch_size=5000)
    Case.objects.update(created_at=now)  # auto_now_add; spread below by id for realism
    ids = list(Case.objects.values_list("pk", flat=True))
    print(f"seeded {len(ids):,} cases in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    types = [
        EventType.STATUS_CHANGE,
        EventType.OFFICER_MESSAGE,
        EventType.RESIDENT_MESSAGE,
        EventType.INTERNAL_NOTE,
    ]
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    # One prepared INSERT run with executemany: the ORM's bulk_create compiles a statement
    # per few hundred rows on SQLite, which makes a million rows take minutes.
    sql = (
        f"INSERT INTO {table} (case_id, type, public, actor_role, status_from, status_to, message, data, "
        "created_at) VALUES (%s, %s, %s, %s, '', '', %s, '{}', %s)"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    written = 0
    with connection.cursor() as cursor:
        for chunk in range(0, len(ids), 5000):
            rows = [
                (case_id, types[k % 4], types[k % 4] != EventType.INTERNAL_NOTE, "staff", "An update.", stamp)
                for case_id in ids[chunk : chunk + 5000]
                for k in range(EVENTS_PER_CASE)
            ]
            cursor.executemany(sql, rows)
            written += len(rows)
    print(f"seeded {written:,} events in {time.perf_counter() - started:.1f} s")
    busiest = Case.objects.filter(resident=resident).order_by("pk").first()
    return {
        "manager": manager,
        "officer": officers[0],
        "team": teams[0],
        "resident": resident,
        "case": busiest,
    }


def _mount_minimal_admin_page() -> str:
    """An admin page with the admin's chrome and nothing else: the staff pages' baseline."""
    from django.urls import clear_url_caches, path
    from django.views.generic import TemplateView

    from wagtail.admin.auth import require_admin_access
    from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

    from portal import urls

    class Minimal(WagtailAdminTemplateMixin, TemplateView):
        page_title = "Minimal"

    urls.urlpatterns.insert(0, path("admin/bench-minimal/", require_admin_access(Minimal.as_view())))
    clear_url_caches()
    return "/admin/bench-minimal/"


def main(total: int) -> None:
    with django_test_database():
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        data = seed(total)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        staff = Client()
        staff_client_login(staff, data["manager"])
        officer = Client()
        staff_client_login(officer, data["officer"])
        resident = Client()
        resident.force_login(data["resident"])
        case = data["case"]
        team = data["team"].pk

        pages = {
            "staff baseline (empty admin page)": (staff, _mount_minimal_admin_page(), None),
            "queue, all open, first page": (staff, "/admin/cases/", "staff"),
            "queue, team + in progress, first page": (
                staff,
                f"/admin/cases/?team={team}&status=in_progress&sort=due",
                "staff",
            ),
            "queue, team + in progress, last page": (
                staff,
                f"/admin/cases/?team={team}&status=in_progress&sort=due&p=last",
                "staff",
            ),
            "queue, overdue, last page": (staff, "/admin/cases/?due=overdue&p=last", "staff"),
            "queue, search by email": (staff, "/admin/cases/?q=busy@example.org&status=all", "staff"),
            "queue as an officer (own teams)": (officer, "/admin/cases/", "staff"),
            "staff case view": (staff, f"/admin/cases/{case.pk}/", "staff"),
            "resident baseline (profile page)": (resident, reverse("account_profile"), None),
            "resident case list": (resident, reverse("cases:list"), "resident"),
            "resident case page": (
                resident,
                reverse("cases:detail", kwargs={"reference": case.reference}),
                "resident",
            ),
        }
        results = {}
        for label, (client, url, _) in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (label, response.status_code)
            results[label] = timed(lambda client=client, url=url: client.get(url), repeat=25)
        base = {
            "staff": results["staff baseline (empty admin page)"],
            "resident": results["resident baseline (profile page)"],
        }
        worst_queue = 0.0
        for label, (_, _, kind) in pages.items():
            samples = results[label]
            median, p95 = statistics.median(samples) * 1000, p95_ms(samples)
            line = f"{label:<40} median {median:7.1f} ms  p95 {p95:7.1f} ms"
            if kind:
                ratio = p95 / p95_ms(base[kind])
                line += f"  ({ratio:.1f}x baseline p95)"
                if label.startswith("queue"):
                    worst_queue = max(worst_queue, ratio)
            print(line)
        print(
            f"target: staff queue p95 < {TARGET_RATIO:.0f}x baseline: worst {worst_queue:.1f}x "
            f"{'OK' if worst_queue < TARGET_RATIO else 'OVER'}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    main(parser.parse_args().cases)
