"""The staff queue built to stay flat with a council's 100,000 cases.

The search is a UNION of indexed queries (each kind of field finds its cases, once each);
the queue counts no further than a cap ("More than 1,000 cases") and counts in full only for
the last page; the extra-support filter and an officer's own queue read through indexes; the
admin home's workload figures are three indexed counts. The plans themselves are checked by
bench/case_queue.py on PostgreSQL; these tests hold the behaviour on both databases.
"""

import uuid
from datetime import timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import SupportNeeds
from forms_engine.models import Submission
from forms_engine.services import form_version_current
from portal.cases import admin_views
from portal.cases.models import Case, CaseSupportNeeds
from portal.cases.selectors import (
    case_queue_search,
    case_queue_visible,
    case_workload_counts,
    cases_needing_support,
)
from portal.lib.pagination import CappedPaginator
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make

pytestmark = pytest.mark.django_db

QUEUE = "/admin/cases/"


@pytest.fixture
def people():
    """Cases found through each kind of field, and two that one search finds both ways."""
    team = team_make()
    priya = UserFactory(
        full_name="Priya Shah", email="priya.shah@example.org", phone="07700900982", postcode="SW1A 1AA"
    )
    joe = UserFactory(full_name="Joe Bloggs", email="joe@home.example", postcode="M1 1AE")
    cases = {
        "priya": case_make(team=team, resident=priya),
        "priya again": case_make(team=team, resident=priya, status="resolved"),
        # An anonymous request giving the same name as Joe's account: found by its own field.
        "anonymous bloggs": case_make(team=team, contact_email="jb@mail.example", contact_name="Jo Bloggs"),
        "joe": case_make(team=team, resident=joe),
        # Found by its contact email *and* by its resident's email: must come back once.
        "both ways": case_make(team=team, resident=UserFactory(email="twice@found.example")),
        "answers": case_make(team=team, contact_email="anon@mail.example", contact_name="Anon"),
        "elsewhere": case_make(
            team=team, resident=UserFactory(full_name="Sam Other", email="abusy@example.net")
        ),
    }
    Case.objects.filter(pk=cases["both ways"].pk).update(contact_email="twice@found.example")
    Submission.objects.create(
        version=form_version_current(form=missed_bin_form(team=team)),
        case=cases["answers"],
        contact_email="anon@mail.example",
        idempotency_key=uuid.uuid4(),
        answers={"address": {"line_1": "2 Low Road", "postcode": "LS1 4AP"}, "phone": "0113 496 0000"},
    )
    return cases


def found(query: str, queryset=None) -> list[str]:
    queryset = Case.objects.all() if queryset is None else queryset
    return [c.reference for c in case_queue_search(queryset, query)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Shah", {"priya", "priya again"}),  # the resident's name on their account
        ("Bloggs", {"anonymous bloggs", "joe"}),  # a case's contact name and an account's name
        ("jb@mail", {"anonymous bloggs"}),  # part of a case's contact email
        ("shah@example", {"priya", "priya again"}),  # part of an account's email
        ("PRIYA.SHAH@EXAMPLE.ORG", {"priya", "priya again"}),  # a whole email, any case
        ("twice@found.example", {"both ways"}),  # a whole email on the case and the account
        ("twice@FOUND.example", {"both ways"}),  # a whole email is that address, not part of another
        ("busy@example.net", {"elsewhere"}),  # no case has that address: matched anywhere
        ("j.smith@council.gov", set()),
        ("sw1a 1aa", {"priya", "priya again"}),  # a postcode on an account
        ("M1", {"joe"}),  # the first half of a postcode
        ("LS14AP", {"answers"}),  # a postcode in the answers, without its space
        ("+44 7700 900982", {"priya", "priya again"}),  # a phone on an account
        ("0113 496 0000", {"answers"}),  # a phone in the answers, as typed
        ("no such thing", set()),
    ],
)
def test_each_kind_of_field_finds_its_cases_once(people, query, expected):
    references = found(query)
    assert len(references) == len(set(references))  # no case twice
    assert set(references) == {people[name].reference for name in expected}


