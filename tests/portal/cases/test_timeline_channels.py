"""The resident's timeline says how each update reached them: by email, text or letter."""

import pytest

from django.urls import reverse

from portal.cases.constants import Actor, EventType
from portal.cases.services import case_event_add
from portal.notifications.services import notification_letter_send, notification_sms_send
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db


def test_the_timeline_says_we_texted_or_wrote_to_the_resident(client):
    case = case_make()
    resident = case.resident
    texted = case_event_add(
        case=case, type=EventType.OFFICER_MESSAGE, actor_role=Actor.STAFF, message="Booked"
    )
    notification_sms_send(
        to="07700900982", body="Your collection is booked", user=resident, case=case, case_event=texted
    )
    posted = case_event_add(case=case, type=EventType.OFFICER_MESSAGE, actor_role=Actor.STAFF, message="Done")
    notification_letter_send(
        address_lines=["Pat Lee", "12 Acacia Avenue", "Anytown", "AB1 2DE"],
        subject="Your request",
        body="It is done",
        user=resident,
        case=case,
        case_event=posted,
    )
    client.force_login(resident)
    page = client.get(reverse("cases:detail", kwargs={"reference": case.reference})).content.decode()
    assert "We texted you about this" in page
    assert "We wrote to you about this" in page
