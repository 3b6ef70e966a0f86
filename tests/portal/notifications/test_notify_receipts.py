"""Delivery receipts from GOV.UK Notify: the fake Notify posts them to the portal over real
HTTP (``live_server``), the portal stores each once and a task applies it to the outbox row;
polling asks Notify about rows whose receipt never came."""

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from django.core.management import call_command
from django.utils import timezone

from portal.notifications.checks import notify_settings_check
from portal.notifications.constants import STATUS_REASONS, NotificationStatus
from portal.notifications.models import Notification, NotifyReceipt
from portal.notifications.selectors import undeliverable_addresses
from portal.notifications.services import (
    notification_receipts_poll,
)
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make
from tests.portal.notifications.factories import email_sent as _email
from tests.portal.notifications.factories import letter_sent as _letter
from tests.portal.notifications.factories import sms_sent as _sms

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "a-long-random-callback-token-0123456789"
ADDRESS = ["Sam Jones", "12 High Street", "Eastbury", "EB1 2CD"]
RECEIPTS = "/notifications/callbacks/notify/receipts/"


@pytest.fixture
def notify(fake_notify, settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    return fake_notify


def _post(live_server, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(live_server.url + RECEIPTS, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(
    ("kind", "status", "delivered"),
    [
        ("email", "delivered", True),
        ("email", "permanent-failure", False),
        ("email", "temporary-failure", False),
        ("email", "technical-failure", False),
        ("sms", "delivered", True),
        ("sms", "permanent-failure", False),
        ("sms", "temporary-failure", False),
        ("sms", "technical-failure", False),
        ("letter", "accepted", False),
        ("letter", "pending-virus-check", False),
        ("letter", "received", True),
        ("letter", "cancelled", False),
        ("letter", "validation-failed", False),
        ("letter", "virus-scan-failed", False),
        ("letter", "permanent-failure", False),
        ("letter", "technical-failure", False),
    ],
)
def test_each_status_reaches_the_outbox(notify, live_server, kind, status, delivered):
    notification = {"email": _email, "sms": _sms, "letter": _letter}[kind]()

    code, _ = notify.post_receipt(live_server.url, notification.provider_id, status, TOKEN)

    assert code == 200
    notification.refresh_from_db()
    assert notification.status == status
    assert notification.is_delivered is delivered
    assert (notification.delivered_at is not None) is delivered
    assert notification.last_error == STATUS_REASONS.get(status, "")
    receipt = NotifyReceipt.objects.get()
    assert (receipt.notify_id, receipt.status, receipt.outcome) == (
        notification.provider_id,
        status,
        "applied",
    )
    assert receipt.notification == notification and receipt.processed_at is not None
    assert "to" not in receipt.payload  # the address stays on the outbox row only


def test_a_repeated_receipt_is_stored_once(notify, live_server):
    notification = _email()
    first = notify.post_receipt(live_server.url, notification.provider_id, "delivered", TOKEN)
    second = notify.post_receipt(live_server.url, notification.provider_id, "delivered", TOKEN)

    assert first == (200, b'{"stored": true}')
    assert second == (200, b'{"stored": false}')
    assert NotifyReceipt.objects.count() == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED


def test_a_late_earlier_status_never_moves_a_row_back(notify, live_server):
    notification = _email()
    notify.post_receipt(live_server.url, notification.provider_id, "delivered", TOKEN)
    notification.refresh_from_db()
    delivered_at = notification.delivered_at

    code, _ = notify.post_receipt(live_server.url, notification.provider_id, "sending", TOKEN)
    assert code == 200
    # Nor does a second outcome replace the first.
    notify.post_receipt(live_server.url, notification.provider_id, "permanent-failure", TOKEN)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.delivered_at == delivered_at
    assert notification.last_error == ""
    assert dict(NotifyReceipt.objects.values_list("status", "outcome")) == {
        "delivered": "applied",
        "sending": "unchanged",
        "permanent-failure": "unchanged",
    }


def test_a_receipt_before_notify_answered_finds_the_row_by_its_reference(notify, live_server):
    notification = _email()
    # As if Notify's answer to the send had not been recorded yet.
    Notification.objects.filter(pk=notification.pk).update(provider_id="", sent_at=None)

    notify.post_receipt(live_server.url, notify.sent[0].id, "delivered", TOKEN)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.provider_id == notify.sent[0].id
    assert notification.sent_at is not None


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_a_forged_receipt_is_refused_and_nothing_stored(notify, live_server, token):
    notification = _email()

    code, _ = notify.post_receipt(live_server.url, notification.provider_id, "delivered", token)

    assert code == 401
    assert not NotifyReceipt.objects.exists()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING


def test_without_a_callback_token_the_url_is_not_there(fake_notify, live_server, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    notification = _email()

    code, _ = fake_notify.post_receipt(live_server.url, notification.provider_id, "delivered", "")

    assert code == 404
    assert not NotifyReceipt.objects.exists()
    assert [m.id for m in notify_settings_check()] == ["notifications.W003", "notifications.W004"]


def test_bad_json_and_oversized_bodies_are_refused(notify, live_server):
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    assert _post(live_server, b"{not json", auth) == 400
    assert _post(live_server, json.dumps({"id": "x"}).encode(), auth) == 400
    big = json.dumps({"id": "x", "status": "delivered", "padding": "x" * 70_000}).encode()
    assert _post(live_server, big, auth) == 413
    assert not NotifyReceipt.objects.exists()


def test_a_receipt_for_an_unknown_message_is_stored_and_ignored(notify, live_server, caplog):
    unknown = "6f1c2b9e-0d3a-4c8e-9b7a-1e2d3c4b5a69"
    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        code, _ = notify.post_receipt(live_server.url, unknown, "delivered", TOKEN, reference="")

    assert code == 200
    receipt = NotifyReceipt.objects.get()
    assert (receipt.notify_id, receipt.outcome, receipt.notification) == (unknown, "unknown", None)
    assert f"Notify receipt {unknown} (delivered) matches no outbox row" in caplog.text


def test_a_letter_goes_from_accepted_to_received(notify, live_server):
    notification = _letter()

    notify.post_receipt(live_server.url, notification.provider_id, "accepted", TOKEN)
    notification.refresh_from_db()
    assert notification.get_status_display() == "Letter accepted for printing"
    assert not notification.is_final

    notify.post_receipt(live_server.url, notification.provider_id, "received", TOKEN)
    notification.refresh_from_db()
    assert notification.get_status_display() == "Letter printed and posted"
    assert notification.is_final and notification.is_delivered


def test_polling_applies_a_status_where_no_receipt_came(notify, caplog):
    late, recent = _sms(), _email()
    Notification.objects.filter(pk=late.pk).update(sent_at=timezone.now() - timedelta(minutes=61))
    notify.set_status(late.provider_id, "delivered")
    notify.set_status(recent.provider_id, "delivered")

    assert notification_receipts_poll() == {"polled": 1, "changed": 1, "errors": 0}
    late.refresh_from_db()
    recent.refresh_from_db()
    assert (late.status, recent.status) == (NotificationStatus.DELIVERED, NotificationStatus.SENDING)
    assert late.delivered_at is not None
    # Later the recent one is due too; the delivered one is not asked about again.
    assert notification_receipts_poll(now=timezone.now() + timedelta(hours=2)) == {
        "polled": 1,
        "changed": 1,
        "errors": 0,
    }


def test_polling_errors_are_logged_and_retried_next_run(notify, caplog):
    notification = _sms()
    notify.set_status(notification.provider_id, "permanent-failure")
    later = timezone.now() + timedelta(hours=2)
    notify.fail_next(500)

    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        assert notification_receipts_poll(now=later) == {"polled": 1, "changed": 0, "errors": 1}
    assert "Polling Notify for" in caplog.text
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING

    assert notification_receipts_poll(now=later) == {"polled": 1, "changed": 1, "errors": 0}
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PERMANENT_FAILURE


def test_the_housekeeping_command_polls(notify, capsys):
    notification = _email()
    Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    notify.set_status(notification.provider_id, "delivered")

    call_command("tasks_housekeeping")

    assert "receipts_changed: 1" in capsys.readouterr().out
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED


def test_a_permanent_failure_marks_the_address_undeliverable_until_it_changes(notify, live_server):
    user = UserFactory(email="sam@example.org", phone="07700 900123")
    email, sms = _email(user=user), _sms(to="+44 7700 900123", user=user)
    assert undeliverable_addresses(user) == {}

    notify.post_receipt(live_server.url, email.provider_id, "permanent-failure", TOKEN)
    notify.post_receipt(live_server.url, sms.provider_id, "permanent-failure", TOKEN)

    assert undeliverable_addresses(user) == {"email": email, "sms": sms}

    user.email = "sam.jones@example.org"
    user.save()
    assert undeliverable_addresses(user) == {"sms": sms}

    # A later message that arrived at the number shows it works again.
    again = _sms(user=user)
    notify.post_receipt(live_server.url, again.provider_id, "delivered", TOKEN)
    assert undeliverable_addresses(user) == {}


# The staff groups come from a data migration: restored for this test (a flush removes them).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_case_shows_staff_what_the_receipt_said(notify, live_server, client):
    team = team_make("Waste", "waste@council.example")
    officer = officer_in(team)
    case = case_make(team=team)
    client.force_login(officer)
    client.post(f"/admin/cases/{case.pk}/", {"action": "message", "message": "Crew booked"})
    (notification,) = Notification.objects.filter(case=case, case_event__isnull=False)
    assert notification.provider == "notify"
    page = client.get(f"/admin/cases/{case.pk}/").text
    assert f"Email to {notification.to}: <span>Sending</span>" in page

    notify.post_receipt(live_server.url, notification.provider_id, "permanent-failure", TOKEN)

    page = client.get(f"/admin/cases/{case.pk}/").text
    assert f'Email to {notification.to}: <span class="case-failure">Permanent failure</span>' in page
    assert "does not exist or cannot take messages" in page
