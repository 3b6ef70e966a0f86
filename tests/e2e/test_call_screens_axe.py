"""The contact centre's call screens in a browser, without JavaScript help: every page, with
and without errors, passes axe-core."""

from urllib.parse import urlencode

import pytest

from django.test import Client

from accounts.services import support_needs_update
from portal.contact_centre.models import Call
from tests.accounts.factories import UserFactory, staff_in
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import form_start, step_url
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_every_call_screen_is_accessible(journey):
    agent = staff_in("Contact centre", full_name="Alex Agent")
    resident = UserFactory(
        email="pat.lee@example.org",
        full_name="Pat Lee",
        phone="07700900982",
        address_line_1="12 Acacia Avenue",
        town="Anytown",
        postcode="AB1 2DE",
    )
    support_needs_update(user=resident, needs=["bsl"], details="Prefers video relay")
    case_make(resident=resident)
    fee_case(resident=resident, amount_pence=3500)
    missed_bin_form(sign_in="optional", service_id=524)
    online = Client()
    online.force_login(resident)
    draft = form_start(online, "missed-bin")
    online.post(step_url(draft, 1), {"bin_type": "General waste"})
    page = journey.page

    journey.goto(f"/accounts/login/?{urlencode({'next': '/admin/contact-centre/'})}")
    sign_in(journey, agent)
    assert journey.path() == "/admin/contact-centre/"
    journey.check()

    journey.click_and_check(page.get_by_role("button", name="Take the call"))  # nothing chosen
    assert page.get_by_text("Choose how the person is contacting the council").first.is_visible()
    page.get_by_label("Telephone").check()
    journey.click_and_check(page.get_by_role("button", name="Take the call"))
    assert journey.path() == "/admin/contact-centre/find/"

    page.get_by_label("Find the caller").fill("ab12de")
    journey.click_and_check(page.get_by_role("button", name="Search"))
    journey.click_and_check(page.get_by_role("button", name="This is the caller: Pat Lee, AB1 2DE"))
    journey.click_and_check(page.get_by_role("button", name="They are the resident: open the record"))
    assert page.get_by_text("Choose how you checked who the caller is").first.is_visible()
    page.get_by_label("Full address and the phone number or email we hold").check()
    journey.click_and_check(page.get_by_role("button", name="They are the resident: open the record"))
    assert journey.path() == "/admin/contact-centre/record/"
    assert page.get_by_text("British Sign Language").first.is_visible()

    journey.click_and_check(page.get_by_role("link", name="Carry on with the caller: Report a missed bin"))
    journey.click_and_check(page.get_by_role("button", name="Carry on with the form"))  # no consent
    assert page.get_by_text("Confirm the caller agrees").first.is_visible()
    journey.click_and_check(page.get_by_role("link", name="Cancel"))

    journey.click_and_check(page.get_by_role("link", name="Change contact details"))
    page.get_by_label("Postcode").fill("not a postcode")
    journey.click_and_check(page.get_by_role("button", name="Save details"))
    journey.click_and_check(page.get_by_role("link", name="Cancel"))

    journey.click_and_check(page.get_by_role("link", name="Fill in a form with them"))
    journey.goto("/admin/contact-centre/close/")
    page.locator("select[name=service_code]").select_option("524")
    journey.click_and_check(page.get_by_role("button", name="Record the contact and close the call"))
    assert page.get_by_text("Choose the reason for the contact").first.is_visible()
    page.locator("select[name=reason_code]").select_option(label="Checking status")
    page.locator("input[name=tried_online][value=no]").check()
    page.locator("input[name=avoidable][value=no]").check()
    page.locator("input[name=resolved_first_contact][value=yes]").check()
    journey.click_and_check(page.get_by_role("button", name="Record the contact and close the call"))
    assert journey.path() == "/admin/contact-centre/"
    assert Call.objects.get().contact_id is not None

    page.get_by_label("Face to face").check()
    journey.click_and_check(page.get_by_role("button", name="Take the call"))
    journey.click_and_check(page.get_by_role("link", name="Create a record for the caller"))
    journey.click_and_check(page.get_by_role("button", name="Create the record"))
    assert page.get_by_text("Enter the caller’s full name").first.is_visible()
