"""*Text messages to triage*: texts that landed on no case wait for the contact centre, which
adds them to a case, replies by text, records them as a contact (channel SMS) or marks them
dealt with. Only agents who help callers see them; a look at a resident's text is audited."""

import pytest

from django.test import Client
from django.urls import reverse

from accounts.constants import StaffAccessAction
from accounts.models import StaffAccess
from portal.cases.constants import CaseStatus, EventType
from portal.contact_centre.models import Call
from portal.contact_centre.services import SESSION_CALL
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import Interaction
from portal.notifications.constants import InboundHandled, InboundOutcome
from portal.notifications.models import Notification
from portal.notifications.services import sms_opt_out
from tests.accounts.factories import UserFactory, staff_in
from tests.accounts.signin import sign_in
from tests.portal.cases.factories import case_make, officer_in, team_make
from tests.portal.contact_centre.factories import inbound_text_make as received

pytestmark = pytest.mark.django_db

TEXTS = reverse("contact_centre:texts")
PHONE = "07700900982"


def text_url(text) -> str:
    return reverse("contact_centre:text", kwargs={"pk": text.pk})


@pytest.fixture
def resident():
    return UserFactory(email="pat.lee@example.org", full_name="Pat Lee", phone=PHONE)


@pytest.fixture
def agent():
    return staff_in("Contact centre", full_name="Alex Agent")


@pytest.fixture
def desk(agent) -> Client:
    client = Client()
    sign_in(client, agent)
    return client


def test_only_agents_who_help_callers_see_the_texts(resident):
    text = received("Hello?")
    officer = officer_in(team_make("Waste"))
    client = Client()
    sign_in(client, officer)

    for response in (
        client.get(TEXTS),
        client.get(text_url(text)),
        client.post(text_url(text), {"action": "no_action"}),
    ):
        # Wagtail's refusal: 403, or back to the dashboard with "no permission".
        assert response.status_code == 403 or response.get("Location") == "/admin/"
    assert TEXTS not in client.get("/admin/").text
    text.refresh_from_db()
    assert text.to_triage
    assert not StaffAccess.objects.exists()


def test_the_list_shows_texts_waiting_and_reading_one_is_audited(desk, agent, resident):
    case_make(resident=resident, status="in_progress")
    text = received("When are you coming?")
    stranger = received("Is the tip open?", number="447700900111")
    assert text.outcome == stranger.outcome == InboundOutcome.TRIAGE

    page = desk.get(TEXTS).text
    assert "Pat Lee" in page and "When are you coming?" in page
    assert "Unknown number ending 111" in page
    # The menu says how many are waiting, on every admin page.
    assert "Text messages to triage (2)" in desk.get("/admin/").text

    page = desk.get(text_url(text)).text
    assert "When are you coming?" in page and "Add it to one of their requests" in page
    access = StaffAccess.objects.get()
    assert (access.resident, access.staff, access.action, access.channel) == (
        resident,
        agent,
        StaffAccessAction.RECORD_OPENED,
        Channel.SMS,
    )
    # A number nobody has: no record, nothing to audit, no requests to add it to.
    page = desk.get(text_url(stranger)).text
    assert "no resident has this number" in page and "Add it to one of their requests" not in page
    assert StaffAccess.objects.count() == 1


def test_adding_it_to_a_case_is_the_residents_reply_by_text(desk, agent, resident):
    case = case_make(resident=resident, status="awaiting_resident")
    text = received("STOP please, I meant to reply")  # not a keyword on its own
    # The case was waiting, so it landed there; one hours later, after the case moved on, does not.
    assert text.outcome == InboundOutcome.CASE
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    text = received("And the lid is broken", at="2026-12-07T15:00:00.000000Z")
    assert text.outcome == InboundOutcome.TRIAGE

    response = desk.post(text_url(text), {"action": "add_to_case", "case": case.pk})

    assert response.status_code == 302 and response.url == TEXTS
    text.refresh_from_db()
    assert (text.handled_how, text.handled_by, text.case) == (InboundHandled.ADDED_TO_CASE, agent, case)
    event = case.events.filter(type=EventType.RESIDENT_MESSAGE).latest("pk")
    assert event.message == "And the lid is broken"
    assert event.data == {"channel": "sms", "added_by": agent.pk}
    assert StaffAccess.objects.filter(action=StaffAccessAction.CONTACT_RECORDED, resident=resident).exists()
    assert "And the lid is broken" not in desk.get(TEXTS).text.split("Dealt with lately")[0]


