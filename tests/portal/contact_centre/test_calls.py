"""Taking a call in the admin: who may, finding and identifying the caller, the resident
record, acting for them (audited, with the call), and closing the call prefilled from what
they did online."""

import re
import uuid
from datetime import timedelta

import pytest

from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import IdentityCheck, StaffAccessAction
from accounts.models import RecordLink, StaffAccess, User
from accounts.services import resident_record_create, support_needs_update
from forms_engine.models import Draft
from payments.models import PaymentLink
from portal.contact_centre.models import Call
from portal.contact_centre.services import CALL_HOURS, CODE_ATTEMPTS, SESSION_CALL
from portal.interactions.constants import AvoidableCategory, Channel, InteractionType
from portal.interactions.models import Interaction
from portal.interactions.services import assisted_contact_record
from portal.notifications.models import Notification
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.accounts.signin import sign_in
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import form_start, step_url
from tests.payments.factories import bill_make, fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

HOUSEHOLD_WASTE = 524
START = reverse("contact_centre:call_start")
FIND = reverse("contact_centre:call_find")
RECORD = reverse("contact_centre:record")
RECORD_EDIT = reverse("contact_centre:record_edit")
RECORD_CREATE = reverse("contact_centre:record_create")
FORMS = reverse("contact_centre:call_forms")
CLOSE = reverse("contact_centre:call_close")
UNKNOWN = reverse("contact_centre:call_unknown")
PAYMENT_LINK = reverse("contact_centre:payment_link")


def identify_url(resident) -> str:
    return reverse("contact_centre:call_identify", kwargs={"resident_id": resident.pk})


@pytest.fixture
def resident():
    user = UserFactory(
        email="pat.lee@example.org",
        full_name="Pat Lee",
        phone="07700900982",
        address_line_1="12 Acacia Avenue",
        town="Anytown",
        postcode="AB1 2DE",
    )
    return user


@pytest.fixture
def agent():
    return staff_in("Contact centre", full_name="Alex Agent")


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def desk(agent) -> Client:
    return signed_in(agent)


def take_call(client, channel: str = Channel.PHONE) -> Call:
    response = client.post(START, {"channel": channel})
    assert response.status_code == 302 and response["Location"] == FIND, response.content.decode()[:2000]
    return Call.objects.get(pk=client.session[SESSION_CALL])


def choose(client, resident):
    response = client.post(identify_url(resident), {"action": "choose"})
    assert response.status_code == 302 and response["Location"] == identify_url(resident)


def identify(client, resident, method: str = IdentityCheck.REFERENCE_AND_POSTCODE):
    choose(client, resident)
    response = client.post(identify_url(resident), {"action": "confirm", "method": method})
    assert response.status_code == 302 and response["Location"] == RECORD, response.content.decode()[:2000]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Who may --------------------------------------------------------------------------------------


def every_url(resident) -> list[tuple[str, str]]:
    return [
        ("get", START),
        ("post", START),
        ("get", FIND),
        ("get", identify_url(resident)),
        ("post", identify_url(resident)),
        ("get", RECORD),
        ("get", RECORD_EDIT),
        ("post", RECORD_EDIT),
        ("get", RECORD_CREATE),
        ("post", RECORD_CREATE),
        ("get", FORMS),
        ("get", reverse("contact_centre:draft_resume", kwargs={"draft": uuid.uuid4()})),
        ("post", reverse("contact_centre:draft_resume", kwargs={"draft": uuid.uuid4()})),
        ("post", PAYMENT_LINK),
        ("get", UNKNOWN),
        ("post", UNKNOWN),
        ("get", CLOSE),
        ("post", CLOSE),
    ]


@pytest.mark.parametrize("who", ["case officer", "editor", "service manager", "resident", "anonymous"])
def test_only_contact_centre_agents_reach_the_call_screens(who, resident):
    people = {
        "case officer": lambda: signed_in(staff_in("Case officers")),
        "editor": lambda: signed_in(staff_in("Editors")),
        "service manager": lambda: signed_in(staff_in("Service managers")),
        "resident": lambda: signed_in(UserFactory()),
        "anonymous": Client,
    }
    client = people[who]()
    for method, url in every_url(resident):
        response = getattr(client, method)(url, {"channel": "phone", "action": "choose"})
        if who in ("resident", "anonymous"):
            assert response.status_code in (302, 403), (method, url)
            if response.status_code == 302:
                assert "login" in response["Location"] or response["Location"] == "/", (method, url)
        else:  # Wagtail's refusal: 403, or back to the dashboard with "no permission"
            refused = response.status_code == 403 or response.get("Location") == "/admin/"
            assert refused, (method, url, response.status_code)
        assert "Pat Lee" not in response.content.decode()
    assert not Call.objects.exists()
    assert not StaffAccess.objects.exists()


