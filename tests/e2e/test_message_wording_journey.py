"""An editor changes the wording of a text message in Wagtail (Messages), previews it and sees
its length in fragments change, then publishes it: the next text uses the new wording."""

import re

import pytest

from portal.notifications.models import MessageTemplate
from portal.notifications.services import message_send
from tests.accounts.factories import UserFactory, staff_in
from tests.e2e.conftest import Journey
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

KEY = "cases/status_change"
LONG = (
    "((council_name)): your request ((reference)) is now ((status)). ((message)) ((reply_by_text)) "
    "See the details, and everything we have done so far, in your account: ((link))"
)

SHORT = "((council_name)): your request ((reference)) is now ((status)). Details: ((link))"


def _wait_for_count(page, text: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('sms-body-count').textContent.includes(text)", arg=text
    )


def test_an_editor_changes_a_text_message_and_previews_its_fragments(journey):
    editor = staff_in("Editors", full_name="Eddie Editor")
    template = MessageTemplate.objects.get(key=KEY)
    page = journey.page

    journey.goto("/admin/")
    sign_in(journey, editor)
    assert journey.path() == "/admin/"
    journey.check()

    # Messages, in the admin menu: every message the portal sends.
    journey.goto("/admin/messages/")
    assert page.get_by_role("link", name="Request status changed").is_visible()
    journey.click_and_check(page.get_by_role("link", name="Request status changed"))
    assert re.search(rf"/admin/messages/edit/{template.pk}/$", journey.path())
    assert page.get_by_text("((reference))").first.is_visible()

    # The default wording is two fragments long with the example details.
    assert "2 text message fragments" in page.locator("#sms-body-count").inner_text()

    # A placeholder the message does not have is refused, saying which it has.
    page.locator("textarea[name='sms_body']").fill("Your request ((reference)) is ((colour))")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    journey.check()
    assert page.get_by_text("uses ((colour)), which this message does not have").is_visible()
    template.refresh_from_db()
    assert not template.has_unpublished_changes

    # The count under the field, as the editor types (the Preview says the same without JavaScript).
    field = page.locator("textarea[name='sms_body']")
    field.fill(SHORT)
    _wait_for_count(page, "123 characters, 1 text message fragment.")
    journey.check()

    # The preview with the example details: the email, the text and its count, the letter.
    page.get_by_role("button", name=re.compile("Toggle preview|Preview")).first.click()
    preview = page.frame_locator("#w-preview-iframe")
    counted = preview.get_by_test_id("sms-count")
    counted.wait_for()
    assert counted.inner_text().startswith("123 characters: 1 text message fragment")
    assert "RQ-4F7K2M" in preview.get_by_test_id("sms-preview").inner_text()
    journey.check()

    # Longer: two fragments under the field. Saved as a draft (nothing sent changes), the
    # preview of the draft says two fragments too.
    field.fill(LONG)
    _wait_for_count(page, "252 characters, 2 text message fragments.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    journey.check()
    template.refresh_from_db()
    assert template.has_unpublished_changes and "everything we have done" not in template.sms_body
    if not page.locator("#w-preview-iframe").is_visible():
        page.get_by_role("button", name=re.compile("Toggle preview|Preview")).first.click()
    preview.get_by_text("252 characters: 2 text message fragments").wait_for()
    journey.check()

    # The preview in a tab of its own (Wagtail's "Preview in new tab") is a page too: axe-checked.
    tab = Journey(page.context.new_page(), journey.base_url)
    tab.goto(f"/admin/messages/preview/{template.pk}/")
    assert "2 text message fragments" in tab.page.get_by_test_id("sms-count").inner_text()
    assert tab.page.get_by_role("heading", level=1).inner_text() == "Preview: Request status changed"
    tab.page.close()

    # Publish: only published wording is sent.
    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()
    journey.check()
    template.refresh_from_db()
    assert "everything we have done so far" in template.sms_body
    assert not template.has_unpublished_changes

    # The history lists the versions.
    journey.goto(f"/admin/messages/history/{template.pk}/")
    assert page.get_by_text("Published").first.is_visible()

    resident = UserFactory(contact_preference="sms", phone="07700900123")
    sent = message_send(
        key=KEY, context={"reference": "RQ-9", "status": "in progress", "link": "L"}, user=resident
    )
    assert "everything we have done so far" in sent.body_text
    assert sent.template_revision_id == template.live_revision_id
