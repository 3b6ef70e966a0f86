"""A contact-centre agent on a call fills in the resident forms for the caller.

The agent goes through the very pages residents use; the draft, the events, the submission
and the case are the caller's, on the call's channel, with the agent as staff; every action
for an identified caller is audited on their record.
"""

from datetime import date, timedelta

import pytest

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.constants import IdentityCheck, StaffAccessAction
from accounts.models import StaffAccess
from accounts.services import resident_record_create
from forms_engine.constants import SubmissionChannel
from forms_engine.housekeeping import drafts_abandoned_record
from forms_engine.models import Draft, Submission, Upload
from forms_engine.services import draft_create, form_version_current
from payments.models import Payment
from portal.contact_centre.services import (
    SESSION_CALL,
    call_caller_set,
    call_end,
    call_identity_confirm,
    call_start,
)
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import Interaction
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory, staff_in
from tests.accounts.signin import sign_in
from tests.forms_engine.factories import bulky_waste_form, form_build, missed_bin_form, question, step
from tests.forms_engine.helpers import address, bulky_answers, check_url, date_parts, form_start, step_url

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

YESTERDAY = date.today() - timedelta(days=1)
MISSED_BIN = [
    {"bin_type": "General waste"},
    address("address"),
    date_parts("collection_date", YESTERDAY),
]
# The missed-bin form's steps by number: 1 bin, 2 garden waste permit (hidden), 3 address, 4 date.
MISSED_BIN_STEPS = [1, 3, 4]


def _take_call(
    client, agent, resident=None, *, channel=Channel.PHONE, identity=IdentityCheck.ADDRESS_AND_CONTACT
):
    """The agent takes a call, finds the caller and checks who they are, as the call screen does."""
    call = call_start(staff=agent, channel=channel)
    if resident is not None:
        call_caller_set(call=call, resident=resident)
        call_identity_confirm(call=call, method=identity)
    session = client.session
    session[SESSION_CALL] = str(call.pk)
    session.save()
    return call


@pytest.fixture
def agent(web):
    user = staff_in("Contact centre", full_name="Alex Agent", phone="020 7946 0000")
    sign_in(web, user)
    return user


