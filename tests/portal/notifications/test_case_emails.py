"""Emails about cases: linked to the case, retried, and never in the way of the change itself."""

import pytest

from django.core import mail

from portal.cases.constants import CaseStatus, EventType
from portal.cases.services import case_transition
from portal.notifications.constants import MAX_ATTEMPTS, NotificationStatus
from portal.notifications.models import Notification
from tests.portal.cases.factories import case_make
from tests.portal.notifications.factories import notification_retries_run

pytestmark = pytest.mark.django_db


def test_a_backend_that_always_fails_ends_in_technical_failure_and_the_case_still_moves(
    settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.portal.cases.failing_mail.FailingBackend"}}
    case = case_make()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, to="in_progress", actor_role="staff")
    notification_retries_run()  # each retry, once it is due (portal.lib.retry)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    notification = Notification.objects.get(case=case, case_event__type=EventType.STATUS_CHANGE)
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert "on purpose" in notification.last_error
    assert mail.outbox == []


def test_an_email_that_cannot_even_be_written_does_not_roll_back_the_change(monkeypatch):
    from portal.cases.services import notifications as services

    case = case_make()

    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(services, "message_send", broken)
    event = case_transition(case=case, to="in_progress", actor_role="staff")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    event.refresh_from_db()
    assert event.data["notify"] == "error"