def test_a_reference_fragment_and_a_match_both_ways_come_back_once(people):
    reference = people["both ways"].reference
    assert found(reference[-6:]) == [reference]
    # "found" matches the case's contact email and its resident's email: one row.
    assert found("found.example") == [reference]


def test_the_search_narrows_what_it_is_given_and_keeps_its_order(people):
    open_only = Case.objects.filter(status="submitted").order_by("-pk")
    assert found("Shah", open_only) == [people["priya"].reference]
    both = Case.objects.order_by("-pk")
    assert found("Bloggs", both) == [people["joe"].reference, people["anonymous bloggs"].reference]


@pytest.mark.parametrize("query", ["Bloggs", "LS1 4AP", "0113 496 0000"])
def test_each_search_is_one_query(people, query):
    with CaptureQueriesContext(connection) as queries:
        list(case_queue_search(Case.objects.all(), query))
    assert len(queries) == 1
    assert " UNION " in queries[0]["sql"].upper()


def test_a_whole_email_is_one_lookup_then_the_search(people):
    with CaptureQueriesContext(connection) as queries:
        list(case_queue_search(Case.objects.all(), "priya.shah@example.org"))
    assert len(queries) == 2  # does any case have exactly that address; then its cases


def test_an_address_that_looks_whole_but_is_part_of_one_still_finds_it(people):
    case = case_make(
        team=people["priya"].team, contact_email="j.smith@council.gov.uk", contact_name="J Smith"
    )
    assert found("j.smith@council.gov") == [case.reference]
    assert found("J.Smith@Council.gov.uk") == [case.reference]


# The capped paginator, on cases as the queue gives them (ordered, with a tie-breaker).


def _cases(n: int) -> list[Case]:
    today = timezone.localdate()
    made = Case.objects.bulk_create(
        Case(reference=f"CAP-{k:04d}", title="A request", due_on=today + timedelta(days=k % 3))
        for k in range(n)
    )
    return made


def _ordered():
    return Case.objects.order_by("due_on", "pk")


