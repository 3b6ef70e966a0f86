"""The editors' wording of every message (Wagtail: Messages): placeholders, the text message's
length in fragments, the checks an editor sees, the preview, drafts, publishing and history."""

from types import SimpleNamespace

import pytest

from django.urls import reverse

from wagtail.models import Revision

from portal.cases.services import case_transition
from portal.notifications.messages import (
    SMS_MAX_CHARACTERS,
    message_type,
    message_types,
    preview,
    render,
    sms_fragments,
    wording_errors,
)
from portal.notifications.models import MessageTemplate, Notification
from portal.notifications.services import message_send
from tests.accounts.factories import UserFactory, staff_in
from tests.portal.cases.factories import case_make, team_make

KEY = "cases/status_change"
URLS = "wagtailsnippets_notifications_messagetemplate"
pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Sam", "reference": "RQ-1", "title": "Missed bin", "status": "in progress", "link": "L"}


# --- Rendering and counting -------------------------------------------------------------------


def test_placeholders_are_filled_and_an_empty_one_closes_up_its_blank_lines():
    wording = "Hello ((name)),\n\n((message))\n\nYour reference is (( reference )).\n\n((unknown))"
    assert render(wording, {"name": "Sam", "reference": "RQ-1", "message": ""}) == (
        "Hello Sam,\n\nYour reference is RQ-1."
    )


@pytest.mark.parametrize(
    ("text", "characters", "fragments", "unicode"),
    [
        ("", 0, 0, False),
        ("a", 1, 1, False),
        ("a" * 160, 160, 1, False),  # one text holds 160 GSM characters
        ("a" * 161, 161, 2, False),  # then each fragment holds 153 (7 go on the joining header)
        ("a" * 306, 306, 2, False),  # 2 × 153
        ("a" * 307, 307, 3, False),
        ("€" * 80, 160, 1, False),  # € is in the extension table: it counts twice
        ("€" + "a" * 159, 161, 2, False),
        ("[]{}", 8, 1, False),
        ("£@é", 3, 1, False),  # in the GSM alphabet itself: once each
        ("😀" + "a" * 69, 70, 1, True),  # one emoji makes it Unicode: 70 in one text
        ("😀" + "a" * 70, 71, 2, True),  # then 67 a fragment
        ("😀" + "a" * 133, 134, 2, True),  # 2 × 67
        ("😀" + "a" * 134, 135, 3, True),
        ("ç" * 70, 70, 1, True),  # Ç is GSM, ç is not
    ],
)
def test_text_message_fragments(text, characters, fragments, unicode):
    assert sms_fragments(text) == (characters, fragments, unicode)


# --- What an editor is told -------------------------------------------------------------------


def _wording(**changes):
    message = message_type(KEY)
    fields = {
        name: getattr(message, name)
        for name in ("email_subject", "email_body", "sms_body", "letter_subject", "letter_body")
    }
    return SimpleNamespace(key=KEY, **{**fields, **changes})


def test_the_default_wording_of_every_message_type_has_no_errors():
    for message in message_types():
        assert wording_errors(SimpleNamespace(key=message.key, **_fields(message))) == {}, message.key


def _fields(message):
    return {
        name: getattr(message, name)
        for name in ("email_subject", "email_body", "sms_body", "letter_subject", "letter_body")
    }


def test_an_unknown_placeholder_is_named_with_the_ones_offered():
    errors = wording_errors(_wording(sms_body="Request ((reference)) is ((colour))"))
    (error,) = errors["sms_body"]
    assert "((colour))" in error
    assert "((reference))" in error and "((council_name))" in error


def test_an_incomplete_placeholder_is_an_error():
    errors = wording_errors(_wording(email_body="Your request ((reference)) is ((status)"))
    assert "not complete" in errors["email_body"][0]


def test_a_required_placeholder_must_be_kept_in_each_way_it_is_sent():
    errors = wording_errors(_wording(sms_body="Your request has moved on.", letter_body="Dear ((name))"))
    assert errors["sms_body"] == [
        "The text message must include ((reference)): without it the message is no use to the person"
    ]
    assert "must include ((reference))" in errors["letter_body"][0]
    # Left blank, the message is not sent that way at all: nothing is missing.
    assert "sms_body" not in wording_errors(_wording(sms_body=""))


def test_a_text_longer_than_notify_takes_is_an_error():
    assert "sms_body" not in wording_errors(_wording(sms_body="((reference)) " + "a" * 890))
    errors = wording_errors(_wording(sms_body="((reference)) " + "a" * SMS_MAX_CHARACTERS))
    assert f"it must be {SMS_MAX_CHARACTERS} or fewer" in errors["sms_body"][0]


def test_a_letter_needs_a_heading():
    assert wording_errors(_wording(letter_subject=" "))["letter_subject"] == [
        "Enter a heading for the letter"
    ]
    assert "letter_subject" not in wording_errors(_wording(letter_subject="", letter_body=""))


def test_the_preview_uses_the_examples_and_counts_the_text():
    shown = preview(_wording(sms_body="((reference)) " + "a" * 160))
    assert shown["sms_body"] == "RQ-4F7K2M " + "a" * 160
    assert (shown["sms_characters"], shown["sms_fragments"], shown["sms_unicode"]) == (170, 2, False)
    assert shown["email_subject"] == "Your request RQ-4F7K2M: in progress"


# --- In Wagtail, as an editor ------------------------------------------------------------------


@pytest.fixture
def editor(client):
    user = staff_in("Editors")
    client.force_login(user)
    return user


def _template() -> MessageTemplate:
    return MessageTemplate.objects.get(key=KEY)


