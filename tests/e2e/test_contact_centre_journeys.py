"""The contact centre in the browser, end to end, with axe-core on every page visited.

1. A resident leaves the missed-bin form at the address step. An agent takes their call,
   finds them by postcode, checks who they are, sees where they stopped, carries on with the
   same draft, sends it by phone, books a bulky waste collection for them and sends a link
   to pay its fee, and records the call as avoidable ("tried online and failed"), prefilled.
   The resident then sees the case in My account, "submitted for you by phone".
2. A caller with no email: the agent makes a record (name, phone, address), sends a request
   for them; the officer follows the case up; later the person makes an account, and at
   their next call the agent offers them the record, which they add to their account.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress

from accounts.constants import StaffAccessAction
from accounts.models import StaffAccess, User
from forms_engine.models import Submission
from payments.models import PaymentLink
from portal.cases.models import Case
from portal.contact_centre.models import Call
from portal.interactions.constants import AvoidableCategory, Channel
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory, staff_in
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import bulky_waste_form, missed_bin_form
from tests.portal.cases.factories import team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


BY_ADDRESS = "Full address and the phone number or email we hold"


def _continue(journey):
    journey.click_and_check(journey.page.get_by_role("button", name="Continue", exact=True))


def _fill_date(page, group: str, day: date):
    fieldset = page.get_by_role("group", name=group)
    fieldset.get_by_label("Day").fill(str(day.day))
    fieldset.get_by_label("Month").fill(str(day.month))
    fieldset.get_by_label("Year").fill(str(day.year))


def _sign_out(journey):
    page = journey.page
    if journey.path().startswith("/admin/"):
        journey.page.context.clear_cookies()
        return
    journey.click_and_check(page.get_by_role("link", name="Sign out").first)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign out"))


def _sign_in_at(journey, user, next_url: str):
    journey.goto(f"/accounts/login/?{urlencode({'next': next_url})}")
    sign_in(journey, user)


def _take_call(journey, channel_label: str = "Telephone"):
    page = journey.page
    page.get_by_label(channel_label).check()
    journey.click_and_check(page.get_by_role("button", name="Take the call"))
    assert journey.path() == "/admin/contact-centre/find/"


def _find_and_identify(journey, search: str, result: str, method: str):
    page = journey.page
    page.get_by_label("Find the caller").fill(search)
    journey.click_and_check(page.get_by_role("button", name="Search"))
    journey.click_and_check(page.get_by_role("button", name=f"This is the caller: {result}"))
    page.get_by_label(method).check()
    journey.click_and_check(page.get_by_role("button", name="They are the resident: open the record"))
    assert journey.path() == "/admin/contact-centre/record/"


def test_an_agent_finishes_a_residents_abandoned_form_by_phone_and_takes_a_fee_by_link(journey):
    resident = UserFactory(
        email="jo.smith@example.org",
        full_name="Jo Smith",
        phone="07700900111",
        address_line_1="3 Elm Road",
        town="Anytown",
        postcode="AB1 2DE",
    )
    UserFactory(full_name="Jo Smith", postcode="ZZ9 9ZZ", email="another.jo@example.org")
    missed_bin_form(sign_in="optional", service_id=524)
    bulky_waste_form(service_id=528)
    agent = staff_in("Contact centre", full_name="Ash Agent")
    page = journey.page

    # The resident tries online and stops at the address step.
    _sign_in_at(journey, resident, "/forms/missed-bin/")
    journey.click_and_check(page.get_by_role("button", name="Start now"))
    page.get_by_label("General waste").check()
    _continue(journey)
    assert page.get_by_role("heading", level=1).inner_text().endswith("Where was it missed?")
    _sign_out(journey)

    # They ring. The agent finds them by postcode: two Jo Smiths, told apart by postcode.
    _sign_in_at(journey, agent, "/admin/contact-centre/")
    assert journey.path() == "/admin/contact-centre/"
    _take_call(journey)
    page.get_by_label("Find the caller").fill("ab12de")
    journey.click_and_check(page.get_by_role("button", name="Search"))
    assert page.get_by_role("button", name="This is the caller: Jo Smith, AB1 2DE").is_visible()
    assert not page.get_by_text("07700").count()  # nothing personal in the results
    journey.click_and_check(page.get_by_role("button", name="This is the caller: Jo Smith, AB1 2DE"))
    assert not page.get_by_text("3 Elm Road").count()  # the record opens only after the check
    page.get_by_label("Full address and the phone number or email we hold").check()
    journey.click_and_check(page.get_by_role("button", name="They are the resident: open the record"))

    # Before the caller explains: where they stopped online.
    online = page.locator("section", has=page.get_by_role("heading", name="What happened online lately"))
    assert "stopped at “Where was it missed?”" in online.inner_text()

    # With their consent, carry on with their own draft, where they stopped.
    journey.click_and_check(online.get_by_role("link", name="Carry on with the caller").first)
    page.get_by_label("The caller agrees to carry on with the form they started").check()
    journey.click_and_check(page.get_by_role("button", name="Carry on with the form"))
    assert page.get_by_text("You are helping").first.is_visible()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Where was it missed?")
    assert page.get_by_label("Address line 1").input_value() == "3 Elm Road"  # the caller's profile
    _continue(journey)
    _fill_date(page, "When should it have been collected?", date.today() - timedelta(days=1))
    _continue(journey)
    assert "General waste" in page.locator("main").inner_text()  # what they typed online is kept
    journey.click_and_check(page.get_by_role("button", name="Submit"))
    assert journey.path() == "/admin/contact-centre/record/"
    missed = Case.objects.get(resident=resident, service_code=524)
    assert page.get_by_text(f"Sent {missed.reference} for Jo Smith by phone").is_visible()
    assert missed.channel == Channel.PHONE
    assert Submission.objects.get(case=missed).channel == "assisted"

    # A bulky waste collection, with a fee: sent, then a link to pay it.
    journey.click_and_check(page.get_by_role("link", name="Fill in a form with them"))
    journey.click_and_check(page.get_by_role("button", name="Start Book a bulky waste collection"))
    page.get_by_label("How many items?").fill("2")
    _continue(journey)
    page.get_by_label("What are the items?").fill("A sofa and a fridge")
    _continue(journey)
    _fill_date(page, "Collection date", date.today() + timedelta(days=7))
    _continue(journey)
    assert page.get_by_text("do not take card details").is_visible()
    journey.click_and_check(page.get_by_role("button", name="Submit"))
    assert journey.path() == "/admin/contact-centre/record/"
    assert page.get_by_text("send a payment link from the record").first.is_visible()
    journey.click_and_check(page.get_by_role("button", name="Send a payment link").first)
    assert page.get_by_text("sent to jo.smith@example.org").first.is_visible()
    bulky = Case.objects.get(resident=resident, service_code=528)
    link = PaymentLink.objects.get()
    assert link.payment.case_id == bulky.pk and link.sent_to == "jo.smith@example.org"
    assert Notification.objects.filter(to="jo.smith@example.org", subject__contains=bulky.reference).exists()

    # Close the call: prefilled from what happened online; the agent confirms.
    journey.click_and_check(page.get_by_role("link", name="Close the call").first)
    assert page.locator("input[name=tried_online][value=yes]").is_checked()
    assert page.locator("input[name=avoidable][value=yes]").is_checked()
    category = AvoidableCategory.FAILED_ONLINE
    assert page.locator(f"input[name=avoidable_category][value={category}]").is_checked()
    page.locator("select[name=reason_code]").select_option(index=1)
    page.locator("input[name=resolved_first_contact][value=yes]").check()
    journey.click_and_check(page.get_by_role("button", name="Record the contact and close the call"))
    assert journey.path() == "/admin/contact-centre/"
    call = Call.objects.get()
    assert call.ended_at is not None and call.contact.avoidable_category == AvoidableCategory.FAILED_ONLINE
    actions = set(StaffAccess.objects.filter(call=call.pk).values_list("action", flat=True))
    assert {
        StaffAccessAction.RECORD_OPENED,
        StaffAccessAction.DRAFT_RESUMED,
        StaffAccessAction.SUBMITTED,
        StaffAccessAction.PAYMENT_LINK_SENT,
    } <= actions
    assert not StaffAccess.objects.filter(call=call.pk, contact__isnull=True).exists()
    _sign_out(journey)

    # The resident sees both requests, "submitted for you by phone", and who looked.
    _sign_in_at(journey, resident, "/my-account/")
    assert page.get_by_text(missed.reference).first.is_visible()
    journey.goto(f"/my-account/cases/{missed.reference}/")
    assert page.get_by_text("Submitted for you by phone").first.is_visible()
    journey.goto("/my-account/security/")
    assert page.get_by_text(
        "council staff looked at your record while helping you by phone"
    ).first.is_visible()


def test_a_caller_with_no_email_gets_a_record_and_later_adds_it_to_a_new_account(journey):
    officer = staff_in("Case officers", full_name="Olu Officer")
    team = team_make("Waste services")
    team.members.add(officer)
    missed_bin_form(sign_in="optional", service_id=524, team=team)
    agent = staff_in("Contact centre", full_name="Ash Agent")
    page = journey.page

    _sign_in_at(journey, agent, "/admin/contact-centre/")
    _take_call(journey)
    page.get_by_label("Find the caller").fill("Pat Caller")
    journey.click_and_check(page.get_by_role("button", name="Search"))
    journey.click_and_check(page.get_by_role("link", name="Create a record for the caller"))
    page.get_by_label("Full name").fill("Pat Caller")
    page.get_by_label("Phone number").fill("07700 900222")
    page.get_by_label("Address line 1").fill("4 Mill Lane")
    page.get_by_label("Town or city").fill("Anytown")
    page.get_by_label("Postcode").fill("AB1 4NL")
    page.get_by_label("Post", exact=True).check()  # no email: letters
    journey.click_and_check(page.get_by_role("button", name="Create the record"))
    assert journey.path() == "/admin/contact-centre/record/"
    record = User.objects.get(full_name="Pat Caller")
    assert not record.has_account and record.email is None and not record.has_usable_password()

    journey.click_and_check(page.get_by_role("link", name="Fill in a form with them"))
    journey.click_and_check(page.get_by_role("button", name="Start Report a missed bin"))
    page.get_by_label("Recycling").check()
    _continue(journey)
    assert page.get_by_label("Address line 1").input_value() == "4 Mill Lane"
    _continue(journey)
    _fill_date(page, "When should it have been collected?", date.today() - timedelta(days=1))
    _continue(journey)
    journey.click_and_check(page.get_by_role("button", name="Submit"))
    case = Case.objects.get(resident=record)
    assert page.get_by_text(f"Sent {case.reference} for Pat Caller by phone").is_visible()
    journey.click_and_check(page.get_by_role("link", name="Close the call").first)
    page.locator("select[name=reason_code]").select_option(index=1)
    page.locator("input[name=tried_online][value=no]").check()
    page.locator("input[name=avoidable][value=no]").check()
    page.locator("input[name=resolved_first_contact][value=yes]").check()
    journey.click_and_check(page.get_by_role("button", name="Record the contact and close the call"))
    _sign_out(journey)

    # The officer follows the case up from the queue: the caller is reached by phone.
    _sign_in_at(journey, officer, f"/admin/cases/{case.pk}/")
    assert page.get_by_text("Pat Caller").first.is_visible()
    assert page.get_by_text("07700 900222").first.is_visible()
    page.locator("#status-form").get_by_label("In progress", exact=True).check()
    journey.click_and_check(page.locator("#status-form").get_by_role("button", name="Change status"))
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    _sign_out(journey)

    # Later, Pat makes an account; at the next call, the agent offers them the record.
    pat = UserFactory(email="pat@example.org", full_name="Pat Caller", postcode="AB1 4NL")
    EmailAddress.objects.update_or_create(
        user=pat, email=pat.email, defaults={"verified": True, "primary": True}
    )
    _sign_in_at(journey, agent, "/admin/contact-centre/")
    _take_call(journey)
    _find_and_identify(journey, "pat@example.org", "Pat Caller, AB1 4NL", BY_ADDRESS)
    journey.click_and_check(page.get_by_role("button", name="Offer it to their account").first)
    assert Case.objects.get(pk=case.pk).resident_id == record.pk  # nothing moves until Pat says so
    _sign_out(journey)

    _sign_in_at(journey, pat, "/my-account/")
    journey.click_and_check(page.get_by_role("button", name="Review and add it to your account"))
    assert case.reference in page.locator("main").inner_text()
    journey.click_and_check(page.get_by_role("button", name="Add it to my account"))
    assert Case.objects.get(pk=case.pk).resident_id == pat.pk
    assert not User.objects.filter(pk=record.pk).exists()
    journey.goto("/my-account/cases/")
    assert page.get_by_text(case.reference).first.is_visible()