def test_an_agent_and_a_superuser_reach_them_and_only_agents_see_the_menu_item(desk):
    response = desk.get(START)
    assert response.status_code == 200
    assert "Take a call" in response.content.decode()
    superuser = signed_in(StaffFactory(is_superuser=True))
    assert superuser.get(START).status_code == 200
    officer = signed_in(staff_in("Case officers"))
    assert reverse("contact_centre:call_start") not in officer.get("/admin/").content.decode()
    assert reverse("contact_centre:call_start") in desk.get("/admin/").content.decode()


def test_without_a_call_the_agent_is_sent_to_take_one_and_one_call_at_a_time(desk, resident, agent):
    for url in (FIND, RECORD, FORMS, CLOSE, identify_url(resident)):
        response = desk.get(url)
        assert response.status_code == 302 and response["Location"] == START, url
    call = take_call(desk)
    assert (call.staff, call.channel, call.resident) == (agent, Channel.PHONE, None)

    response = desk.post(START, {"channel": "face_to_face"})
    assert response.status_code == 200
    assert "Finish your current call first" in text(response)
    assert Call.objects.count() == 1
    page = text(desk.get(START))
    assert "You are on a call" in page and "Carry on with this call" in page and "Close this call" in page


def test_another_agents_call_is_never_usable(desk, resident):
    call = take_call(desk)
    other = signed_in(staff_in("Contact centre"))
    session = other.session
    session[SESSION_CALL] = str(call.pk)
    session.save()
    assert other.get(FIND)["Location"] == START
    other.post(identify_url(resident), {"action": "choose"})
    call.refresh_from_db()
    assert call.resident is None


# --- Finding the caller ----------------------------------------------------------------------------


def test_one_box_finds_the_caller_by_each_key_and_shows_only_name_postcode_and_last_contact(
    desk, resident, agent
):
    case = case_make(resident=resident, reference_prefix="BWC")
    bill = bill_make(reference="INV-204518", payer_name="Pat Lee", postcode="AB1 2DE")
    namesake = UserFactory(full_name="Pat Leeson", postcode="ZZ9 9ZZ", phone="01632960001")
    StaffFactory(full_name="Pat Lee-Staff")
    contact = assisted_contact_record(
        staff=agent,
        channel=Channel.PHONE,
        service_code=HOUSEHOLD_WASTE,
        reason_code="8",
        avoidable=False,
        resolved_first_contact=True,
        resident=resident,
    )
    take_call(desk)
    expected = {
        "pat lee": {resident, namesake},
        "PAT.LEE@EXAMPLE.ORG": {resident},
        "+44 7700 900982": {resident},
        "ab12de": {resident},
        case.reference.lower(): {resident},
        bill.reference: {resident},
    }
    for query, people in expected.items():
        response = desk.post(FIND, {"q": query})
        assert response.status_code == 200
        found = {match.pk for match in response.context["results"]}
        assert found == {person.pk for person in people}, query

    response = desk.post(FIND, {"q": "AB1 2DE"})
    [match] = response.context["results"]
    assert (match.name, match.postcode) == ("Pat Lee", "AB1 2DE")
    # The latest of their events and case updates: the assisted contact just recorded.
    assert match.last_contact == max(contact.occurred_at, case.updated_at)
    page = text(response)
    assert "Pat Lee" in page and "AB1 2DE" in page
    for private in ("pat.lee@example.org", "07700", "Acacia", "Anytown"):
        assert private not in page
    assert "Create a record for the caller" in page and "Help without identifying them" in page
    assert "Lee-Staff" not in text(desk.post(FIND, {"q": "Pat"}))
    assert not StaffAccess.objects.exists()