def _form(template: MessageTemplate, **changes) -> dict[str, str]:
    return {
        "email_subject": template.email_subject,
        "email_body": template.email_body,
        "sms_body": template.sms_body,
        "letter_subject": template.letter_subject,
        "letter_body": template.letter_body,
        **changes,
    }


def test_every_message_type_has_published_wording_after_migrate():
    keys = set(MessageTemplate.objects.filter(live=True).values_list("key", flat=True))
    assert keys == {message.key for message in message_types()}
    template = _template()
    assert template.live_revision_id and template.live_revision_id == template.latest_revision_id
    assert not template.has_unpublished_changes


def test_the_editor_lists_and_opens_a_message_with_its_placeholders(client, editor):
    response = client.get(reverse(f"{URLS}:list"))
    assert response.status_code == 200
    assert "Request status changed" in response.text
    assert "Email, text, letter" in response.text
    response = client.get(reverse(f"{URLS}:edit", args=[_template().pk]))
    assert response.status_code == 200
    assert "When an officer moves the resident" in response.text
    assert "<code>((reference))</code>" in response.text
    assert "(must be kept)" in response.text
    # Messages are the portal's own: there is no adding or deleting one.
    assert client.get(reverse(f"{URLS}:add")).status_code in (302, 403)
    assert client.get(reverse(f"{URLS}:delete", args=[_template().pk])).status_code in (302, 403)


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"sms_body": "Hi ((colour)) ((reference))"},
            "sms_body",
            "((colour)), which this message does not have",
        ),
        ({"sms_body": "Your request moved on"}, "sms_body", "must include ((reference))"),
        ({"sms_body": "((reference)) " + "a" * 950}, "sms_body", "must be 918 or fewer"),
        ({"letter_subject": ""}, "letter_subject", "Enter a heading for the letter"),
    ],
)
def test_the_editor_sees_what_is_wrong_in_the_form(client, editor, changes, field, says):
    template = _template()
    response = client.post(reverse(f"{URLS}:edit", args=[template.pk]), _form(template, **changes))
    assert response.status_code == 200
    assert says in response.text
    assert response.context["form"].errors[field]
    assert Revision.objects.filter(object_id=str(template.pk)).count() == 1


def test_the_preview_shows_each_channel_and_the_fragments(client, editor):
    template = _template()
    url = reverse(f"{URLS}:preview_on_edit", args=[template.pk])
    response = client.post(url, _form(template, sms_body="((reference)) is now ((status)). " + "a" * 150))
    assert response.json()["is_valid"] is True
    response = client.get(url)
    assert response.status_code == 200
    text = response.text
    assert "Your request RQ-4F7K2M: in progress" in text  # the email's subject, with examples
    assert "RQ-4F7K2M is now in progress. " + "a" * 150 in text
    assert "180 characters: 2 text message fragments" in text
    assert "Dear Sam," in text  # the letter
    assert '<html lang="en-GB">' in text and "<main" in text
    # The editor's preview panel frames it: the site's policy, but the admin may frame it.
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in policy


def test_a_draft_is_not_sent_and_publishing_is(client, editor, django_capture_on_commit_callbacks):
    template = _template()
    first = template.live_revision_id
    url = reverse(f"{URLS}:edit", args=[template.pk])
    draft = _form(template, sms_body="DRAFT ((reference))")
    response = client.post(url, draft)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.has_unpublished_changes and template.live_revision_id == first
    user = UserFactory(contact_preference="sms", phone="07700900123")

    with django_capture_on_commit_callbacks(execute=True):
        sent = message_send(key=KEY, context=CONTEXT, user=user)
    assert sent.channel == "sms" and "DRAFT" not in sent.body_text
    assert sent.template_revision_id == first

    response = client.post(
        url, {**_form(template, sms_body="New wording: ((reference)) is ((status))"), "action-publish": "1"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert not template.has_unpublished_changes and template.live_revision_id != first
    with django_capture_on_commit_callbacks(execute=True):
        sent = message_send(key=KEY, context=CONTEXT, user=user)
    assert sent.body_text == "New wording: RQ-1 is in progress"
    assert sent.template_revision_id == template.live_revision_id
    assert sent.message_template_id == template.pk

    # The history lists each version; each one opens.
    response = client.get(reverse(f"{URLS}:history", args=[template.pk]))
    assert response.status_code == 200
    revisions = Revision.objects.filter(
        object_id=str(template.pk), base_content_type=template.get_base_content_type()
    )
    assert revisions.count() >= 2
    response = client.get(reverse(f"{URLS}:revisions_view", args=[template.pk, first]))
    assert response.status_code == 200
    assert Notification.objects.filter(template_revision_id=first).count() == 1


def test_someone_who_is_not_an_editor_cannot_change_the_wording(client):
    client.force_login(staff_in("Case officers"))
    assert client.get(reverse(f"{URLS}:edit", args=[_template().pk])).status_code in (302, 403)


def test_staff_see_which_version_of_the_wording_each_message_on_a_case_used(
    client, django_capture_on_commit_callbacks
):
    case = case_make(team=team_make("Waste", "waste@council.example"))
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, to="in_progress", actor_role="staff")
    template = _template()
    sent = Notification.objects.get(case=case, template=KEY)
    assert sent.template_revision_id == template.live_revision_id

    client.force_login(staff_in("Editors", is_superuser=True))
    page = client.get(f"/admin/cases/{case.pk}/").text
    link = reverse(f"{URLS}:revisions_view", args=[template.pk, template.live_revision_id])
    assert f'<a href="{link}">Version 1</a>' in page
    assert client.get(link).status_code == 200