@pytest.fixture
def resident():
    return UserFactory(full_name="Jane Caller", phone="07700 900123")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _send_missed_bin(web, draft, *, answers=MISSED_BIN, steps=MISSED_BIN_STEPS):
    for number, data in zip(steps, answers, strict=True):
        response = web.post(step_url(draft, number), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return web.post(check_url(draft))


def test_an_agent_sends_a_form_for_the_caller_on_the_phone(web, agent, resident):
    missed_bin_form()
    call = _take_call(web, agent, resident)

    draft = form_start(web, "missed-bin")
    assert draft.user == resident and draft.session_key == ""
    # A wrong answer first: the error is the caller's, on the phone, not a web error.
    assert web.post(step_url(draft, 1), {}).status_code == 200
    response = _send_missed_bin(web, draft)

    submission = Submission.objects.get()
    case = submission.case
    assert submission.user == resident and submission.channel == SubmissionChannel.ASSISTED
    assert submission.contact_email == resident.email
    assert case.resident == resident and case.channel == Channel.PHONE
    # Back to the call (the call screens are another part; until they exist, the admin).
    assert response.status_code == 302
    assert f"Sent {case.reference} for Jane Caller by phone" in _messages(response)

    events = Interaction.objects.filter(journey="missed-bin").order_by("pk")
    assert list(events.values_list("type", flat=True)) == [
        InteractionType.FORM_START,
        InteractionType.FORM_ERROR,
        InteractionType.FORM_STEP,
        InteractionType.FORM_STEP,
        InteractionType.FORM_STEP,
        InteractionType.FORM_SUBMIT,
        InteractionType.TRANSACTION,
    ]
    for event in events:
        assert event.channel == Channel.PHONE, event.type
        assert event.staff_id == agent.pk, event.type
        assert event.user_id == resident.pk and event.person_key == resident.person_key, event.type
        assert event.session_key == "" and event.visitor_key == "", event.type
    # Nothing the agent did counts as web activity.
    assert not Interaction.objects.filter(journey="missed-bin", channel=Channel.WEB).exists()
    assert not Interaction.objects.filter(person_key=agent.person_key, journey="missed-bin").exists()

    audit = StaffAccess.objects.filter(resident=resident, call=call.pk).exclude(
        action=StaffAccessAction.RECORD_OPENED
    )
    assert sorted(audit.values_list("action", "detail", "channel", "staff_id")) == sorted(
        [
            (StaffAccessAction.FORM_STARTED, "Report a missed bin", Channel.PHONE, agent.pk),
            (StaffAccessAction.SUBMITTED, case.reference, Channel.PHONE, agent.pk),
        ]
    )
    assert set(audit.values_list("identity", flat=True)) == {IdentityCheck.ADDRESS_AND_CONTACT}


def test_the_caller_is_told_what_was_sent_for_them_with_the_answers(web, agent, resident):
    missed_bin_form()
    _take_call(web, agent, resident)
    draft = form_start(web, "missed-bin")
    _send_missed_bin(web, draft)
    case = Submission.objects.get().case

    (email,) = Notification.objects.filter(case=case, template="forms_engine/submitted")
    assert email.to == resident.email and email.user == resident
    today = dateformat.format(timezone.localtime(case.created_at), "j F Y")
    assert f"We made this request for you by phone on {today}." in email.body_text
    assert "We have received your request: Report a missed bin." in email.body_text
    assert "What we sent for you" in email.body_text
    assert "Which bin was missed?: General waste" in email.body_text
    assert "Address of the missed bin: 1 High Street" in email.body_text
    assert case.reference in email.body_text


def test_a_resident_sending_it_themselves_gets_no_list_of_answers(web, resident):
    missed_bin_form()
    web.force_login(resident)
    draft = form_start(web, "missed-bin")
    _send_missed_bin(web, draft)
    (email,) = Notification.objects.filter(template="forms_engine/submitted")
    assert "Thank you. We have received your request" in email.body_text
    assert "What we sent for you" not in email.body_text and "for you by" not in email.body_text


def test_a_fee_is_left_for_a_payment_link_and_the_form_is_prefilled_from_the_callers_profile(
    web, agent, resident
):
    bulky_waste_form()
    _take_call(web, agent, resident)
    draft = form_start(web, "bulky-waste")
    assert draft.user == resident
    answers = bulky_answers(items=3)
    for number, data in enumerate(answers[:2], start=1):
        assert web.post(step_url(draft, number), data).status_code == 302
    page = web.get(step_url(draft, 3)).content.decode()
    assert 'value="07700900123"' in page or 'value="07700 900123"' in page
    assert "7946" not in page  # never the agent's own details
    assert web.post(step_url(draft, 3), answers[2]).status_code == 302
    check = web.get(check_url(draft)).content.decode()
    assert "Submit and pay" not in check and "send them a link to pay £45" in check

    response = web.post(check_url(draft))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] != reverse("payments:pay", kwargs={"reference": payment.reference})
    assert "/pay" not in response["Location"]
    case = Submission.objects.get().case
    assert _messages(response) == [
        f"Sent {case.reference} for Jane Caller by phone",
        "A fee of £45 is due: send a payment link from the record",
    ]
    assert payment.user == resident and payment.status == "created" and case.status == "awaiting_payment"
    # Completed only when paid: no transaction yet.
    assert not Interaction.objects.filter(type=InteractionType.TRANSACTION).exists()


def _residents_draft(resident, form, *, answers=None, current_step=""):
    draft = draft_create(version=form_version_current(form=form), user=resident)
    draft.answers = answers or {}
    draft.current_step = current_step
    draft.save()
    return draft


