"""Text messages residents send to the council's number: the fake Notify posts them to the
portal over real HTTP (``live_server``); the portal stores each once and a task lands it on the
resident's case waiting for them, sends it to the contact centre, or honours STOP and START."""

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import CaseEvent
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import Interaction
from portal.lib.personal_data import parts
from portal.notifications.checks import notify_settings_check
from portal.notifications.constants import InboundOutcome
from portal.notifications.inbound import inbound_keyword, inbound_text_process, inbound_texts_requeue
from portal.notifications.models import InboundText, SmsOptOut
from portal.notifications.selectors import inbound_texts_to_triage, sms_opted_out
from portal.notifications.services import message_send, sms_stopped
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "an-inbound-callback-token-0123456789"
INBOUND = "/notifications/callbacks/notify/inbound/"
PHONE = "07700 900123"


@pytest.fixture
def notify(fake_notify, settings):
    settings.NOTIFY_INBOUND_CALLBACK_TOKEN = TOKEN
    settings.NOTIFY_CALLBACK_TOKEN = "the-receipts-token-0123456789"
    return fake_notify


@pytest.fixture
def resident():
    return UserFactory(email="sam@example.org", full_name="Sam Jones", phone=PHONE)


def _post(live_server, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(live_server.url + INBOUND, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _resident_messages(case):
    return list(CaseEvent.objects.filter(case=case, type=EventType.RESIDENT_MESSAGE).order_by("pk"))


def test_a_reply_lands_on_the_most_recent_case_awaiting_the_resident(notify, live_server, resident):
    older = case_make(resident=resident, status="awaiting_resident")
    newer = case_make(resident=resident, status="awaiting_resident")
    in_progress = case_make(resident=resident, status="in_progress")

    # Notify sends the number international, without its +.
    code, body = notify.post_inbound(live_server.url, "+44 7700 900123", "The blue bin, by the gate", TOKEN)

    assert (code, body) == (200, b'{"stored": true}')
    text = InboundText.objects.get()
    assert (text.outcome, text.user, text.case) == (InboundOutcome.CASE, resident, newer)
    assert text.source_number == "447700900123" and text.phone_digits == "07700900123"
    (event,) = _resident_messages(newer)
    assert event.message == "The blue bin, by the gate"
    assert event.data["channel"] == "sms" and event.actor == resident
    assert text.case_event == event
    newer.refresh_from_db()
    older.refresh_from_db()
    # A reply by text moves the case on as a reply online does.
    assert newer.status == CaseStatus.IN_PROGRESS
    assert older.status == CaseStatus.AWAITING_RESIDENT
    assert not _resident_messages(older) and not _resident_messages(in_progress)
    received = Interaction.objects.get(type=InteractionType.MESSAGE_RECEIVED)
    assert (received.channel, received.user, received.case_reference, received.outcome) == (
        Channel.SMS,
        resident,
        newer.reference,
        "case",
    )
    assert Interaction.objects.get(type=InteractionType.CASE_MESSAGE).channel == Channel.SMS


def test_the_resident_sees_it_came_by_text(notify, live_server, resident, client):
    case = case_make(resident=resident, status="awaiting_resident")
    notify.post_inbound(live_server.url, PHONE, "Yes, Thursday is fine", TOKEN)

    client.force_login(resident)
    page = client.get(f"/my-account/cases/{case.reference}/").text
    assert "Yes, Thursday is fine" in page
    assert "By text message" in page


def test_without_a_case_waiting_it_goes_to_the_contact_centre(notify, live_server, resident):
    case = case_make(resident=resident, status="in_progress")

    notify.post_inbound(live_server.url, PHONE, "When will you come?", TOKEN)

    text = InboundText.objects.get()
    assert (text.outcome, text.user, text.case) == (InboundOutcome.TRIAGE, resident, None)
    assert list(inbound_texts_to_triage()) == [text]
    assert not _resident_messages(case)
    received = Interaction.objects.get(type=InteractionType.MESSAGE_RECEIVED)
    assert (received.channel, received.user, received.case_reference, received.outcome) == (
        Channel.SMS,
        resident,
        "",
        "triage",
    )


def test_an_unknown_number_goes_to_the_contact_centre(notify, live_server, resident):
    notify.post_inbound(live_server.url, "07700 900999", "Is the tip open on Sunday?", TOKEN)

    text = InboundText.objects.get()
    assert (text.outcome, text.user) == (InboundOutcome.TRIAGE, None)
    received = Interaction.objects.get(type=InteractionType.MESSAGE_RECEIVED)
    assert (received.channel, received.user) == (Channel.SMS, None)


def test_a_number_two_residents_have_goes_to_triage_unmatched(notify, live_server):
    """A shared phone, or a number someone else typed: the text could be either's."""
    first = UserFactory(phone="07700900123")
    second = UserFactory(phone="+447700900123")
    case_make(resident=second, status="awaiting_resident")
    case_make(resident=first, status="awaiting_resident")

    notify.post_inbound(live_server.url, PHONE, "Here you are", TOKEN)

    text = InboundText.objects.get()
    assert (text.user, text.case, text.outcome) == (None, None, InboundOutcome.TRIAGE)


@pytest.mark.parametrize(
    "word", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit"]
)
def test_stop_is_honoured_and_nothing_else_done(notify, live_server, resident, word):
    case = case_make(resident=resident, status="awaiting_resident")
    stopped = []

    def receiver(sender, **kwargs):
        stopped.append(kwargs)

    sms_stopped.connect(receiver)
    try:
        notify.post_inbound(live_server.url, PHONE, word, TOKEN)
    finally:
        sms_stopped.disconnect(receiver)

    text = InboundText.objects.get()
    assert (text.outcome, text.case) == (InboundOutcome.STOP, None)
    assert sms_opted_out(PHONE)
    assert stopped == [{"signal": sms_stopped, "phone": "447700900123", "phone_digits": "07700900123"}]
    assert not _resident_messages(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RESIDENT
    assert Interaction.objects.get(type=InteractionType.MESSAGE_RECEIVED).outcome == "stop"


def test_after_stop_texts_fall_back_to_email_and_start_allows_them_again(notify, live_server):
    texter = UserFactory(email="sam@example.org", phone=PHONE, contact_preference="sms")
    notify.post_inbound(live_server.url, PHONE, "STOP", TOKEN)

    sent = message_send(key="notifications/text_reply", context={"message": "Hello"}, user=texter)
    assert sent.channel == "email"
    assert message_send(key="notifications/text_reply", context={"message": "Hi"}, phone=PHONE) is None

    notify.post_inbound(live_server.url, PHONE, "START", TOKEN)

    assert not sms_opted_out(PHONE)
    sent = message_send(key="notifications/text_reply", context={"message": "Hello"}, user=texter)
    assert sent.channel == "sms"


def test_a_late_stop_never_undoes_a_later_start(notify, live_server):
    now = datetime.now(UTC)
    start_id, stop_id = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    # START was sent after STOP, but reaches the portal first.
    notify.post_inbound(live_server.url, PHONE, "START", TOKEN, notify_id=start_id, date_received=now)
    notify.post_inbound(
        live_server.url, PHONE, "STOP", TOKEN, notify_id=stop_id, date_received=now - timedelta(minutes=5)
    )

    assert not sms_opted_out(PHONE)
    assert not SmsOptOut.objects.exists()


def test_out_of_order_replies_land_on_the_same_case(notify, live_server, resident):
    case = case_make(resident=resident, status="awaiting_resident")
    now = datetime.now(UTC)
    # The second part arrives first and moves the case on; the first part still joins it.
    notify.post_inbound(live_server.url, PHONE, "It is by the gate.", TOKEN, date_received=now)
    notify.post_inbound(
        live_server.url, PHONE, "The bin is blue.", TOKEN, date_received=now - timedelta(minutes=1)
    )

    assert [e.message for e in _resident_messages(case)] == ["It is by the gate.", "The bin is blue."]
    assert set(InboundText.objects.values_list("outcome", flat=True)) == {InboundOutcome.CASE}
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_repeated_callback_is_stored_and_acted_on_once(notify, live_server, resident):
    case = case_make(resident=resident, status="awaiting_resident")
    notify_id = "33333333-3333-4333-8333-333333333333"

    first = notify.post_inbound(live_server.url, PHONE, "Here", TOKEN, notify_id=notify_id)
    second = notify.post_inbound(live_server.url, PHONE, "Here", TOKEN, notify_id=notify_id)

    assert first == (200, b'{"stored": true}')
    assert second == (200, b'{"stored": false}')
    assert InboundText.objects.count() == 1
    assert len(_resident_messages(case)) == 1
    assert Interaction.objects.filter(type=InteractionType.MESSAGE_RECEIVED).count() == 1
    # Processing it again (a task retried) changes nothing.
    text = InboundText.objects.get()
    inbound_text_process(inbound_id=text.pk)
    assert len(_resident_messages(case)) == 1


@pytest.mark.parametrize("token", ["wrong-token", "", "the-receipts-token-0123456789"])
def test_a_forged_callback_is_refused_and_nothing_stored(notify, live_server, resident, token):
    code, _ = notify.post_inbound(live_server.url, PHONE, "STOP", token)

    assert code == 401
    assert not InboundText.objects.exists()
    assert not sms_opted_out(PHONE)


def test_the_receipts_token_serves_when_no_inbound_token_is_set(fake_notify, live_server, settings):
    settings.NOTIFY_INBOUND_CALLBACK_TOKEN = ""
    settings.NOTIFY_CALLBACK_TOKEN = "the-receipts-token-0123456789"

    code, _ = fake_notify.post_inbound(live_server.url, PHONE, "Hello", "the-receipts-token-0123456789")

    assert code == 200
    assert InboundText.objects.count() == 1
    assert [m.id for m in notify_settings_check()] == []


def test_without_any_token_the_url_is_not_there(fake_notify, live_server, settings):
    settings.NOTIFY_INBOUND_CALLBACK_TOKEN = ""
    settings.NOTIFY_CALLBACK_TOKEN = ""

    code, _ = fake_notify.post_inbound(live_server.url, PHONE, "Hello", "")

    assert code == 404
    assert not InboundText.objects.exists()
    assert "notifications.W004" in [m.id for m in notify_settings_check()]


def test_bad_json_missing_fields_and_oversized_bodies_are_refused(notify, live_server):
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    assert _post(live_server, b"{not json", auth) == 400
    assert _post(live_server, b"[]", auth) == 400
    assert _post(live_server, json.dumps({"id": "x", "message": "Hi"}).encode(), auth) == 400
    assert _post(live_server, json.dumps({"id": "x", "source_number": "447700900123"}).encode(), auth) == 400
    big = {"id": "x", "source_number": "447700900123", "message": "x" * 70_000}
    assert _post(live_server, json.dumps(big).encode(), auth) == 413
    assert not InboundText.objects.exists()


@pytest.mark.parametrize(
    ("message", "keyword"),
    [("STOP", "stop"), ("stop!", "stop"), ("Start", "start"), ("Please stop", ""), ("stopped", ""), ("", "")],
)
def test_keywords_only_on_their_own(message, keyword):
    assert inbound_keyword(message) == keyword


def test_the_texts_are_in_the_residents_data_export(notify, live_server, resident):
    notify.post_inbound(live_server.url, PHONE, "Is my bin coming?", TOKEN)

    part = next(part for part in parts() if part.name == "text_messages")

    assert part.exported(resident).data[0]["message"] == "Is my bin coming?"
    part.erase(resident)
    assert not InboundText.objects.exists()


def test_a_text_whose_processing_was_lost_is_queued_again_by_the_housekeeping(resident):
    case = case_make(resident=resident, status="awaiting_resident")
    # Stored, but its task never ran (a worker stopped).
    text = InboundText.objects.create(
        notify_id="lost-1",
        source_number="447700900123",
        phone_digits="07700900123",
        message="Sorry for the delay",
        date_received=datetime.now(UTC),
    )

    assert inbound_texts_requeue() == 0  # too soon: its task may still be on the way
    assert inbound_texts_requeue(now=datetime.now(UTC) + timedelta(minutes=11)) == 1

    text.refresh_from_db()
    assert (text.outcome, text.case) == (InboundOutcome.CASE, case)
    assert inbound_texts_requeue(now=datetime.now(UTC) + timedelta(minutes=11)) == 0
