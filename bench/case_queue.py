"""The staff case queue, a resident's case list and a case page over 100,000 cases.

Seeds N cases (default 100,000) with 10 timeline events each (1 million), residents with
names, emails, postcodes and phones, anonymous requests with their answers (address and
phone), and a few support needs; then ANALYZEs the tables (VACUUM ANALYZE on PostgreSQL,
as autovacuum would) and times each page server-side (test client; median and p95) as a
ratio against a minimal authenticated page in the same run: an empty Wagtail admin page
(same admin chrome, no content; mounted by this script) for the staff pages, the
resident's profile page for the resident's.

The queue is run with every filter (status: open, any, one open, one closed; service;
team; assigned to nobody, to an officer; overdue; due soon; extra support) in each of its
four orders, first page and last page; the search by name, email, postcode, phone and part
of a reference; and as an officer (their teams' cases, "assigned to me"). Target: every
queue page's p95 within 4x the baseline's.

For each page the queries that read the cases table are EXPLAINed; the main ones are
printed with EXPLAIN (ANALYZE, BUFFERS). On PostgreSQL the run fails (exit status 1) if any
plan has a sequential scan of the cases table or a sort that spills to disk. SQLite has no
index for ``LIKE '%…%'``, so there its plans are printed for information only.

PostgreSQL (production's database; the figures in README.md come from it), a scratch
database test_<name> is created beside the one named and dropped after:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python bench/case_queue.py

SQLite (quick, for development): ``.venv/bin/python bench/case_queue.py [--cases N]``.
"""

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from datetime import timedelta

from _setup import django_test_database, staff_client_login, timed

TARGET_RATIO = 4.0
EVENTS_PER_CASE = 10
TEAMS = 12
SERVICES = [524, 528, 557, 474, 587, 57, 54, 1, 2, 3]
REPEAT = 15
AREAS = ["LS", "M", "B", "BS", "NE", "CF", "EH", "G", "L", "S", "NG", "LE", "CB", "OX", "BN", "PL"]


def p95_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


