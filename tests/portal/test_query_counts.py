"""Every main resident and staff page costs about the same number of queries for 3N rows as for N,
and stays under a ceiling, so a new N+1 (a query per case, event, file, draft, payment or
delivery) fails the build.

How each test works: build data of size N, count the queries of one request (after a first
request that warms the per-process caches: site settings, menus, permissions, the "last seen"
write), grow the data to 3N, count again. The counts must be equal (``SLACK`` allows for
nothing more), and each must stay under a ceiling: the count measured on SQLite and
PostgreSQL when the test was written, rounded up a little, so a page that starts doing more
work per request is looked at. Raise a ceiling only with a reason.

The anonymous content pages (home, service, news) are in ``tests/cms/test_query_counts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.constants import IdentityCheck
from accounts.services import support_needs_update
from forms_engine.services import draft_create, form_version_current
from portal.cases.models import Case
from portal.cases.services import (
    case_assign,
    case_message_send,
    case_message_send_anonymous,
    case_note_add,
    case_officer_message,
)
from portal.integrations.constants import AttemptOutcome, DeliveryStatus, DestinationKind
from portal.integrations.models import DeliveryAttempt
from portal.interactions.constants import Channel
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.forms_engine.factories import form_build, question, step
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make, officer_in, team_make
from tests.portal.integrations.factories import delivery_bare, destination_create

pytestmark = pytest.mark.django_db

N = 3
# Extra queries allowed at 3N over N: none. A page whose count grows with its rows has an N+1.
SLACK = 0


def _counts_for_page(sql: str) -> bool:
    return "portal_cache" not in sql and not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))


def _count(client, url: str, ceiling: int, data: dict | None = None) -> tuple[int, str]:
    """Queries for one GET of ``url``, checked against ``ceiling``; and the page.

    A first GET warms the per-process and shared caches. The least of two counted GETs is
    kept: a cache emptied by something else between requests (another test run sharing the
    Redis database) costs a few queries once, whereas an N+1 costs them every time.
    """
    first = client.get(url, data)
    assert first.status_code == 200, (url, first.status_code, first.get("Location"))
    counted = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, data)
        assert response.status_code == 200, (url, response.status_code)
        counted.append(captured)
    # The page's own queries: without Redis the cache lives in the database too
    # (``portal_cache``, with savepoints around its writes), and those are the cache's.
    pages = [[q["sql"] for q in c.captured_queries if _counts_for_page(q["sql"])] for c in counted]
    least = min(pages, key=len)
    sql = "\n".join(statement[:300] for statement in least)
    assert len(least) <= ceiling, f"{url} {data or ''}: {len(least)} queries, ceiling {ceiling}\n{sql}"
    return len(least), response.content.decode()


def _flat(
    client, url: str, ceiling: int, grow, data: dict | None = None, shows: str | Callable[[], str] = ""
) -> None:
    """The page's count at N, then after ``grow()`` (to 3N): equal, and both under ``ceiling``.
    ``shows``: text the grown page must contain, so the rows counted are really on it."""
    few, _ = _count(client, url, ceiling, data)
    grow()
    many, page = _count(client, url, ceiling, data)
    assert many - few <= SLACK, f"{url} {data or ''}: {few} queries for N rows, {many} for 3N"
    text = shows() if callable(shows) else shows
    assert text in page, f"{url}: {text!r} is not on the page"


def _pdf(name: str = "photo.pdf") -> SimpleUploadedFile:
    """An attachment as the upload checks leave it (type and extension already verified)."""
    upload = SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n")
    upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
    return upload


def _teams_with_officers(count: int, start: int = 0) -> list[tuple]:
    """``count`` teams, each with its own officer: rows that differ in every foreign key."""
    pairs = []
    for n in range(start, start + count):
        team = team_make(f"Team {n}", f"team{n}@council.example")
        pairs.append((team, officer_in(team, full_name=f"Officer {n}")))
    return pairs


def _timeline(case, officers: list, rounds: int, *, resident=None, files: bool = True) -> None:
    """``rounds`` of an officer's message, an internal note, an assignment and the resident's
    reply (with a file when they are signed in), by a different officer each round."""
    for n in range(rounds):
        officer = officers[n % len(officers)]
        case.team.members.add(officer)  # officers of other teams join this one to work on it
        case_assign(case=case, actor=officer, assignee=officer)
        case_officer_message(case=case, actor=officer, message=f"Officer message {n}")
        case_note_add(case=case, actor=officer, message=f"Note {n}")
        if resident is None:
            case_message_send_anonymous(case=case, token=case.tracking_token, message=f"Reply {n}")
        else:
            extra = [_pdf(f"photo-{n}.pdf")] if files else []
            case_message_send(case=case, user=resident, message=f"Reply {n}", files=extra)


@dataclass
class Resident:
    """One resident's account, grown a slice at a time: open and closed cases in different
    teams (each with a short timeline), forms saved part way, and fees to pay."""

    user: object = field(default_factory=lambda: UserFactory(full_name="Pat Lee", postcode="AB1 2DE"))
    size: int = 0
    last: int = 0  # the newest slice's number, in its titles
    last_payment: str = ""  # the newest slice's fee

    def grow(self, count: int) -> None:
        for team, officer in _teams_with_officers(count, start=self.size):
            n = team.pk
            case = case_make(resident=self.user, team=team, status="in_progress", title=f"Request {n}")
            _timeline(case, [officer], 1, resident=self.user)
            case_make(resident=self.user, team=team, status="resolved", title=f"Done {n}")
            _, payment = fee_case(resident=self.user, amount_pence=1000 + n)
            form = form_build(
                slug=f"form-{n}",
                title=f"Apply for thing {n}",
                steps=[step("Where", question("text", "where", "Where is it?"))],
            )
            draft = draft_create(version=form_version_current(form=form), user=self.user)
            draft.answers = {"where": f"{n} High Street"}
            draft.save()
            self.last, self.last_payment = n, payment.reference
        self.size += count


# --- Residents ------------------------------------------------------------------------------------


# Measured when written, the same at N and 3N on SQLite and PostgreSQL: my account 16,
# cases 11, payments 9, a case page 16, the tracking page 12. Ceilings leave two spare.
MY_ACCOUNT_CEILING = 18
CASE_LIST_CEILING = 13
PAYMENTS_CEILING = 11
CASE_PAGE_CEILING = 18
TRACK_CEILING = 14


def test_my_account_with_its_cases_saved_forms_and_payments(client):
    """My account lists open cases, saved forms (there is no separate saved-forms page: they
    are on My account) and recent payments."""
    resident = Resident()
    resident.grow(N)
    client.force_login(resident.user)
    _flat(
        client,
        reverse("my_account"),
        MY_ACCOUNT_CEILING,
        lambda: resident.grow(2 * N),
        shows=lambda: f"Apply for thing {resident.last}",
    )


def test_the_residents_case_list(client):
    resident = Resident()
    resident.grow(N)
    client.force_login(resident.user)
    _flat(
        client,
        reverse("cases:list"),
        CASE_LIST_CEILING,
        lambda: resident.grow(2 * N),
        shows=lambda: f"Request {resident.last}",
    )


def test_the_residents_payment_history(client):
    resident = Resident()
    resident.grow(N)
    client.force_login(resident.user)
    _flat(
        client,
        reverse("payments:history"),
        PAYMENTS_CEILING,
        lambda: resident.grow(2 * N),
        shows=lambda: resident.last_payment,
    )


def test_a_case_page_with_many_events_messages_and_files(client):
    resident = UserFactory()
    officers = [officer for _, officer in _teams_with_officers(3 * N)]
    case = case_make(resident=resident, team=officers[0].case_teams.first(), status="in_progress")
    _timeline(case, officers[:N], N, resident=resident)
    client.force_login(resident)
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    grow = lambda: _timeline(case, officers[N:], 2 * N, resident=resident)  # noqa: E731
    _flat(client, url, CASE_PAGE_CEILING, grow, shows=f"photo-{2 * N - 1}.pdf")


def test_the_tracking_page_of_an_anonymous_request(client):
    officers = [officer for _, officer in _teams_with_officers(3 * N)]
    case = case_make(
        contact_email="sam@example.org",
        contact_name="Sam",
        team=officers[0].case_teams.first(),
        status="in_progress",
    )
    _timeline(case, officers[:N], N)
    url = reverse("cases:track", kwargs={"token": case.tracking_token})
    _flat(
        client, url, TRACK_CEILING, lambda: _timeline(case, officers[N:], 2 * N), shows=f"Reply {2 * N - 1}"
    )


# --- Staff ----------------------------------------------------------------------------------------

QUEUE = "/admin/cases/"
# Measured when written, the same at N and 3N on SQLite and PostgreSQL: the queue 17 for a
# manager or an officer (14 with the "due" or "support" filter), a case 19 for a manager and
# 20 for an officer of its team, the contact centre record 29, the delivery log 15 for an
# Integration manager and 12 for a superuser. Ceilings leave two or three spare.
QUEUE_CEILING = 19
STAFF_CASE_CEILING = 22
RECORD_CEILING = 32
DELIVERY_LOG_CEILING = 17

QUEUE_FILTERS = [
    {},
    {"status": "all", "sort": "-due"},
    {"status": "in_progress", "sort": "newest"},
    {"due": "soon"},
    {"service": "524", "sort": "oldest"},
    {"q": "example.org"},
    {"support": "yes"},
]


class Queue:
    """Open cases in several teams, each assigned to a different officer, for different residents."""

    def __init__(self) -> None:
        self.pairs: list[tuple] = []

    def grow(self, count: int) -> None:
        pairs = _teams_with_officers(count, start=len(self.pairs))
        self.pairs += pairs
        for team, officer in pairs:
            for status in ("submitted", "in_progress", "awaiting_resident"):
                resident = UserFactory()
                case = case_make(resident=resident, team=team, status=status)
                case_assign(case=case, actor=officer, assignee=officer)
            # The last of them is due today, and its resident needs extra support: rows for
            # the "due soon" and "extra support" filters.
            Case.objects.filter(pk=case.pk).update(due_on=timezone.localdate())
            support_needs_update(user=resident, needs=["large_print"])
            # A case of the first team's, assigned across: the first officer sees it too.
            crossed = case_make(resident=UserFactory(), team=team, status="in_progress")
            case_assign(case=crossed, actor=officer, assignee=self.pairs[0][1])


@pytest.mark.parametrize("filters", QUEUE_FILTERS, ids=lambda f: "&".join(f) or "default")
@pytest.mark.parametrize("who", ["manager", "officer"])
def test_the_case_queue_with_filters(client, who, filters):
    queue = Queue()
    queue.grow(N)
    staff = staff_in("Service managers") if who == "manager" else queue.pairs[0][1]
    client.force_login(staff)
    _flat(client, QUEUE, QUEUE_CEILING, lambda: queue.grow(2 * N), filters)


@pytest.mark.parametrize("who", ["manager", "officer"])
def test_the_staff_case_view_with_many_events_and_files(client, who):
    pairs = _teams_with_officers(3 * N)
    officers = [officer for _, officer in pairs]
    resident = UserFactory()
    case = case_make(resident=resident, team=pairs[0][0], status="in_progress")
    _timeline(case, officers[:N], N, resident=resident)
    viewer = staff_in("Service managers") if who == "manager" else officers[0]
    client.force_login(viewer)
    url = reverse("cases_admin:case", args=[case.pk])
    grow = lambda: _timeline(case, officers[N:], 2 * N, resident=resident)  # noqa: E731
    _flat(client, url, STAFF_CASE_CEILING, grow, shows=f"Note {2 * N - 1}")


def test_the_contact_centre_record_of_the_caller(client):
    """The record an agent sees once the caller is identified: their cases, forms, payments."""
    resident = Resident()
    resident.grow(N)
    client.force_login(staff_in("Contact centre"))
    start = client.post(reverse("contact_centre:call_start"), {"channel": Channel.PHONE})
    assert start.status_code == 302, start.content.decode()[:500]
    identify = reverse("contact_centre:call_identify", kwargs={"resident_id": resident.user.pk})
    assert client.post(identify, {"action": "choose"}).status_code == 302
    confirm = client.post(identify, {"action": "confirm", "method": IdentityCheck.REFERENCE_AND_POSTCODE})
    assert confirm.status_code == 302 and confirm["Location"] == reverse("contact_centre:record")
    _flat(
        client,
        reverse("contact_centre:record"),
        RECORD_CEILING,
        lambda: resident.grow(2 * N),
        shows=lambda: f"Apply for thing {resident.last}",
    )


class DeliveryLog:
    """Deliveries of different forms' submissions, to different destinations, for cases in
    different teams, each with a couple of attempts."""

    def __init__(self) -> None:
        self.size = 0

    def grow(self, count: int) -> None:
        for team, _ in _teams_with_officers(count, start=self.size):
            n = team.pk
            form = form_build(
                slug=f"report-{n}",
                title=f"Report thing {n}",
                team=team,
                steps=[step("Where", question("text", "where", "Where is it?"))],
            )
            for kind in (DestinationKind.EMAIL, DestinationKind.WEBHOOK):
                destination = destination_create(form, kind, name=f"{kind} {n}")
                delivery = delivery_bare(
                    destination,
                    case=case_make(team=team),
                    status=DeliveryStatus.RETRYING,
                    attempts=2,
                    last_error="Connection refused",
                )
                for _ in range(2):
                    DeliveryAttempt.objects.create(
                        delivery=delivery, outcome=AttemptOutcome.TEMPORARY, detail="Connection refused"
                    )
        self.size += count


def _log_reader(who: str):
    if who == "superuser":
        return StaffFactory(is_superuser=True)
    staff = staff_in("Integration managers")
    if who == "integration manager and case officer":
        # Sees the log and some of its cases: each row's case link is checked for them.
        staff.groups.add(Group.objects.get(name="Case officers"))
        team_make("Team 0", "team0@council.example").members.add(staff)
    return staff


@pytest.mark.parametrize(
    "who",
    [
        "integration manager",
        "superuser",
        "integration manager and case officer",  # the case links are checked once per page
    ],
)
@pytest.mark.parametrize("filters", [{}, {"status": "retrying"}], ids=["all", "retrying"])
def test_the_integrations_delivery_log(client, who, filters):
    log = DeliveryLog()
    log.grow(N)
    client.force_login(_log_reader(who))
    url = reverse("integrations_admin:deliveries")
    _flat(client, url, DELIVERY_LOG_CEILING, lambda: log.grow(2 * N), filters)