def test_an_empty_search_says_what_to_enter(desk):
    take_call(desk)
    response = desk.post(FIND, {"q": "  "})
    assert "Enter a name, email, phone number, postcode or reference" in text(response)


# --- Identifying them ------------------------------------------------------------------------------


def test_the_record_opens_only_after_identity_is_checked_and_the_opening_is_audited(desk, resident, agent):
    support_needs_update(user=resident, needs=["bsl"], details="Prefers video relay")
    call = take_call(desk)
    choose(desk, resident)
    call.refresh_from_db()
    assert call.resident == resident and not call.identity_checked

    response = desk.get(RECORD)
    assert response.status_code == 302 and response["Location"] == identify_url(resident)
    page = text(desk.get(identify_url(resident)))
    assert "Pat Lee" in page and "AB1 2DE" in page
    assert "pat.lee@example.org" not in page and "Acacia" not in page and "p***@example.org" in page
    assert not StaffAccess.objects.exists()

    response = desk.post(identify_url(resident), {"action": "confirm"})
    assert "Choose how you checked who the caller is" in text(response)

    # Photo ID is seen only at a desk: not offered, and refused, on a phone call.
    assert "Photo identification" not in text(desk.get(identify_url(resident)))
    response = desk.post(identify_url(resident), {"action": "confirm", "method": IdentityCheck.ID_SEEN})
    assert "Choose how you checked who the caller is" in text(response)
    assert not StaffAccess.objects.exists()

    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    [entry] = StaffAccess.objects.all()
    assert (entry.resident, entry.staff, entry.action, entry.identity, entry.call, entry.channel) == (
        resident,
        agent,
        StaffAccessAction.RECORD_OPENED,
        IdentityCheck.ADDRESS_AND_CONTACT,
        call.pk,
        Channel.PHONE,
    )
    page = text(desk.get(RECORD))
    assert page.index("Support needs") < page.index("Contact details")
    assert "British Sign Language" in page and "Prefers video relay" in page
    assert "pat.lee@example.org" in page and "12 Acacia Avenue" in page and "07700 900982" in page
    assert "What happened online lately" in page and "Has an account" in page


def test_a_staff_member_is_not_a_caller(desk):
    take_call(desk)
    colleague = StaffFactory()
    assert desk.post(identify_url(colleague), {"action": "choose"}).status_code == 404