def test_an_agent_with_no_call_or_another_residents_call_cannot_open_the_draft(web, agent, resident):
    form = missed_bin_form()
    draft = _residents_draft(resident, form, answers={"bin_type": "Recycling"})
    resume = reverse("forms_engine:resume_draft", kwargs={"slug": "missed-bin", "draft": draft.pk})

    assert web.get(resume).status_code == 404
    assert web.get(step_url(draft, 1)).status_code == 404

    _take_call(web, agent, UserFactory())
    assert web.get(resume).status_code == 404
    assert web.get(step_url(draft, 1)).status_code == 404
    assert web.post(check_url(draft)).status_code == 404
    assert not Submission.objects.exists()

    # Found but not yet checked: not theirs to open either.
    call = _take_call(web, agent)
    call_caller_set(call=call, resident=resident)
    assert web.get(resume).status_code == 404

    draft.refresh_from_db()
    assert draft.user == resident and draft.answers == {"bin_type": "Recycling"}


def test_an_agent_carries_on_with_the_callers_draft_where_they_stopped(web, agent, resident):
    form = missed_bin_form()
    # The resident chose the bin on the web and stopped at the address step.
    own = Client()
    own.force_login(resident)
    draft = form_start(own, "missed-bin")
    assert own.post(step_url(draft, 1), {"bin_type": "Recycling"}).status_code == 302
    draft.refresh_from_db()
    assert draft.current_step == form_version_current(form=form).schema["steps"][2]["id"]

    _take_call(web, agent, resident)
    resume = reverse("forms_engine:resume_draft", kwargs={"slug": "missed-bin", "draft": draft.pk})
    # Not without the caller's consent, asked (and audited) on the call screen.
    assert web.get(resume).status_code == 404
    assert web.get(step_url(draft, 3)).status_code == 404
    consent = reverse("contact_centre:draft_resume", kwargs={"draft": draft.pk})
    assert web.post(consent, {"consent": "on"})["Location"] == resume
    response = web.get(resume)
    assert response["Location"] == step_url(draft, 3)
    assert web.get(step_url(draft, 3)).status_code == 200
    for number, data in ((3, address("address")), (4, date_parts("collection_date", YESTERDAY))):
        assert web.post(step_url(draft, number), data).status_code == 302
    web.post(check_url(draft))

    submission = Submission.objects.get()
    assert submission.user == resident and submission.answers["bin_type"] == "Recycling"
    assert submission.case.channel == Channel.PHONE
    # The resident's own start stays a web start; the agent's steps are phone steps.
    assert set(
        Interaction.objects.filter(type=InteractionType.FORM_START).values_list("channel", flat=True)
    ) == {Channel.WEB}
    steps = Interaction.objects.filter(type=InteractionType.FORM_STEP).order_by("pk")
    assert list(steps.values_list("channel", "staff_id")) == [
        (Channel.WEB, None),
        (Channel.PHONE, agent.pk),
        (Channel.PHONE, agent.pk),
    ]


def test_a_case_officer_with_a_call_in_their_session_gets_nothing_assisted(web, resident):
    form = missed_bin_form()
    officer = staff_in("Case officers")
    sign_in(web, officer)
    theirs = _residents_draft(resident, form, answers={"bin_type": "Recycling"})
    call = call_start(staff=officer, channel=Channel.PHONE)
    call_caller_set(call=call, resident=resident)
    call_identity_confirm(call=call, method=IdentityCheck.ADDRESS_AND_CONTACT)
    session = web.session
    session[SESSION_CALL] = str(call.pk)
    session.save()

    assert web.get(step_url(theirs, 1)).status_code == 404
    page = web.get(reverse("forms_engine:start", kwargs={"slug": "missed-bin"})).content.decode()
    assert "You are helping" not in page
    draft = form_start(web, "missed-bin")
    assert draft.user == officer  # their own form, as any signed-in person's
    assert not StaffAccess.objects.filter(action=StaffAccessAction.FORM_STARTED).exists()


