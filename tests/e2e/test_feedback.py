"""'Was this page useful?' in a browser: htmx swaps the answer in place (axe-checked each step)."""

import re

import pytest
from playwright.sync_api import expect

from cms.models import HomePage, ServiceIndexPage, ServicePage
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def service_page():
    home = HomePage.objects.get()
    bins = _publish(home, ServiceIndexPage(title="Bins and recycling", slug="bins"))
    return _publish(
        bins,
        ServicePage(
            title="Report a missed bin",
            slug="missed-bin",
            summary="Tell us if your bin was not emptied.",
            service_id=524,
            start_url="https://services.council.example/missed-bin",
        ),
    )


def _feedback():
    return list(Interaction.objects.filter(type=InteractionType.PAGE_FEEDBACK))


def test_no_opens_the_form_in_place_and_thanks_without_leaving_the_page(journey, service_page):
    page = journey.page
    journey.goto("/bins/missed-bin/")
    assert page.get_by_role("heading", name="Was this page useful?").is_visible()

    page.get_by_role("button", name="No this page was not useful").click()
    heading = page.get_by_role("heading", name="Help us improve this page")
    heading.wait_for()
    assert journey.path() == "/bins/missed-bin/"  # swapped in place, no navigation
    # htmx moves focus to the new heading (its autofocus) when the swap settles, a moment
    # after the heading appears: wait for it rather than reading document.activeElement now.
    expect(heading).to_be_focused()
    assert heading.get_attribute("id") == "page-feedback-heading"
    journey.check()
    (answer,) = _feedback()
    assert answer.outcome == Outcome.NOT_USEFUL and answer.service_code == 524

    page.get_by_label("The online service did not work").check()
    page.get_by_label("Tell us more (optional)").fill("The map did not load.")
    page.get_by_role("button", name="Send feedback").click()
    thanks = page.get_by_role("heading", name="Thank you for your feedback")
    thanks.wait_for()
    expect(thanks).to_be_focused()
    assert journey.path() == "/bins/missed-bin/"
    journey.check()

    (answer,) = _feedback()
    assert answer.reason_code == "service_failed"
    assert answer.extras["comment"] == "The map did not load."

    # The answer is remembered for this visit: the page now just says thank you.
    journey.goto("/bins/missed-bin/")
    assert page.get_by_role("heading", name="Thank you for your feedback").is_visible()
    assert page.get_by_role("button", name=re.compile("^No")).count() == 0


def test_yes_says_thank_you_in_place(journey, service_page):
    page = journey.page
    journey.goto("/bins/missed-bin/")
    page.get_by_role("button", name="Yes this page was useful").click()
    page.get_by_role("heading", name="Thank you for your feedback").wait_for()
    journey.check()
    (answer,) = _feedback()
    assert answer.outcome == Outcome.USEFUL


def test_search_from_the_header(journey, service_page):
    page = journey.page
    journey.goto("/")
    page.get_by_role("searchbox", name="Search this website").first.fill("missed bin")
    journey.click_and_check(page.get_by_role("button", name="Search").first)
    assert journey.path().startswith("/search/?q=missed+bin")
    assert page.get_by_role("link", name=re.compile("Report a missed bin")).is_visible()

    # With htmx, a new search updates the results in place and the address bar.
    box = page.get_by_role("searchbox", name="Search this website").last
    box.fill("zzyzx")
    page.locator("main").get_by_role("button", name="Search").click()
    page.get_by_role("heading", name="No pages matched your search").wait_for()
    assert "q=zzyzx" in page.url
    journey.check()
    # (Headless Chromium counts as a bot, so these searches are not logged; the client
    # tests in tests/cms/test_search.py check what a person's search records.)
