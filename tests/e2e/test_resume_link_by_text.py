"""An anonymous resident saves a form and asks for the link by text, with axe on every page:
a landline refused with its error (what was typed kept), and the text sent through the fake
GOV.UK Notify."""

import pytest

from forms_engine.models import Draft
from tests.forms_engine.factories import missed_bin_form

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_anonymous_resident_gets_the_link_to_their_answers_by_text(journey, fake_notify):
    missed_bin_form()
    page = journey.page
    journey.goto("/forms/missed-bin/")
    journey.click_and_check(page.get_by_role("button", name="Start now"))
    page.get_by_label("General waste").check()
    journey.click_and_check(page.get_by_role("button", name="Continue"))
    journey.click_and_check(page.get_by_role("button", name="Save and come back later"))
    assert page.get_by_role("heading", level=1).inner_text() == "Get a link to come back to your answers"

    page.get_by_label("Mobile phone number").fill("01632 960 123")
    journey.click_and_check(page.get_by_role("button", name="Text me the link"))
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter a UK mobile number, like 07700 900 982, or choose email" in summary
    assert page.get_by_label("Mobile phone number").input_value() == "01632 960 123"
    assert page.title().startswith("Error:")

    page.get_by_label("Mobile phone number").fill("07700 900123")
    journey.click_and_check(page.get_by_role("button", name="Text me the link"))
    assert page.get_by_role("heading", level=1).inner_text() == "Check your text messages"
    (text,) = fake_notify.sent
    assert text.json["phone_number"] == "07700900123"
    assert "/forms/resume/" in text.json["personalisation"]["body"]
    assert Draft.objects.get().resume_token_hash
