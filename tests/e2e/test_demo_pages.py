"""The demo's pages a council judges it by: paying a bill, collection days, the report forms, news.

Every page visited is checked with axe (``journey``).
"""

from io import StringIO

import pytest

from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_resident_pays_a_bill_and_finds_the_pages_the_demo_promises(journey):
    call_command("load_demo", stdout=StringIO())
    page = journey.page

    journey.goto("/")
    journey.click_and_check(page.get_by_role("link", name="Pay a bill or fine"))
    assert journey.path() == "/bills-and-fines/pay-a-bill-or-fine/"
    journey.click_and_check(page.get_by_role("button", name="Start now"))
    assert journey.path() == "/pay/"

    journey.goto("/")
    journey.click_and_check(page.get_by_role("link", name="Pay a parking fine"))
    journey.click_and_check(page.get_by_role("button", name="Pay a parking fine"))
    assert journey.path() == "/pay/"

    journey.goto("/bins-and-recycling/")
    journey.click_and_check(page.get_by_role("link", name="Bin collection days"))
    assert page.get_by_role("table", name="Collection days by postcode").is_visible()

    for path, form in (
        ("/roads-and-pavements/report-fly-tipping/", "/forms/report-fly-tipping/"),
        ("/roads-and-pavements/street-light-fault/", "/forms/report-a-street-light-fault/"),
    ):
        journey.goto(path)
        journey.click_and_check(page.get_by_role("button", name="Start now"))
        assert journey.path().startswith(form)

    journey.goto("/news/winter-gritting-begins/")
    assert page.get_by_text("Our gritters are out on priority routes from tonight.").count() == 1