def _postcode(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    return f"{rng.choice(AREAS)}{rng.randint(1, 29)} {inward}"


def seed(total: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from accounts.models import SupportNeeds
    from forms_engine.models import Submission
    from forms_engine.services import form_version_current
    from portal.cases.constants import OPEN_STATUSES, CaseStatus, EventType
    from portal.cases.models import Case, CaseEvent, CaseSupportNeeds, Team
    from tests.accounts.factories import StaffFactory, UserFactory
    from tests.forms_engine.factories import missed_bin_form

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
        [
            User(
                email=f"bench{n}@example.org",
                full_name=f"Resident {n}",
                postcode=_postcode(rng),
                phone=f"07{rng.randint(100000000, 999999999)}",
            )
            for n in range(total // 5)
        ],
        batch_size=5000,
    )
    resident = UserFactory(
        email="busy@example.org", full_name="Priya Busy", postcode="SW1A 1AA", phone="07700900982"
    )
    SupportNeeds.objects.bulk_create(
        [SupportNeeds(user=user, needs=["large_print"]) for user in residents[::100]], batch_size=5000
    )

    statuses = list(CaseStatus)
    weights = [1, 10, 25, 6, 40, 6, 4, 2]
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    cases = []
    for n in range(total):
        status = rng.choices(statuses, weights)[0]
        created = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
        anonymous = n % 10 == 7  # one in ten made without signing in
        owner = resident if n % 5000 == 0 else (None if anonymous else rng.choice(residents))
        cases.append(
            Case(
                reference=f"BEN-{created.year}-{n:07d}",
                title="Report a missed bin collection",
                service_code=rng.choice(SERVICES),
                resident=owner,
                contact_email=owner.email if owner else f"caller{n}@mail.example",
                contact_name="" if owner else f"Caller {n}",
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
    # created_at is auto_now_add (bulk_create sets it to now): spread it as the requests were.
    for made in cases:
        made.created_at = made.submitted_at
    Case.objects.bulk_update(cases, ["created_at"], batch_size=2000)
    ids = list(Case.objects.values_list("pk", flat=True))
    print(f"seeded {len(ids):,} cases in {time.perf_counter() - started:.1f} s")

    # The answers of the anonymous requests: where their address and phone are kept.
    version = form_version_current(form=missed_bin_form(team=teams[0]))
    Submission.objects.bulk_create(
        [
            Submission(
                version=version,
                case=case,
                contact_email=case.contact_email,
                idempotency_key=uuid.uuid4(),
                answers={
                    "address": {"line_1": "2 Low Road", "town": "Anytown", "postcode": _postcode(rng)},
                    "phone": f"0113 496 {rng.randint(0, 9999):04d}",
                },
            )
            for case in cases
            if case.resident_id is None
        ],
        batch_size=5000,
    )
    CaseSupportNeeds.objects.bulk_create(
        [CaseSupportNeeds(case=case, needs=["interpreter"]) for case in cases[3::500]], batch_size=5000
    )

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
        "other_officer": officers[1],
        "team": teams[0],
        "resident": resident,
        "case": busiest,
    }


def analyze() -> None:
    """Statistics (and, on PostgreSQL, the visibility map) as a live database has them."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM may not run in a transaction block: the test database is in autocommit.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"analyzed in {time.perf_counter() - started:.1f} s")


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


def queue_pages(data: dict, staff, officer) -> dict:
    """Every filter in every order, first and last page; the searches; an officer's queue."""
    team = data["team"].pk
    filters = {
        "open": "",
        "any status": "status=all",
        "in progress": "status=in_progress",
        "resolved": "status=resolved",
        "service": "service=524",
        "team": f"team={team}",
        "team + in progress": f"team={team}&status=in_progress",
        "nobody assigned": "assignee=none",
        "one officer": f"assignee={data['other_officer'].pk}",
        "overdue": "due=overdue",
        "due soon": "due=soon",
        "support": "support=yes",
    }
    pages = {}
    for name, query in filters.items():
        for sort in ("due", "-due", "newest", "oldest"):
            for page in ("first", "last"):
                params = "&".join(p for p in (query, f"sort={sort}", "p=last" if page == "last" else "") if p)
                pages[f"queue {name}, {sort}, {page}"] = (staff, f"/admin/cases/?{params}", "staff")
    reference = data["case"].reference
    searches = {
        "name": "Resident 1234",
        "anonymous name": "Caller 4567",
        "email": "busy@example.org",
        "postcode": "SW1A 1AA",
        "postcode first half": "LS12",
        "phone": "07700 900982",
        "reference fragment": reference[-7:],
        "nothing": "no-such-thing-anywhere",
    }
    for name, q in searches.items():
        for status in ("", "all"):
            label = f"queue search {name}{', any status' if status else ''}"
            params = f"q={q}" + (f"&status={status}" if status else "")
            pages[label] = (staff, f"/admin/cases/?{params}", "staff")
    for sort in ("due", "newest"):
        for page in ("first", "last"):
            last = "&p=last" if page == "last" else ""
            url = f"/admin/cases/?sort={sort}{last}"
            pages[f"queue officer, own teams, {sort}, {page}"] = (officer, url, "staff")
            pages[f"queue officer, assigned to me, {sort}, {page}"] = (
                officer,
                f"/admin/cases/?assignee=me&sort={sort}{last}",
                "staff",
            )
    return pages


# The pages whose plans are printed in full (EXPLAIN ANALYZE); every page's plans are checked.
MAIN = (
    "queue open, due, first",
    "queue open, due, last",
    "queue overdue, due, last",
    "queue team + in progress, due, last",
    "queue search email",
    "queue search postcode",
    "queue search reference fragment",
    "queue officer, own teams, due, first",
    "queue officer, assigned to me, due, first",
    "staff home (workload counts)",
)


def _explain(sql: str, analyze: bool) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return "\n".join(row[0] for row in rows)
    return "\n".join(str(row[-1]) for row in rows)


def check_plans(pages: dict) -> list[str]:
    """EXPLAIN every query of every page that reads the cases table; return the problems."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.cases.models import Case

    table = Case._meta.db_table
    problems = []
    for label, (client, url, _) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        for query in captured.captured_queries:
            sql = query["sql"]
            if f'"{table}"' not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            main = label in MAIN
            plan = _explain(sql, analyze=main and connection.vendor == "postgresql")
            if main:
                print(f"\n--- {label}: {url}\n{sql}\n{plan}")
            if connection.vendor == "postgresql":
                if re.search(rf"Seq Scan on {table}(\s|$)", plan, re.MULTILINE):
                    problems.append(f"{label}: sequential scan of {table}\n  {sql}\n{plan}")
                if "external merge" in plan or "Disk:" in plan:
                    problems.append(f"{label}: a sort on disk\n  {sql}\n{plan}")
    return problems


def main(total: int) -> int:
    with django_test_database():
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        data = seed(total)
        analyze()

        staff = Client()
        staff_client_login(staff, data["manager"])
        officer = Client()
        staff_client_login(officer, data["officer"])
        resident = Client()
        resident.force_login(data["resident"])
        case = data["case"]

        pages = {
            "staff baseline (empty admin page)": (staff, _mount_minimal_admin_page(), None),
            "staff home (workload counts)": (officer, "/admin/", "staff"),
            **queue_pages(data, staff, officer),
            "staff case view": (staff, f"/admin/cases/{case.pk}/", "staff"),
            "resident baseline (profile page)": (resident, reverse("account_profile"), None),
            "resident case list": (resident, reverse("cases:list"), "resident"),
            "resident case page": (
                resident,
                reverse("cases:detail", kwargs={"reference": case.reference}),
                "resident",
            ),
        }
        baselines = {
            "staff": (staff, "/admin/bench-minimal/"),
            "resident": (resident, reverse("account_profile")),
        }
        results, base = {}, {}
        for label, (client, url, kind) in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (label, url, response.status_code)
            if kind is None:
                results[label] = timed(lambda client=client, url=url: client.get(url), repeat=REPEAT)
                continue
            # Each page's requests alternate with its baseline's, so the ratio compares the
            # two under the same load (the machine may be busy with other work).
            base_client, base_url = baselines[kind]
            results[label], base[label] = [], []
            for _ in range(REPEAT):
                base[label] += timed(lambda c=base_client, u=base_url: c.get(u), repeat=1)
                results[label] += timed(lambda client=client, url=url: client.get(url), repeat=1)
        events = total * EVENTS_PER_CASE
        print(f"\n{connection.vendor}, {total:,} cases, {events:,} events; {REPEAT} requests each")
        print(f"{'page':<50} {'median':>9} {'p95':>9}  (baseline p95)  p95 ratio  (median ratio)")
        worst_queue, worst_label = 0.0, ""
        for label, (_, _, kind) in pages.items():
            samples = results[label]
            median, p95 = statistics.median(samples) * 1000, p95_ms(samples)
            line = f"{label:<50} {median:6.1f} ms {p95:6.1f} ms"
            if kind:
                ratio = p95 / p95_ms(base[label])
                middle = median / (statistics.median(base[label]) * 1000)
                line += f"  ({p95_ms(base[label]):5.1f} ms)  {ratio:4.1f}x  (median {middle:.1f}x)"
                if label.startswith("queue") and ratio > worst_queue:
                    worst_queue, worst_label = ratio, label
            print(line)
        ok = worst_queue < TARGET_RATIO
        print(
            f"target: staff queue p95 < {TARGET_RATIO:.0f}x baseline: worst {worst_queue:.1f}x "
            f"({worst_label}) {'OK' if ok else 'OVER'}"
        )

        problems = check_plans(pages)
        if connection.vendor != "postgresql":
            print("\nSQLite: plans printed for information; the plan check runs on PostgreSQL.")
        elif problems:
            print(f"\nFAIL: {len(problems)} plan problem(s):", file=sys.stderr)
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1
        else:
            print("\nplans: no sequential scan of the cases table, no sort on disk")
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    sys.exit(main(parser.parse_args().cases))