def test_another_residents_case_is_refused(desk, resident):
    other = case_make(status="in_progress")
    text = received("Hello")

    page = desk.post(text_url(text), {"action": "add_to_case", "case": other.pk}).text

    assert "Choose the request" in page
    text.refresh_from_db()
    assert text.to_triage


def test_replying_by_text(desk, agent, resident, fake_notify):
    text = received("Can you call me?")

    response = desk.post(text_url(text), {"action": "reply", "message": "We will call you today."})

    assert response.status_code == 302
    notification = Notification.objects.get(template="notifications/text_reply")
    assert (notification.channel, notification.to, notification.user) == ("sms", "447700900982", resident)
    assert notification.body_text.startswith("We will call you today.")
    text.refresh_from_db()
    assert (text.handled_how, text.handled_by) == (InboundHandled.REPLIED, agent)
    sent = Interaction.objects.get(type=InteractionType.MESSAGE_SENT)
    assert (sent.channel, sent.user) == (Channel.SMS, resident)


def test_no_reply_to_a_number_that_said_stop(desk, resident):
    text = received("Who is this?")
    sms_opt_out(phone=PHONE)

    page = desk.post(text_url(text), {"action": "reply", "message": "The council."}).text

    assert "This number cannot be sent texts" in page
    assert not Notification.objects.exists()
    text.refresh_from_db()
    assert text.to_triage


def test_recording_it_as_a_contact_by_text(desk, agent, resident):
    text = received("My bin was missed again")
    answers = {
        "action": "record",
        "service_code": "524",
        "reason_code": "8",
        "avoidable": "yes",
        "avoidable_category": "repeat",
        "resolved_first_contact": "no",
        "notes": "Missed twice",
    }

    page = desk.post(text_url(text), {**answers, "avoidable_category": ""}).text
    assert "Choose why the contact was avoidable" in page
    assert not Interaction.objects.filter(type=InteractionType.ASSISTED_CONTACT).exists()

    response = desk.post(text_url(text), answers)

    assert response.status_code == 302
    contact = Interaction.objects.get(type=InteractionType.ASSISTED_CONTACT)
    assert (contact.channel, contact.user, contact.staff, contact.service_code, contact.avoidable) == (
        Channel.SMS,
        resident,
        agent,
        524,
        True,
    )
    assert contact.extras["inbound_text"] == text.pk
    text.refresh_from_db()
    assert text.handled_how == InboundHandled.CONTACT_RECORDED
    # Dealt with: no second action.
    desk.post(text_url(text), {"action": "no_action"})
    text.refresh_from_db()
    assert text.handled_how == InboundHandled.CONTACT_RECORDED


def test_marking_it_dealt_with(desk, agent):
    text = received("Thanks!", number="447700900111")

    desk.post(text_url(text), {"action": "no_action"})

    text.refresh_from_db()
    assert (text.handled_how, text.handled_by) == (InboundHandled.NO_ACTION, agent)
    assert "No text messages are waiting" in desk.get(TEXTS).text


def test_opening_their_record_takes_it_as_a_contact_by_text(desk, agent, resident):
    text = received("It's Pat, about my bins")

    response = desk.post(text_url(text), {"action": "open_record"})

    call = Call.objects.get()
    assert (call.staff, call.channel, call.resident, call.identity_checked) == (
        agent,
        Channel.SMS,
        resident,
        False,
    )
    assert desk.session[SESSION_CALL] == str(call.pk)
    assert response.url == reverse("contact_centre:call_identify", kwargs={"resident_id": resident.pk})
    # With a call open, another is not taken.
    desk.post(text_url(text), {"action": "open_record"})
    assert Call.objects.count() == 1
