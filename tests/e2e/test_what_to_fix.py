"""An editor opens Reports > What to fix: the top failed searches in order; every page passes axe-core."""

from datetime import UTC, datetime

import pytest

from django.contrib.auth.models import Group

from cms.models import ServicePage
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.accounts.factories import StaffFactory
from tests.cms.factories import CouncilSite
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _no_results(query: str, times: int, day: int) -> None:
    for n in range(times):
        Interaction.objects.create(
            type=InteractionType.SEARCH,
            occurred_at=datetime(2026, 3, day, 9, n, tzinfo=UTC),
            path="/search/",
            visitor_key=f"{query}-{n}",
            outcome=Outcome.NO_RESULTS,
            extras={"query": query, "count": 0},
        )


def test_an_editor_reads_what_to_fix_and_adds_a_search_term(journey):
    site = CouncilSite()
    _no_results("skip hire", 3, 10)
    _no_results("garden waste", 2, 11)
    _no_results("Blue badge", 1, 12)
    Interaction.objects.create(
        type=InteractionType.PAGE_FEEDBACK,
        occurred_at=datetime(2026, 3, 12, 10, tzinfo=UTC),
        path="/bins/missed-bin/",
        outcome=Outcome.NOT_USEFUL,
        reason_code="out_of_date",
        extras={"page_id": site.missed_bin.pk, "comment": "The collection day is wrong"},
    )
    moderator = StaffFactory(full_name="Mo Moderator")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    page = journey.page
    page.goto(journey.base_url + "/accounts/login/?next=/admin/reports/what-to-fix/")
    sign_in(journey, moderator, check=False)

    journey.goto("/admin/reports/what-to-fix/?start=2026-03-01&end=2026-03-31")
    assert page.get_by_role("heading", level=1, name="What to fix").is_visible()
    table = page.get_by_role("table", name="Searches with no results, most frequent first")
    terms = table.locator("tbody th").all_inner_texts()
    counts = table.locator("tbody td:nth-child(2)").all_inner_texts()
    assert list(zip(terms, counts, strict=True)) == [
        ("skip hire", "3"),
        ("garden waste", "2"),
        ("blue badge", "1"),
    ]
    assert page.get_by_text("The collection day is wrong").is_visible()

    journey.click_and_check(table.get_by_role("link", name="Add as a search term to a page: skip hire"))
    assert page.get_by_label("Search term").input_value() == "skip hire"
    page.get_by_label("Service page it should find").select_option(
        label="Book a bulky waste collection (/bins/bulky-waste)"
    )
    journey.click_and_check(page.get_by_role("button", name="Add search term"))
    assert journey.path() == "/admin/reports/what-to-fix/?start=2026-03-01&end=2026-03-31"
    assert page.get_by_text(
        "'skip hire' is now a search term of 'Book a bulky waste collection'"
    ).is_visible()
    assert "skip hire" in ServicePage.objects.get(pk=site.bulky.pk).keywords

    journey.click_and_check(page.get_by_role("button", name="Mark as handled: Report a missed bin"))
    assert page.get_by_text("The collection day is wrong").count() == 0

    page.goto(journey.base_url + "/search/?q=skip+hire")
    assert page.get_by_role("link", name="Book a bulky waste collection").first.is_visible()