def test_a_caller_with_no_account_and_no_email_can_be_sent_for(web, agent):
    missed_bin_form()
    record = resident_record_create(
        staff=agent,
        full_name="Pat Nomail",
        phone="01632 960123",
        address_line_1="12 Elm Road",
        town="Anytown",
        postcode="SW1A 2AA",
    )
    assert record.message_email == ""
    _take_call(web, agent, record)
    draft = form_start(web, "missed-bin")
    assert draft.user == record
    assert web.post(step_url(draft, 1), {"bin_type": "General waste"}).status_code == 302
    # The address is the caller's, from their record.
    assert "12 Elm Road" in web.get(step_url(draft, 3)).content.decode()
    response = _send_missed_bin(web, draft, answers=MISSED_BIN[1:], steps=[3, 4])

    submission = Submission.objects.get()
    case = submission.case
    assert response.status_code == 302
    assert submission.user == record and submission.contact_email == "" and case.contact_email == ""
    assert case.resident == record and case.channel == Channel.PHONE
    assert f"Sent {case.reference} for Pat Nomail by phone" in _messages(response)
    # Nobody to email, and a landline cannot take texts: the confirmation goes by post.
    (message,) = Notification.objects.filter(case=case)
    assert message.channel == "letter" and message.address_lines[-1] == "SW1A 2AA"
    assert case.reference in message.body_text
    assert StaffAccess.objects.filter(resident=record, action=StaffAccessAction.SUBMITTED).count() == 1


def test_an_unidentified_caller_gets_an_anonymous_draft_that_never_becomes_the_agents(web, agent):
    missed_bin_form()
    bulky_waste_form()
    call = _take_call(web, agent)

    page = web.get(reverse("forms_engine:start", kwargs={"slug": "missed-bin"})).content.decode()
    assert "You are helping an unidentified caller by phone" in page
    draft = form_start(web, "missed-bin")
    assert draft.user is None and draft.session_key == web.session.session_key
    # A form residents must sign in for needs the caller's record first.
    response = web.post(reverse("forms_engine:start", kwargs={"slug": "bulky-waste"}), {"action": "start"})
    assert response.status_code == 400 and "Find the caller" in response.content.decode()
    assert Draft.objects.count() == 1

    for number, data in zip(MISSED_BIN_STEPS, MISSED_BIN, strict=True):
        assert web.post(step_url(draft, number), data).status_code == 302
    assert web.post(step_url(draft, 5), {"_contact_email": "caller@example.org"}).status_code == 302
    draft.refresh_from_db()
    assert draft.user is None  # never claimed by the signed-in agent
    events = Interaction.objects.filter(journey="missed-bin")
    assert set(events.values_list("channel", flat=True)) == {Channel.PHONE}
    assert set(events.values_list("staff_id", flat=True)) == {agent.pk}
    assert set(events.values_list("person_key", flat=True)) == {""}

    # The call ends: the draft is not the agent's, even on the form's own start page.
    call_end(call=call)
    assert web.get(step_url(draft, 1)).status_code == 404
    web.get(reverse("forms_engine:start", kwargs={"slug": "missed-bin"}))
    draft.refresh_from_db()
    assert draft.user is None
    assert not StaffAccess.objects.exists()


def test_an_unidentified_callers_draft_is_sent_on_the_call(web, agent):
    missed_bin_form()
    _take_call(web, agent)
    draft = form_start(web, "missed-bin")
    response = _send_missed_bin(
        web,
        draft,
        answers=[*MISSED_BIN, {"_contact_email": "caller@example.org"}],
        steps=[*MISSED_BIN_STEPS, 5],
    )
    submission = Submission.objects.get()
    assert submission.user is None and submission.contact_email == "caller@example.org"
    assert submission.channel == SubmissionChannel.ASSISTED and submission.case.channel == Channel.PHONE
    assert f"Sent {submission.case.reference} for the caller by phone" in _messages(response)


