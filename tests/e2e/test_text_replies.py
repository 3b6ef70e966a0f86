"""Replies by text in the browser, with axe-core on every page visited.

1. A resident whose preference is text messages sends a request; the officer asks them for
   information and the fake GOV.UK Notify receives the text; the resident replies by text (the
   fake posts it back to the portal's callback) and the officer sees the reply on the case's
   timeline, "by text message"; the officer resolves it and the decision arrives by text.
2. A contact centre agent triages a text that landed on no case: the list, the text, a reply
   with a mistake fixed, and recording another one as a contact by text.
"""

import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group

from portal.cases.models import Case
from portal.notifications.models import InboundText
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make, team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOKEN = "an-inbound-callback-token-0123456789"
PHONE = "07700 900123"


@pytest.fixture
def notify(fake_notify, settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    return fake_notify


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    assert journey.path().startswith(next_path.split("?")[0]), journey.path()
    journey.check()


def _click(journey, role, name):
    journey.click_and_check(journey.page.get_by_role(role, name=name).first)


def _continue(journey):
    _click(journey, "button", "Continue")


def _change_status(journey, label, message=""):
    page = journey.page
    page.locator("#status-form").get_by_label(label, exact=True).check()
    if message:
        page.locator("#status-form textarea[name=message]").fill(message)
    journey.click_and_check(page.locator("#status-form").get_by_role("button", name="Change status"))


def _texts_to(notify, phone_digits: str) -> list[str]:
    return [
        sent.json["personalisation"]["body"]
        for sent in notify.sent
        if sent.type == "sms" and re.sub(r"\D", "", sent.json["phone_number"]).endswith(phone_digits[-9:])
    ]


def test_a_resident_who_prefers_texts_follows_a_request_and_replies_by_text(journey, notify, live_server):
    team = team_make("Waste", "waste@council.example")
    officer = StaffFactory(full_name="Olu Officer")
    officer.groups.add(Group.objects.get(name="Case officers"))
    team.members.add(officer)
    resident = UserFactory(full_name="Rae Resident", phone=PHONE, contact_preference="sms")
    missed_bin_form(team=team, sla_working_days=5, sign_in="optional")
    page = journey.page

    # The resident sends a request online.
    _sign_in(journey, resident, "/forms/missed-bin/")
    _click(journey, "button", "Start now")
    page.get_by_label("Recycling").check()
    _continue(journey)
    page.get_by_label("Address line 1").fill("4 Station Road")
    page.get_by_label("Town or city").fill("Anytown")
    page.get_by_label("Postcode").fill("SW1A 1AA")
    _continue(journey)
    day = date.today() - timedelta(days=1)
    group = page.get_by_role("group", name=re.compile("When should it have been collected"))
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
    _continue(journey)
    _click(journey, "button", "Submit")
    case = Case.objects.get()
    assert case.reference in page.locator(".govuk-panel").inner_text()

    # The officer asks for information: the resident gets it by text.
    _sign_in(journey, officer, f"/admin/cases/{case.pk}/")
    _click(journey, "button", "Assign to me")
    _change_status(journey, "In progress")
    _change_status(journey, "Awaiting resident", "Which recycling box was missed, the blue or the green?")
    case.refresh_from_db()
    assert case.status == "awaiting_resident"
    asked = [body for body in _texts_to(notify, "7700900123") if "blue or the green" in body]
    assert asked and case.reference in asked[0]

    # The resident answers by text: Notify passes it on to the portal.
    code, _ = notify.post_inbound(live_server.url, PHONE, "The green one, by the gate.", TOKEN)
    assert code == 200
    text = InboundText.objects.get()
    assert (text.outcome, text.case) == ("case", case)
    case.refresh_from_db()
    assert case.status == "in_progress"

    # The officer sees the reply on the timeline, and resolves the request.
    journey.goto(f"/admin/cases/{case.pk}/")
    timeline = page.locator(".case-timeline").inner_text()
    assert "The green one, by the gate." in timeline and "by text message" in timeline
    _change_status(journey, "Resolved", "We collected the green box on Tuesday.")
    decision = [body for body in _texts_to(notify, "7700900123") if "collected the green box" in body]
    assert decision and case.reference in decision[0]

    # The resident sees their text on their own timeline too.
    _sign_in(journey, resident, f"/my-account/cases/{case.reference}/")
    assert page.get_by_text("The green one, by the gate.").first.is_visible()
    assert page.get_by_text("By text message").first.is_visible()


def test_an_agent_triages_texts_that_landed_on_no_case(journey, notify, live_server):
    agent = staff_in("Contact centre", full_name="Alex Agent")
    resident = UserFactory(full_name="Pat Lee", phone="07700900982")
    case_make(resident=resident, status="in_progress")
    notify.post_inbound(live_server.url, "07700900982", "When will you come for my bin?", TOKEN)
    notify.post_inbound(live_server.url, "07700900111", "Is the tip open on Sunday?", TOKEN)
    assert set(InboundText.objects.values_list("outcome", flat=True)) == {"triage"}
    page = journey.page

    _sign_in(journey, agent, "/admin/contact-centre/texts/")
    assert page.get_by_text("When will you come for my bin?").is_visible()
    _click(journey, "link", "Pat Lee")
    assert page.get_by_role("heading", name="Add it to one of their requests").is_visible()
    _click(journey, "button", "Send the reply")  # nothing written
    assert page.get_by_text("Enter your reply").first.is_visible()
    assert page.title().startswith("Error:")
    page.get_by_label("Your reply").fill("The crew comes on Thursday.")
    _click(journey, "button", "Send the reply")
    assert journey.path() == "/admin/contact-centre/texts/"
    assert any("The crew comes on Thursday." in body for body in _texts_to(notify, "7700900982"))

    _click(journey, "link", "Unknown number ending 111")
    _click(journey, "button", "Record the contact")  # nothing chosen
    assert page.get_by_text("Choose the service").first.is_visible()
    page.locator("select[name=service_code]").select_option("524")
    page.locator("select[name=reason_code]").select_option(label="Checking status")
    page.locator("input[name=avoidable][value=no]").check()
    page.locator("input[name=resolved_first_contact][value=yes]").check()
    _click(journey, "button", "Record the contact")
    assert page.get_by_text("No text messages are waiting").is_visible()
