"""The statutory pages from the footer, and privacy information where people give their details."""

from io import StringIO

import pytest

from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_resident_reads_the_statutory_pages_and_sees_privacy_information(journey):
    call_command("load_demo", stdout=StringIO())
    page = journey.page
    footer = page.get_by_role("contentinfo")

    journey.goto("/")
    journey.click_and_check(footer.get_by_role("link", name="Accessibility statement"))
    assert journey.path() == "/accessibility/"
    assert page.get_by_role("heading", level=2, name="Enforcement procedure").is_visible()
    assert page.get_by_role("heading", level=3, name="Compliance status").is_visible()

    journey.click_and_check(footer.get_by_role("link", name="Privacy"))
    assert journey.path() == "/privacy/"
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy notice"

    journey.click_and_check(footer.get_by_role("link", name="Cookies"))
    assert journey.path() == "/cookies/"
    assert page.get_by_role("table").is_visible()

    journey.goto("/forms/report-a-missed-bin/")
    assert page.get_by_role("heading", name="How we use your information").is_visible()
    journey.click_and_check(page.get_by_role("main").get_by_role("link", name="privacy notice"))
    assert journey.path() == "/privacy/"

    journey.goto("/accounts/signup/")
    assert (
        page.get_by_role("main").get_by_role("link", name="privacy notice").get_attribute("href")
        == "/privacy/"
    )


def test_a_council_without_the_demo_has_them_to_complete(journey):
    """Made after migrate (``statutory_pages_ensure``): linked from the footer, and plain about
    what the council must still write."""
    page = journey.page
    footer = page.get_by_role("contentinfo")
    journey.goto("/")
    for name, path in (("Accessibility statement", "/accessibility/"), ("Privacy", "/privacy/")):
        journey.click_and_check(footer.get_by_role("link", name=name))
        assert journey.path() == path
        assert page.get_by_text("[to complete:").first.is_visible()
    journey.click_and_check(footer.get_by_role("link", name="Cookies"))
    assert journey.path() == "/cookies/"
    assert page.get_by_role("table").is_visible()
