"""Each message goes by the channel the person chose, or the next way that can reach them.

The routing matrix (``message_route``): a preference for email, text or post, with that way
missing, reported undeliverable by Notify, or (texts) stopped by a STOP reply. Then each
channel end to end through the fake Notify (tests/fakes/notify_server.py), each message an
interaction on its channel, and a Notify outage on a text retried until it goes, once.
(The outbox's own retry rules are proved in test_notify_provider.py; not repeated here.)
"""

import pytest

from django.test import override_settings

from accounts.constants import SupportNeed
from accounts.services import support_needs_update
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from portal.notifications.constants import NotificationStatus
from portal.notifications.messages import PLACEHOLDER, message_type, message_types
from portal.notifications.models import Notification
from portal.notifications.services import InvalidMessage, message_route, message_send, sms_opt_out
from tests.accounts.factories import UserFactory
from tests.fakes.notify_server import LETTER_TEMPLATE_ID, SMS_TEMPLATE_ID
from tests.portal.notifications.test_notify_provider import KEEP_QUEUED, _queued, _run_queued

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"
ADDRESS = {"address_line_1": "12 High Street", "town": "Eastbury", "postcode": "EB1 2CD"}
KEY = "cases/status_change"
CONTEXT = {"name": "Sam", "reference": "RQ-1", "title": "Missed bin", "status": "in progress", "link": "L"}


def _resident(preference: str = "email", *, phone: str = PHONE, address: bool = True, **kwargs):
    return UserFactory(
        full_name="Sam Jones",
        contact_preference=preference,
        phone=phone,
        **(ADDRESS if address else {}),
        **kwargs,
    )


def _undeliverable(user, channel: str, to: str) -> None:
    """Notify reported a permanent failure on this address (as a receipt would record)."""
    Notification.objects.create(
        user=user,
        channel=channel,
        to=to,
        subject="",
        body_text="x",
        status=NotificationStatus.PERMANENT_FAILURE,
    )


def _missing(user, preference):
    # The account cannot be saved without the way it prefers (a database constraint); an
    # account whose details were erased, or a caller's record, can be in this state in memory.
    if preference == "sms":
        user.phone = ""
    elif preference == "post":
        user.address_line_1 = user.postcode = ""


@pytest.mark.parametrize(
    ("preference", "problem", "expected", "why"),
    [
        ("email", None, "email", ""),
        ("email", "undeliverable", "sms", "the email address could not take messages"),
        ("sms", None, "sms", ""),
        ("sms", "missing", "email", "no phone number"),
        ("sms", "undeliverable", "email", "the phone number could not take texts"),
        ("sms", "stop", "email", "the phone number replied STOP"),
        ("post", None, "letter", ""),
        ("post", "missing", "email", "no postal address"),
    ],
)
def test_the_preferred_channel_first_then_the_next_that_can_reach_them(preference, problem, expected, why):
    user = _resident(preference)
    preferred = {"email": "email", "sms": "sms", "post": "letter"}[preference]
    if problem == "undeliverable":
        _undeliverable(user, preferred, user.email if preferred == "email" else PHONE)
    elif problem == "stop":
        sms_opt_out(phone="+44 7700 900123")  # the same number, as Notify reports it
    elif problem == "missing":
        _missing(user, preference)

    route = message_route(user=user)
    assert route.channel == expected
    assert route.fallback_reason == why


def test_each_way_that_fails_is_skipped_in_turn_and_none_is_left():
    user = _resident("sms", address=False)
    sms_opt_out(phone=PHONE)
    assert message_route(user=user).channel == "email"
    _undeliverable(user, "email", user.email)
    assert message_route(user=user) is None
    user.address_line_1, user.postcode, user.town = "12 High Street", "EB1 2CD", "Eastbury"
    route = message_route(user=user)
    assert route.channel == "letter"
    assert route.fallback_reason == "the phone number replied STOP; the email address could not take messages"


def test_a_message_with_no_wording_for_the_preferred_way_goes_the_next_way(
    django_capture_on_commit_callbacks,
):
    user = _resident("post")
    # A caller's identity code is never posted: someone who prefers post gets it by email.
    notification = message_send(
        key="contact_centre/call_code", context={"code": "123456", "minutes": "10"}, user=user
    )
    assert notification.channel == "email"
    assert "123456" not in notification.body_text  # a secret is kept out of the outbox
    with pytest.raises(InvalidMessage):
        message_send(key="contact_centre/call_code", context={"code": "123456"}, user=user, channel="letter")


def test_a_new_address_clears_the_undeliverable_flag():
    user = _resident("email")
    _undeliverable(user, "email", user.email)
    assert message_route(user=user).channel == "sms"
    user.email = "sam.new@example.org"
    assert message_route(user=user).channel == "email"


def test_large_print_support_makes_a_large_print_letter():
    user = _resident("post")
    support_needs_update(user=user, needs=[SupportNeed.LARGE_PRINT])
    user.refresh_from_db()
    route = message_route(user=user)
    assert (route.channel, route.large_print) == ("letter", True)
    assert route.address_lines == ("Sam Jones", "12 High Street", "Eastbury", "EB1 2CD")
    notification = message_send(key=KEY, context=CONTEXT, user=user)
    assert (notification.channel, notification.large_print) == ("letter", True)