def _counts(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_under_the_cap_the_count_is_exact_and_costs_one_query():
    _cases(7)
    paginator = CappedPaginator(_ordered(), 2, cap=10)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(1)
        assert (paginator.count, paginator.counted, paginator.num_pages) == (7, True, 4)
        last = paginator.last_page()
    assert len(_counts(queries)) == 1
    everything = list(_ordered())
    assert list(page.object_list) == everything[:2]
    assert last.number == 4 and list(last.object_list) == everything[6:]
    assert last.has_previous() and not last.has_next()


def test_exactly_at_the_cap_is_counted():
    _cases(10)
    paginator = CappedPaginator(_ordered(), 4, cap=10)
    page = paginator.get_page(1)
    assert paginator.counted and paginator.count == 10 and not paginator.over_cap
    assert page.has_next() and paginator.num_pages == 3


def test_over_the_cap_pages_within_it_are_served_without_a_full_count():
    _cases(13)
    everything = list(_ordered())
    paginator = CappedPaginator(_ordered(), 2, cap=5)
    with CaptureQueriesContext(connection) as queries:
        first = paginator.get_page(1)
        second = paginator.get_page("2")
        rows = [list(first.object_list), list(second.object_list)]
    (count,) = _counts(queries)
    assert "LIMIT 6" in count.upper()  # cap + 1 rows at most
    assert paginator.over_cap and not paginator.counted
    assert rows == [everything[:2], everything[2:4]]
    assert first.has_next() and second.has_next() and second.has_previous()
    assert second.end_index() == 4


def test_over_the_cap_the_last_page_counts_everything_and_reads_from_the_end():
    _cases(13)
    everything = list(_ordered())
    paginator = CappedPaginator(_ordered(), 2, cap=5)
    with CaptureQueriesContext(connection) as queries:
        last = paginator.last_page()
        rows = list(last.object_list)
    assert len(_counts(queries)) == 2  # the capped count, then the full one
    assert paginator.counted and paginator.count == 13 and paginator.num_pages == 7
    assert last.number == 7 and rows == everything[12:]
    assert last.has_previous() and not last.has_next() and last.previous_page_number() == 6
    # A page past the cap (reached back from the last page) is counted and served in order.
    deep = CappedPaginator(_ordered(), 2, cap=5).get_page(6)
    assert list(deep.object_list) == everything[10:12] and deep.has_next()


def test_a_page_past_the_end_is_the_last_page_and_a_word_is_the_first():
    _cases(13)
    everything = list(_ordered())
    paginator = CappedPaginator(_ordered(), 2, cap=5)
    assert list(paginator.get_page(99).object_list) == everything[12:]
    assert list(CappedPaginator(_ordered(), 2, cap=5).get_page("x").object_list) == everything[:2]


def test_the_capped_paginator_takes_a_list_too():
    paginator = CappedPaginator(list(range(13)), 2, cap=5)
    assert list(paginator.get_page(1).object_list) == [0, 1] and not paginator.counted
    assert list(paginator.last_page().object_list) == [12] and paginator.num_pages == 7


def test_an_empty_list_has_one_empty_page():
    paginator = CappedPaginator(_ordered(), 2, cap=5)
    assert paginator.count == 0 and list(paginator.last_page().object_list) == []


# The queue page.


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(admin_views, "COUNT_CAP", 5)
    monkeypatch.setattr(admin_views, "PER_PAGE", 2)


def _text(response) -> str:
    return " ".join(response.text.split())


def test_the_queue_says_more_than_the_cap_and_its_last_page_is_exact(client, small_cap):
    team = team_make()
    made = [case_make(team=team) for _ in range(7)]
    Case.objects.filter(pk__in=[c.pk for c in made]).update(due_on=timezone.localdate())
    client.force_login(staff_in("Service managers"))

    first = _text(client.get(QUEUE))
    assert "More than 5 cases, page 1." in first
    assert "?p=2" in first and 'href="?p=last"' in first
    assert "?p=1" not in first  # no first-page link on the first page

    last = _text(client.get(QUEUE, {"p": "last"}))
    assert "7 cases, page 4 of 4." in last
    assert made[-1].reference in last and made[0].reference not in last
    assert "?p=1" in last and "?p=3" in last and 'href="?p=last"' not in last

    # A filter keeps its place in the page links.
    filtered = _text(client.get(QUEUE, {"status": "submitted", "p": "2"}))
    assert "status=submitted&amp;p=3" in filtered and "status=submitted&amp;p=1" in filtered


def test_under_the_cap_the_queue_counts_exactly(client, small_cap):
    team = team_make()
    case_make(team=team)
    case_make(team=team)
    case_make(team=team, status="resolved")
    client.force_login(staff_in("Service managers"))
    page = _text(client.get(QUEUE))
    assert "2 cases." in page and "Pages of cases" not in page
    assert "3 cases, page 1 of 2." in _text(client.get(QUEUE, {"status": "all"}))


def _own(sql: str) -> bool:
    """The page's own queries: without Redis the cache lives in the database too."""
    return "portal_cache" not in sql and not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))


def _queries(client, url) -> tuple[int, list[str]]:
    client.get(url)  # warm the per-process caches (site settings, menus, the service list)
    counts = []
    for _ in range(2):  # the least of two: a cache emptied by something else in between
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append([q["sql"] for q in captured.captured_queries if _own(q["sql"])])
    sql = min(counts, key=len)
    return len(sql), sql


def test_the_queue_costs_the_same_over_the_cap_and_one_count_more_for_its_last_page(client, small_cap):
    team = team_make()
    client.force_login(staff_in("Service managers"))
    case_make(team=team)
    under, _ = _queries(client, QUEUE)
    for _ in range(8):
        case_make(team=team)
    over, sql = _queries(client, QUEUE)
    assert over == under
    counts = [q.upper() for q in sql if "COUNT(" in q.upper() and '"CASES_CASE"' in q.upper()]
    assert len(counts) == 1 and "LIMIT 6" in counts[0]  # the cap + 1, never a full count
    last, _ = _queries(client, QUEUE + "?p=last")
    assert last == under + 1  # the full count, for the last page only


# The extra-support filter, an officer's queue and the workload figures.