def test_identity_by_an_emailed_code_read_back(desk, resident, django_capture_on_commit_callbacks):
    call = take_call(desk)
    choose(desk, resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(identify_url(resident), {"action": "send_code"})
    assert response.status_code == 302
    row = Notification.objects.get(to="pat.lee@example.org")
    [sent] = mail.outbox
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    assert code not in row.body_text and "[code not kept]" in row.body_text  # the outbox keeps no code

    wrong = "000000" if code != "000000" else "111111"
    response = desk.post(identify_url(resident), {"action": "check_code", "code": wrong})
    assert f"The code is not right. Check it with the caller: {CODE_ATTEMPTS - 1} tries left" in text(
        response
    )
    assert desk.get(RECORD).status_code == 302
    assert not StaffAccess.objects.exists()

    response = desk.post(identify_url(resident), {"action": "check_code", "code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 302 and response["Location"] == RECORD
    entry = StaffAccess.objects.get()
    assert (entry.identity, entry.call) == (IdentityCheck.EMAILED_CODE, call.pk)


def test_a_code_entered_wrongly_too_often_stops_working(desk, resident, django_capture_on_commit_callbacks):
    take_call(desk)
    choose(desk, resident)
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(identify_url(resident), {"action": "send_code"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(CODE_ATTEMPTS):
        desk.post(identify_url(resident), {"action": "check_code", "code": wrong})
    response = desk.post(identify_url(resident), {"action": "check_code", "code": code})
    assert "entered wrongly too many times. Send a new one" in text(response)
    assert desk.get(RECORD).status_code == 302
    response = desk.post(identify_url(resident), {"action": "check_code", "code": "12"})
    assert "Enter the 6-digit code the caller reads back to you" in text(response)


# --- Creating a record ----------------------------------------------------------------------------


def test_a_record_for_a_caller_with_no_email(desk, agent):
    call = take_call(desk)
    answers = {
        "full_name": "Sam Jones",
        "phone": "01632 960 001",
        "address_line_1": "3 Mill Lane",
        "town": "Anytown",
        "postcode": "ab12de",
        "contact_email": "",
        "contact_preference": "email",
    }
    response = desk.post(RECORD_CREATE, answers)
    assert "Enter an email address for messages, or choose another way to contact them" in text(response)
    response = desk.post(RECORD_CREATE, {**answers, "postcode": "", "contact_preference": "phone"})
    assert "Choose how the caller wants us to contact them" in text(response)
    response = desk.post(RECORD_CREATE, {**answers, "postcode": "", "contact_preference": "post"})
    assert "Enter postcode" in text(response)
    assert not User.objects.filter(full_name="Sam Jones").exists()

    response = desk.post(RECORD_CREATE, {**answers, "contact_preference": "post"})
    assert response.status_code == 302 and response["Location"] == RECORD
    sam = User.objects.get(full_name="Sam Jones")
    assert (sam.has_account, sam.email, sam.phone, sam.postcode, sam.created_by) == (
        False,
        None,
        "01632960001",
        "AB1 2DE",
        agent,
    )
    call.refresh_from_db()
    assert (call.resident, call.identity) == (sam, IdentityCheck.ADDRESS_AND_CONTACT)
    assert list(StaffAccess.objects.filter(call=call.pk).order_by("pk").values_list("action", flat=True)) == [
        StaffAccessAction.RECORD_CREATED,
        StaffAccessAction.RECORD_OPENED,
    ]
    page = text(desk.get(RECORD))
    assert "No account (record kept by the contact centre)" in page and "3 Mill Lane" in page


# --- Acting for them, and closing the call ----------------------------------------------------------


@pytest.fixture
def missed_bin():
    return missed_bin_form(sign_in="optional", service_id=HOUSEHOLD_WASTE)


def stopped_at_address_yesterday(resident) -> Draft:
    """The resident starts the missed-bin form online, answers "which bin" and leaves it."""
    client = Client()
    client.force_login(resident)
    draft = form_start(client, "missed-bin")
    assert client.post(step_url(draft, 1), {"bin_type": "General waste"}).status_code == 302
    yesterday = timezone.now() - timedelta(days=1)
    Interaction.objects.filter(journey="missed-bin").update(occurred_at=yesterday)
    Draft.objects.filter(pk=draft.pk).update(updated_at=yesterday, created_at=yesterday)
    return Draft.objects.get(pk=draft.pk)


def test_resuming_a_draft_needs_the_callers_consent(desk, resident, missed_bin):
    draft = stopped_at_address_yesterday(resident)
    someone_elses = stopped_at_address_yesterday(UserFactory())
    call = take_call(desk)
    identify(desk, resident)
    url = reverse("contact_centre:draft_resume", kwargs={"draft": draft.pk})
    record = text(desk.get(RECORD))
    assert "Report a missed bin" in record and url in record

    assert desk.get(url).status_code == 200
    response = desk.post(url, {})
    assert "Confirm the caller agrees to carry on with the form they started" in text(response)
    assert not StaffAccess.objects.filter(action=StaffAccessAction.DRAFT_RESUMED).exists()

    response = desk.post(url, {"consent": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "forms_engine:resume_draft", kwargs={"slug": "missed-bin", "draft": draft.pk}
    )
    entry = StaffAccess.objects.get(action=StaffAccessAction.DRAFT_RESUMED)
    assert (entry.call, entry.resident, entry.detail) == (call.pk, resident, "Report a missed bin")

    other = reverse("contact_centre:draft_resume", kwargs={"draft": someone_elses.pk})
    assert desk.get(other).status_code == 404
    assert desk.post(other, {"consent": "on"}).status_code == 404


def test_the_forms_list_offers_live_forms_as_buttons_to_start(desk, resident, missed_bin):
    take_call(desk)
    response = desk.post(UNKNOWN)
    assert response.status_code == 302 and response["Location"] == FORMS
    page = text(desk.get(FORMS))
    start = reverse("forms_engine:start", kwargs={"slug": "missed-bin"})
    assert f'action="{start}"' in page and "not identified" in page


def test_a_form_started_for_the_identified_caller_is_theirs_and_audited_with_the_call(
    desk, resident, missed_bin
):
    call = take_call(desk)
    identify(desk, resident)
    start = reverse("forms_engine:start", kwargs={"slug": "missed-bin"})
    assert f'action="{start}"' in text(desk.get(FORMS))
    response = desk.post(start)
    assert response.status_code == 302 and "/step/1/" in response["Location"]
    draft = Draft.objects.get()
    assert draft.user == resident
    entry = StaffAccess.objects.get(action=StaffAccessAction.FORM_STARTED)
    assert (entry.call, entry.resident) == (call.pk, resident)


def test_changing_contact_details_is_audited(desk, resident):
    call = take_call(desk)
    identify(desk, resident)
    details = {
        "full_name": "Pat Lee",
        "phone": "07700 900 123",
        "address_line_1": "12 Acacia Avenue",
        "address_line_2": "",
        "town": "Anytown",
        "postcode": "AB1 2DE",
        "contact_preference": "sms",
    }
    response = desk.post(RECORD_EDIT, {**details, "phone": "01632 960 001"})
    assert "Enter a UK mobile number" in text(response)
    response = desk.post(RECORD_EDIT, details)
    assert response.status_code == 302 and response["Location"] == RECORD
    resident.refresh_from_db()
    assert (resident.phone, resident.contact_preference) == ("07700900123", "sms")
    assert StaffAccess.objects.filter(call=call.pk, action=StaffAccessAction.RECORD_UPDATED).count() == 1


def test_a_payment_link_by_email_or_the_payment_page_at_a_desk(
    desk, resident, django_capture_on_commit_callbacks
):
    case, payment = fee_case(resident=resident, amount_pence=3500)
    theirs, other_payment = fee_case(resident=UserFactory(), amount_pence=3500)
    call = take_call(desk)
    identify(desk, resident)
    page = text(desk.get(RECORD))
    assert "Bulky waste collection" in page and "£35" in page and "Send a payment link" in page
    assert "Open payment page" not in page  # on the phone: the caller pays on their own device

    assert desk.post(PAYMENT_LINK, {"payment": other_payment.pk, "action": "send"}).status_code == 404
    assert desk.post(PAYMENT_LINK, {"payment": payment.pk, "action": "open"})["Location"] == RECORD
    assert not PaymentLink.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(PAYMENT_LINK, {"payment": payment.pk, "action": "send"})
    assert response.status_code == 302 and response["Location"] == RECORD
    link = PaymentLink.objects.get()
    assert (link.payment, link.user, link.sent_to) == (payment, resident, "pat.lee@example.org")
    assert Notification.objects.filter(to="pat.lee@example.org", template="payments/payment_link").exists()
    entry = StaffAccess.objects.get(action=StaffAccessAction.PAYMENT_LINK_SENT)
    assert (entry.call, entry.detail) == (call.pk, payment.reference)
    assert "Sent" in text(desk.get(RECORD))  # the link's status, until it is paid


def test_at_a_desk_the_agent_opens_the_payment_page_for_the_resident(desk, resident):
    case, payment = fee_case(resident=resident, amount_pence=3500)
    call = take_call(desk, Channel.FACE_TO_FACE)
    identify(desk, resident, IdentityCheck.ID_SEEN)
    assert "Open payment page" in text(desk.get(RECORD))
    response = desk.post(PAYMENT_LINK, {"payment": payment.pk, "action": "open"})
    assert response.status_code == 302 and response["Location"].startswith("/pay/")
    entry = StaffAccess.objects.get(action=StaffAccessAction.PAYMENT_PAGE_OPENED)
    assert (entry.call, entry.detail) == (call.pk, payment.reference)


def test_a_record_kept_without_an_account_can_be_offered_to_the_callers_account(desk, resident, agent):
    record = resident_record_create(
        staff=agent, full_name="Pat Lee", phone="07700 900982", contact_preference="sms"
    )
    stranger = resident_record_create(staff=agent, full_name="Kim Park", phone="01632 960 001")
    call = take_call(desk)
    identify(desk, resident)
    page = text(desk.get(RECORD))
    assert "Offer it to their account" in page and "Kim Park" not in page
    offer = reverse("contact_centre:record_link")
    assert desk.post(offer, {"record": stranger.pk}).status_code == 404
    response = desk.post(offer, {"record": record.pk})
    assert response.status_code == 302 and response["Location"] == RECORD
    link = RecordLink.objects.get()
    assert (link.record, link.account, link.proposed_by) == (record, resident, agent)
    assert StaffAccess.objects.filter(call=call.pk, resident=resident, action="record_link_offered").exists()


def test_closing_the_call_is_prefilled_from_the_web_and_links_every_audit_entry(
    desk, resident, missed_bin, agent, django_capture_on_commit_callbacks
):
    stopped_at_address_yesterday(resident)
    call = take_call(desk)
    identify(desk, resident)
    desk.post(
        RECORD_EDIT,
        {
            "full_name": "Pat Lee",
            "phone": "07700900982",
            "address_line_1": "14 Acacia Avenue",
            "town": "Anytown",
            "postcode": "AB1 2DE",
            "contact_preference": "email",
        },
    )
    case = case_make(resident=resident, service_code=HOUSEHOLD_WASTE)

    response = desk.get(CLOSE)
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["service_code"], initial["tried_online"], initial["avoidable"]) == (
        HOUSEHOLD_WASTE,
        "yes",
        "yes",
    )
    assert initial["avoidable_category"] == AvoidableCategory.FAILED_ONLINE
    assert "Report a missed bin" in text(response)  # why it was prefilled

    answers = {
        "service_code": str(HOUSEHOLD_WASTE),
        "reason_code": "8",
        "tried_online": "yes",
        "avoidable": "yes",
        "avoidable_category": AvoidableCategory.FAILED_ONLINE,
        "resolved_first_contact": "yes",
        "case": str(case.pk),
        "notes": "Reported the missed bin for them",
        "online_help": "on",
        "online_help_url": f"{settings.SITE_URL}/bins/missed/",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(CLOSE, answers)
    assert response.status_code == 302 and response["Location"] == START
    assert SESSION_CALL not in desk.session

    contact = Interaction.objects.get(type=InteractionType.ASSISTED_CONTACT)
    assert (contact.channel, contact.service_code, contact.user, contact.staff, contact.case_reference) == (
        Channel.PHONE,
        HOUSEHOLD_WASTE,
        resident,
        agent,
        case.reference,
    )
    assert (contact.avoidable, contact.avoidable_category) == (True, AvoidableCategory.FAILED_ONLINE)
    assert contact.extras["tried_online"] is True and contact.extras["call"] == str(call.pk)
    assert case.events.filter(type="assisted_contact").count() == 1

    call.refresh_from_db()
    assert call.ended_at is not None and call.contact_id == contact.pk
    entries = StaffAccess.objects.filter(call=call.pk).order_by("pk")
    assert list(entries.values_list("action", flat=True)) == [
        StaffAccessAction.RECORD_OPENED,
        StaffAccessAction.RECORD_UPDATED,
        StaffAccessAction.CONTACT_RECORDED,
        StaffAccessAction.ONLINE_HELP_SENT,
    ]
    assert {entry.contact_id for entry in entries} == {contact.pk}
    help_email = Notification.objects.get(subject="How to do this online next time")
    assert help_email.to == "pat.lee@example.org"
    assert f"{settings.SITE_URL}/bins/missed/" in help_email.body_text
    assert desk.get(START).status_code == 200 and "You are on a call" not in text(desk.get(START))


def test_closing_the_call_of_a_caller_never_identified(desk, agent):
    call = take_call(desk, Channel.FACE_TO_FACE)
    response = desk.get(CLOSE)
    form = response.context["form"]
    assert "tried_online" not in form.initial and "case" not in form.fields
    response = desk.post(
        CLOSE,
        {
            "service_code": str(HOUSEHOLD_WASTE),
            "reason_code": "8",
            "tried_online": "no",
            "avoidable": "no",
            # A prefilled category cannot be unticked without JavaScript: "No" is enough.
            "avoidable_category": AvoidableCategory.FAILED_ONLINE,
            "resolved_first_contact": "yes",
        },
    )
    assert response.status_code == 302
    contact = Interaction.objects.get(type=InteractionType.ASSISTED_CONTACT)
    assert (contact.channel, contact.user, contact.extras["tried_online"]) == (
        Channel.FACE_TO_FACE,
        None,
        False,
    )
    call.refresh_from_db()
    assert call.contact == contact and not StaffAccess.objects.exists()


def test_the_online_help_link_must_be_a_page_of_the_councils_site(desk, resident):
    take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    response = desk.post(
        CLOSE,
        {
            "service_code": "524",
            "reason_code": "8",
            "tried_online": "no",
            "avoidable": "no",
            "resolved_first_contact": "yes",
            "online_help": "on",
            "online_help_url": "https://phishing.example.net/council/",
        },
    )
    assert response.status_code == 200
    assert "Enter a page of the council’s website" in text(response)
    assert Call.objects.get().ended_at is None


def test_once_a_record_is_open_the_call_stays_that_callers(desk, resident):
    take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    someone_else = UserFactory(full_name="Sam Other", postcode="AB1 2DF")
    response = desk.post(identify_url(someone_else), {"action": "choose"}, follow=True)
    assert "Close this call, then take a new one" in text(response)
    assert Call.objects.get().resident == resident


def test_a_call_left_open_past_a_shift_no_longer_opens_the_record(desk, resident):
    call = take_call(desk)
    identify(desk, resident, IdentityCheck.ADDRESS_AND_CONTACT)
    assert desk.get(RECORD).status_code == 200
    Call.objects.filter(pk=call.pk).update(started_at=timezone.now() - timedelta(hours=CALL_HOURS, minutes=1))
    response = desk.get(RECORD)
    assert response.status_code == 302 and response["Location"] == START


def test_before_making_a_record_the_agent_sees_people_already_known_by_that_phone_or_name(desk, resident):
    take_call(desk)
    answers = {
        "full_name": "Someone Else",
        "phone": "07700 900982",  # Pat Lee's
        "address_line_1": "3 Mill Lane",
        "town": "Anytown",
        "postcode": "AB1 9ZZ",
        "contact_email": "",
        "contact_preference": "post",
    }
    page = text(desk.post(RECORD_CREATE, answers))
    assert "We may already know this caller" in page and "Pat Lee" in page and "AB1 2DE" in page
    assert "Acacia" not in page and "pat.lee@example.org" not in page  # name, postcode, last contact only
    assert not User.objects.filter(full_name="Someone Else").exists()
    same_name = {**answers, "phone": "", "full_name": "pat lee", "postcode": "AB1 2DE"}
    assert "We may already know this caller" in text(desk.post(RECORD_CREATE, same_name))

    response = desk.post(RECORD_CREATE, {**answers, "new_record": "yes"})
    assert response.status_code == 302 and response["Location"] == RECORD
    assert User.objects.get(full_name="Someone Else").has_account is False


def test_identity_by_a_texted_code_read_back(desk, resident, fake_notify, django_capture_on_commit_callbacks):
    call = take_call(desk)
    choose(desk, resident)
    page = text(desk.get(identify_url(resident)))
    assert "Text a code" in page and "the number ending 982" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(identify_url(resident), {"action": "send_code_sms"}, follow=True)
    assert "Code sent to their mobile ending 982" in text(response)
    (sent,) = fake_notify.sent
    assert sent.json["phone_number"] == "07700900982" and not mail.outbox
    code = re.search(r"\b(\d{6})\b", sent.json["personalisation"]["body"]).group(1)
    row = Notification.objects.get(template="contact_centre/call_code")
    assert row.channel == "sms" and code not in row.body_text

    response = desk.post(identify_url(resident), {"action": "check_code", "code": code})
    assert response.status_code == 302 and response["Location"] == RECORD
    entry = StaffAccess.objects.get()
    assert (entry.identity, entry.call) == (IdentityCheck.TEXTED_CODE, call.pk)


def test_no_text_code_for_a_record_without_a_mobile(desk, django_capture_on_commit_callbacks):
    landline = UserFactory(email="lan.line@example.org", full_name="Lan Line", phone="01632960123")
    take_call(desk)
    choose(desk, landline)
    assert "Text a code" not in text(desk.get(identify_url(landline)))
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(identify_url(landline), {"action": "send_code_sms"}, follow=True)
    assert "This resident has no mobile number, so check who they are another way" in text(response)
    assert not Notification.objects.filter(template="contact_centre/call_code").exists()
