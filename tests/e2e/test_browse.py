"""A resident finds a service from the home page, by category and by the A to Z, and reads a guide."""

import re
from io import StringIO

import pytest

from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_resident_finds_a_service_by_category_and_a_to_z(journey):
    call_command("load_demo", stdout=StringIO())
    page = journey.page

    journey.goto("/")
    assert page.get_by_text("Bin collections delayed by snow").is_visible()  # the active alert
    journey.click_and_check(page.get_by_role("link", name="Bins and recycling"))
    assert page.get_by_role("heading", level=1).inner_text() == "Bins and recycling"
    journey.click_and_check(page.get_by_role("link", name="Book a bulky waste collection"))
    assert page.get_by_role("heading", name="Before you start").is_visible()
    start = page.get_by_role("button", name="Start now")
    assert start.get_attribute("href") == "/forms/book-a-bulky-waste-collection/?from=service"
    assert page.get_by_role("complementary").get_by_role("link", name="Report a missed bin").is_visible()

    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    journey.click_and_check(breadcrumbs.get_by_role("link", name="Home"))
    journey.click_and_check(page.get_by_role("link", name="A to Z of all services"))
    # The service under R, and its synonyms ("… — see Report a pothole") lead to it too.
    assert page.get_by_role("listitem").filter(has_text="— see Report a pothole").first.is_visible()
    journey.click_and_check(page.get_by_role("link", name="Report a pothole").first)
    assert journey.path() == "/roads-and-pavements/report-a-pothole/"

    journey.goto("/moving-home-guide/")
    journey.click_and_check(page.get_by_role("link", name=re.compile("Next")))
    assert journey.path() == "/moving-home-guide/council-tax/"
    assert page.get_by_role("heading", level=2, name="Council tax").is_visible()

    journey.goto("/contact-us/")
    assert page.get_by_role("heading", name="The quickest way is online").is_visible()