def test_the_banner_shows_only_while_an_agent_helps_a_caller(web, agent, resident):
    missed_bin_form()
    start = reverse("forms_engine:start", kwargs={"slug": "missed-bin"})
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64)"}
    assert "You are helping" not in web.get(start, **browser).content.decode()
    _take_call(web, agent, resident, channel=Channel.FACE_TO_FACE, identity=IdentityCheck.ID_SEEN)
    page = web.get(start, **browser).content.decode()
    assert "You are helping <strong>Jane Caller</strong> at a council office." in page
    assert "Back to their record" in page and "end the call" in page
    assert 'role="region" aria-label="Helping a caller"' in page
    assert "Start now for Jane Caller" in page
    # The agent's visits to the resident pages for the caller are not web page views.
    views = Interaction.objects.filter(type=InteractionType.PAGE_VIEW, path=start)
    assert views.count() == 1 and views.get().user_id == agent.pk

    own = Client()
    own.force_login(resident)
    assert "You are helping" not in own.get(start).content.decode()


def test_the_residents_case_page_says_it_was_submitted_for_them(web, agent, resident):
    missed_bin_form()
    _take_call(web, agent, resident)
    draft = form_start(web, "missed-bin")
    _send_missed_bin(web, draft)
    case = Submission.objects.get().case

    own = Client()
    own.force_login(resident)
    page = own.get(reverse("cases:detail", kwargs={"reference": case.reference})).content.decode()
    day = dateformat.format(timezone.localtime(case.created_at), "j F Y")
    assert f"Submitted for you by phone on {day}." in page


def test_a_case_the_resident_sent_online_has_no_such_note(web, resident):
    missed_bin_form()
    web.force_login(resident)
    draft = form_start(web, "missed-bin")
    _send_missed_bin(web, draft)
    case = Submission.objects.get().case
    page = web.get(reverse("cases:detail", kwargs={"reference": case.reference})).content.decode()
    assert "Submitted for you" not in page


def test_a_draft_started_before_the_caller_is_identified_becomes_theirs_on_the_call(web, agent, resident):
    missed_bin_form()
    call = _take_call(web, agent)
    draft = form_start(web, "missed-bin")
    assert web.post(step_url(draft, 1), {"bin_type": "Recycling"}).status_code == 302
    call_caller_set(call=call, resident=resident)
    call_identity_confirm(call=call, method=IdentityCheck.REFERENCE_AND_POSTCODE)

    assert web.get(step_url(draft, 3)).status_code == 200
    draft.refresh_from_db()
    assert draft.user == resident and draft.session_key == "" and draft.answers == {"bin_type": "Recycling"}
    started = StaffAccess.objects.get(resident=resident, action=StaffAccessAction.FORM_STARTED)
    assert started.call == call.pk and started.staff == agent and started.detail == "Report a missed bin"


def test_the_agent_uploads_the_callers_file_and_can_open_it_only_on_the_call(web, agent, resident):
    form_build(
        slug="parking-permit",
        title="Apply for a parking permit",
        steps=[
            step(
                "Proof of address",
                question("file", "proof", "Upload proof of address", allowed_types=["pdf"]),
            )
        ],
    )
    call = _take_call(web, agent, resident)
    draft = form_start(web, "parking-permit")
    pdf = SimpleUploadedFile("bill.pdf", PDF, content_type="application/pdf")
    assert web.post(step_url(draft, 1), {"proof": pdf}).status_code == 302
    upload = Upload.objects.get()
    assert upload.user == resident and upload.draft_id == draft.pk
    download = reverse("forms_engine:upload", kwargs={"pk": upload.pk})
    assert download in web.get(check_url(draft)).content.decode()
    assert web.get(download).status_code == 200

    call_end(call=call)
    assert web.get(download).status_code == 404


def test_a_draft_an_agent_started_and_left_is_abandoned_on_the_calls_channel(web, agent, resident):
    missed_bin_form()
    _take_call(web, agent, resident)
    web.post(reverse("forms_engine:start", kwargs={"slug": "missed-bin"}))
    draft = Draft.objects.get()
    later = timezone.now() + timedelta(days=2)
    assert drafts_abandoned_record(now=later) == 1
    abandon = Interaction.objects.get(type=InteractionType.FORM_ABANDON)
    # Not a web abandonment: the measures and the form's statistics count web ones only.
    assert (abandon.channel, abandon.staff, abandon.person_key) == (Channel.PHONE, agent, resident.person_key)
    assert draft.user == resident
