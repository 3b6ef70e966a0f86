"""An editor signs in through the portal's sign-in page and edits the home page in Wagtail."""

import re

import pytest

from django.contrib.auth.models import Group

from tests.accounts.factories import StaffFactory
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_editor_signs_in_and_publishes_a_home_page_change(journey):
    editor = StaffFactory(full_name="Eddie Editor")
    editor.groups.add(Group.objects.get(name="Moderators"))
    page = journey.page

    # The admin sends staff to the portal's own sign-in page (rate limits, MFA): the
    # password, then the code from their authenticator app.
    page.goto(journey.base_url + "/admin/")
    assert journey.path().startswith("/accounts/login/")
    journey.check()
    sign_in(journey, editor)
    assert journey.path() == "/admin/"
    journey.check()  # the staff pages are axe-checked too (tests/e2e/axe_staff_exceptions.py)

    journey.goto("/admin/pages/")
    page.get_by_role("link", name=re.compile("Welcome to your council online")).first.click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/(edit/)?$"))
    if not page.url.endswith("/edit/"):
        page.goto(page.url.rstrip("/") + "/edit/")
    journey.check()  # the editor: rich text, the minimap
    page.locator("#id_title").fill("Welcome to Anytown online")
    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()

    journey.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome to Anytown online"

    # Settings → Search synonyms: an error is shown with its field, then the group is saved.
    journey.goto("/admin/search-synonyms/add/")
    page.locator("#id_words").fill("bin")
    journey.click_and_check(page.locator("button[type='submit']").last)
    assert "Enter at least 2 words or phrases" in page.content()
    page.locator("#id_words").fill("bin, bins, rubbish, refuse")
    journey.click_and_check(page.locator("button[type='submit']").last)
    assert journey.path() == "/admin/search-synonyms/"
    assert "bin, bins, rubbish, refuse" in page.content()