def test_the_support_filter_finds_needs_on_the_account_or_the_case_once_each(client):
    team = team_make()
    on_account = case_make(team=team)
    SupportNeeds.objects.create(user=on_account.resident, needs=["large_print"])
    on_case = case_make(team=team, contact_email="anon@mail.example")
    CaseSupportNeeds.objects.create(case=on_case, needs=["interpreter"])
    on_both = case_make(team=team)
    SupportNeeds.objects.create(user=on_both.resident, needs=["large_print"])
    CaseSupportNeeds.objects.create(case=on_both, needs=["interpreter"])
    case_make(team=team)  # none

    references = list(cases_needing_support(Case.objects.order_by("pk")).values_list("reference", flat=True))
    assert references == [on_account.reference, on_case.reference, on_both.reference]
    client.force_login(staff_in("Service managers"))
    page = client.get(QUEUE, {"support": "yes"}).text
    assert "3 cases." in page


def test_an_officer_sees_their_teams_and_their_own_cases_only():
    waste, roads = team_make(), team_make("Roads", "roads@council.example")
    officer = officer_in(waste)
    ours = case_make(team=waste)
    assigned = case_make(team=roads)
    Case.objects.filter(pk=assigned.pk).update(assignee=officer)
    theirs = case_make(team=roads)
    case_make(team=None)

    visible = set(case_queue_visible(officer).values_list("pk", flat=True))
    assert visible == {ours.pk, assigned.pk}
    assert theirs.pk not in visible
    assert case_queue_visible(staff_in("Service managers")).count() == 4
    assert case_queue_visible(staff_in("Editors")).count() == 0
    # An officer in no team still sees what is assigned to them.
    loner = staff_in("Case officers")
    Case.objects.filter(pk=theirs.pk).update(assignee=loner)
    assert list(case_queue_visible(loner).values_list("pk", flat=True)) == [theirs.pk]


def test_the_workload_figures_count_what_the_queue_filters_show():
    waste, roads = team_make(), team_make("Roads", "roads@council.example")
    officer = officer_in(waste)
    today = timezone.localdate()
    mine = case_make(team=waste)
    overdue = case_make(team=waste, status="in_progress")
    paused = case_make(team=waste, status="awaiting_resident")  # the clock is stopped
    soon = case_make(team=waste)
    closed = case_make(team=waste, status="resolved")
    elsewhere = case_make(team=roads)
    Case.objects.filter(pk=mine.pk).update(assignee=officer, due_on=today + timedelta(days=30))
    Case.objects.filter(pk__in=[overdue.pk, paused.pk, closed.pk, elsewhere.pk]).update(
        due_on=today - timedelta(days=3)
    )
    Case.objects.filter(pk=closed.pk).update(assignee=officer)
    Case.objects.filter(pk=soon.pk).update(due_on=today)

    assert case_workload_counts(officer, today) == {"mine": 1, "overdue": 1, "due_soon": 1}
    manager = staff_in("Service managers")
    assert case_workload_counts(manager, today) == {"mine": 0, "overdue": 2, "due_soon": 1}
    with CaptureQueriesContext(connection) as queries:
        case_workload_counts(manager, today)
    assert len(queries) == 3 and not any("COUNT(*)" not in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
@pytest.mark.parametrize(
    "query, tables",
    [
        ("Bloggs", ["cases_case", "accounts_user"]),
        ("priya.shah@example.org", ["cases_case", "accounts_user"]),
        ("LS1 4AP", ["cases_case", "accounts_user", "forms_engine_submission"]),
        ("0113 496 0000", ["cases_case", "accounts_user", "forms_engine_submission"]),
    ],
)
def test_on_postgresql_every_branch_of_the_search_can_use_an_index(people, query, tables):
    """With sequential scans priced out, the plan reads each table through an index: each
    index is on the expression the lookup writes (``UPPER(col::text)``)."""
    search = case_queue_search(Case.objects.filter(status="submitted").order_by("due_on", "pk"), query)
    sql, params = search.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for table in tables:
        assert f"Seq Scan on {table} " not in plan + " ", plan
        assert f"on {table}" in plan, plan
    assert "trgm" in plan or "_upper" in plan, plan