def test_without_an_account_a_message_goes_by_email_or_text_never_by_post():
    assert message_route(user=None, email="a@example.org").channel == "email"
    assert message_route(user=None, phone=PHONE).channel == "sms"
    assert message_route(user=None) is None


def _sent_interaction(notification) -> Interaction:
    return Interaction.objects.get(
        type=InteractionType.MESSAGE_SENT, extras__notification=str(notification.pk)
    )


@pytest.mark.parametrize(("preference", "path"), [("email", "email"), ("sms", "sms"), ("post", "letter")])
def test_each_channel_through_notify_is_an_interaction_on_that_channel(
    fake_notify, django_capture_on_commit_callbacks, preference, path
):
    user = _resident(preference)
    with django_capture_on_commit_callbacks(execute=True):
        notification = message_send(key=KEY, context=CONTEXT, user=user)
    notification.refresh_from_db()
    (sent,) = fake_notify.sent
    assert sent.path == f"/v2/notifications/{path}"
    assert (notification.channel, notification.provider_id) == (path, sent.id)
    assert notification.template_revision_id is not None
    interaction = _sent_interaction(notification)
    assert interaction.channel == path
    assert interaction.user_id == user.pk
    assert interaction.journey == KEY
    if path == "letter":
        assert sent.json["template_id"] == LETTER_TEMPLATE_ID
        personalisation = sent.json["personalisation"]
        assert [personalisation[f"address_line_{n}"] for n in range(1, 5)] == [
            "Sam Jones",
            "12 High Street",
            "Eastbury",
            "EB1 2CD",
        ]
        assert personalisation["subject"] == "Your request RQ-1: in progress"
        assert personalisation["body"].startswith("Dear Sam,")
    if path == "sms":
        assert sent.json["template_id"] == SMS_TEMPLATE_ID
        assert sent.json["phone_number"] == PHONE
        assert "RQ-1 is now in progress" in sent.json["personalisation"]["body"]


def test_a_message_for_staff_only_is_not_an_interaction(django_capture_on_commit_callbacks):
    notification = message_send(key=KEY, context=CONTEXT, user=_resident(), log_interaction=False)
    assert not Interaction.objects.filter(extras__notification=str(notification.pk)).exists()


@override_settings(TASKS=KEEP_QUEUED)
def test_a_notify_outage_on_a_text_is_retried_with_backoff_and_never_lost(
    fake_notify, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_TIMEOUT_SECONDS = 1
    user = _resident("sms")
    with django_capture_on_commit_callbacks(execute=True):
        notification = message_send(key=KEY, context=CONTEXT, user=user)
    fake_notify.fail_next(500, times=2)
    for _attempt in range(2):
        _run_queued()
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.TEMPORARY_FAILURE
        (retry,) = _queued()
        assert retry.task.run_after is not None  # later, not at once
    # Then Notify takes it but answers too late: the next attempt finds it by its reference.
    fake_notify.hang_next(3)
    for _attempt in range(3):
        if not _queued():
            break
        _run_queued()
    notification.refresh_from_db()
    (sent,) = fake_notify.sent
    assert (notification.status, notification.provider_id) == ("sending", sent.id)
    assert _queued() == []
    assert Interaction.objects.filter(extras__notification=str(notification.pk)).count() == 1


def _every_type_and_channel():
    ways = []
    for message in message_types():
        ways.append((message.key, "email", "email"))
        if message.sms_body:
            ways.append((message.key, "sms", "sms"))
        if message.letter_body:
            ways.append((message.key, "post", "letter"))
    return ways


@pytest.mark.parametrize(("key", "preference", "path"), _every_type_and_channel())
def test_every_message_type_goes_by_every_channel_it_offers(
    fake_notify, django_capture_on_commit_callbacks, key, preference, path
):
    """Each kind of message, in its published wording with its example values, reaches Notify on
    each channel it has wording for, with every placeholder filled and its secrets kept out of
    the outbox."""
    message = message_type(key)
    user = _resident(preference)
    with django_capture_on_commit_callbacks(execute=True):
        notification = message_send(key=key, context=dict(message.placeholders), user=user)
    notification.refresh_from_db()
    (sent,) = fake_notify.sent
    assert sent.path == f"/v2/notifications/{path}"
    assert notification.channel == path and notification.template == key
    assert notification.message_template.key == key and notification.template_revision_id
    body = sent.json["personalisation"]["body"]
    assert body.strip() and not PLACEHOLDER.search(body)
    for secret in message.secret_placeholders:
        value = message.placeholders[secret]
        assert value in body  # the person gets it...
        assert value not in notification.body_text  # ...the outbox does not keep it


def test_an_address_the_resident_kept_after_being_asked_is_tried_again():
    from django.utils import timezone

    user = _resident("email")
    _undeliverable(user, "email", user.email)
    assert message_route(user=user).channel == "sms"
    user.contact_check_shown_at = timezone.now()  # asked at sign-in, and kept it
    assert message_route(user=user).channel == "email"
