"""Reading a back office's Open311 status updates (``servicerequestupdates``), over real HTTP to
a fake Open311 server on 127.0.0.1 (``fake_open311``): applied once each, in order, and
nothing lost while the other system is down."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from django.utils import timezone

from forms_engine.models import ServiceForm, Submission
from forms_engine.services import form_version_current
from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import CaseEvent
from portal.integrations.constants import DeliveryStatus, DestinationKind, UpdateOutcome
from portal.integrations.models import Delivery, Destination, StatusUpdate
from portal.integrations.services import polling
from portal.integrations.services.polling import open311_updates_poll
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

CONFIRM = "Confirm (highways)"


def open311_destination(fake, *, name=CONFIRM, **fields):
    form = ServiceForm.objects.filter(slug="missed-bin").first() or missed_bin_form()
    values = {
        "kind": DestinationKind.OPEN311,
        "url": fake.url,
        "open311_api_key": fake.api_key,
        "open311_service_code": fake.service_code,
        "open311_jurisdiction": "council.example",
        **fields,
    }
    return Destination.objects.create(form=form, name=name, **values)


def delivered_case(destination, remote_id, *, status="submitted"):
    """A case filed in the back office (``remote_id``, their service_request_id)."""
    case = case_make(resident=UserFactory(), status=status)
    submission = Submission.objects.create(
        version=form_version_current(form=destination.form),
        user=case.resident,
        case=case,
        answers={},
        idempotency_key=uuid.uuid4(),
    )
    Delivery.objects.create(
        destination=destination,
        submission=submission,
        case=case,
        status=DeliveryStatus.DELIVERED,
        remote_id=remote_id,
    )
    return case


@pytest.fixture
def t0():
    return timezone.now().replace(microsecond=0)


def _polled_from(destination, t0):
    Destination.objects.filter(pk=destination.pk).update(polled_until=t0)
    destination.refresh_from_db()


def _update_queries(fake):
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        for method, path, _status in fake.requests
        if "servicerequestupdates" in path
    ]


def test_updates_are_applied_to_the_cases_filed_there(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    pothole = delivered_case(destination, "1001")
    streetlight = delivered_case(destination, "1002", status="in_progress")
    other = open311_destination(fake_open311, name="Other system", poll_updates=False)
    not_ours = delivered_case(other, "1003")
    fake_open311.add_update("1001", "ACTION_SCHEDULED", "A crew is booked.", t0 - timedelta(minutes=8), "u1")
    fake_open311.add_update("1002", "closed", "The light is fixed.", t0 - timedelta(minutes=7), "u2")
    fake_open311.add_update("1003", "closed", "Not for this destination.", t0 - timedelta(minutes=6), "u3")
    fake_open311.add_update("5555", "open", "Someone else's report.", t0 - timedelta(minutes=5), "u4")

    assert open311_updates_poll(now=t0) == 2

    (query,) = _update_queries(fake_open311)
    assert query == {
        "api_key": fake_open311.api_key,
        "jurisdiction_id": "council.example",
        "start_date": (t0 - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    pothole.refresh_from_db()
    streetlight.refresh_from_db()
    not_ours.refresh_from_db()
    assert pothole.status == CaseStatus.IN_PROGRESS
    assert streetlight.status == CaseStatus.RESOLVED and streetlight.outcome == "The light is fixed."
    assert not_ours.status == CaseStatus.SUBMITTED
    change = CaseEvent.objects.get(case=pothole, type=EventType.STATUS_CHANGE, status_to="in_progress")
    assert change.message == "A crew is booked." and change.data["back_office"] == CONFIRM
    assert Notification.objects.filter(case_event=change).count() == 1
    rows = StatusUpdate.objects.filter(source=f"destination:{destination.pk}")
    assert sorted(rows.values_list("update_id", "outcome")) == [("u1", "applied"), ("u2", "applied")]
    destination.refresh_from_db()
    assert destination.polled_until == t0


def test_a_repeated_poll_applies_nothing_twice(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    case = delivered_case(destination, "2001", status="in_progress")
    fake_open311.add_update("2001", "open", "Parts are on order.", t0 - timedelta(minutes=2), "p1")
    assert open311_updates_poll(now=t0) == 1
    # The next run reads the overlap again (from t0 - 5 minutes) and sees the same update.
    assert open311_updates_poll(now=t0 + timedelta(minutes=1)) == 0
    assert open311_updates_poll(destination=destination, now=t0 + timedelta(minutes=2)) == 0
    messages = CaseEvent.objects.filter(case=case, type=EventType.OFFICER_MESSAGE)
    assert list(messages.values_list("message", flat=True)) == ["Parts are on order."]
    assert Notification.objects.filter(case_event__in=messages).count() == 1
    assert StatusUpdate.objects.count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert len(_update_queries(fake_open311)) == 3


def test_an_older_update_read_late_is_stale_and_not_applied(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    case = delivered_case(destination, "3001", status="in_progress")
    fake_open311.add_update("3001", "FIXED", "Filled in.", t0 - timedelta(minutes=1), "new")
    assert open311_updates_poll(now=t0) == 1
    # Written earlier in their system, but only visible to us now.
    fake_open311.add_update("3001", "INVESTIGATING", "We are looking.", t0 - timedelta(minutes=3), "old")
    assert open311_updates_poll(now=t0 + timedelta(minutes=1)) == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert StatusUpdate.objects.get(update_id="old").outcome == UpdateOutcome.STALE
    assert not CaseEvent.objects.filter(case=case, message="We are looking.").exists()


def test_updates_in_one_read_are_applied_oldest_first(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    case = delivered_case(destination, "3501")
    # Listed newest first by their system.
    fake_open311.add_update("3501", "closed", "All done.", t0 - timedelta(minutes=1), "b")
    fake_open311.add_update("3501", "open", "On our list.", t0 - timedelta(minutes=4), "a")
    fake_open311.updates.reverse()
    assert open311_updates_poll(now=t0) == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    moves = CaseEvent.objects.filter(case=case, type=EventType.STATUS_CHANGE).order_by("pk")
    assert [e.status_to for e in moves][-2:] == ["in_progress", "resolved"]


def test_a_case_closed_without_a_description_gets_a_plain_message(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    case = delivered_case(destination, "3601", status="in_progress")
    fake_open311.add_update("3601", "NO_FURTHER_ACTION", "", t0 - timedelta(minutes=1), "n1")
    assert open311_updates_poll(now=t0) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert case.outcome == polling.DEFAULT_MESSAGES[CaseStatus.REJECTED]


def test_a_refused_update_is_kept_and_the_poll_goes_on(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    withdrawn = delivered_case(destination, "3701", status="withdrawn")
    working = delivered_case(destination, "3702", status="in_progress")
    fake_open311.add_update("3701", "INVESTIGATING", "Looking.", t0 - timedelta(minutes=2), "r1")
    fake_open311.add_update("3702", "fixed", "Done.", t0 - timedelta(minutes=1), "r2")
    assert open311_updates_poll(now=t0) == 1
    refused = StatusUpdate.objects.get(update_id="r1")
    assert refused.outcome == UpdateOutcome.REFUSED
    assert "A case that is withdrawn cannot be moved to in progress" in refused.detail
    withdrawn.refresh_from_db()
    working.refresh_from_db()
    assert withdrawn.status == CaseStatus.WITHDRAWN and working.status == CaseStatus.RESOLVED
    destination.refresh_from_db()
    assert destination.polled_until == t0


def test_a_server_that_is_down_loses_nothing_and_is_caught_up_later(fake_open311, t0, monkeypatch):
    destination = open311_destination(fake_open311)
    start = t0 - timedelta(minutes=10)
    _polled_from(destination, start)
    case = delivered_case(destination, "4001")
    fake_open311.add_update("4001", "in_progress", "A crew is booked.", t0 - timedelta(minutes=2), "d1")

    # An error page, then an answer too slow to wait for, then the port closed: all logged,
    # never raised, and the next read starts from the same point.
    fake_open311.fail_next(500)
    assert open311_updates_poll(now=t0) == 0
    monkeypatch.setattr(polling, "POLL_TIMEOUT_SECONDS", 0.5)
    fake_open311.hang_next(2)
    assert open311_updates_poll(now=t0) == 0
    monkeypatch.undo()
    fake_open311.stop()
    assert open311_updates_poll(now=t0 + timedelta(minutes=1)) == 0
    destination.refresh_from_db()
    case.refresh_from_db()
    assert destination.polled_until == start
    assert case.status == CaseStatus.SUBMITTED
    assert not StatusUpdate.objects.exists()

    # Back up an hour later: one read covers the whole gap.
    fake_open311.start()
    later = t0 + timedelta(hours=1)
    fake_open311.add_update("4001", "closed", "Filled in.", t0 + timedelta(minutes=30), "d2")
    assert open311_updates_poll(now=later) == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    destination.refresh_from_db()
    assert destination.polled_until == later
    last = _update_queries(fake_open311)[-1]
    assert last["start_date"] == (start - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_wrong_answer_is_not_taken_as_no_updates(fake_open311, t0):
    destination = open311_destination(fake_open311, open311_api_key="not-their-key")
    _polled_from(destination, t0 - timedelta(minutes=10))
    delivered_case(destination, "5001")
    assert open311_updates_poll(now=t0) == 0  # 403 from their side
    destination.refresh_from_db()
    assert destination.polled_until == t0 - timedelta(minutes=10)


def test_only_active_open311_destinations_that_poll_and_have_requests_are_read(fake_open311, t0):
    paused = open311_destination(fake_open311, name="Paused", poll_updates=False)
    delivered_case(paused, "6001")
    inactive = open311_destination(fake_open311, name="Inactive", active=False)
    delivered_case(inactive, "6002")
    open311_destination(fake_open311, name="Nothing filed yet")
    webhook = open311_destination(fake_open311, name="Webhook", kind=DestinationKind.WEBHOOK)
    delivered_case(webhook, "6003")
    assert open311_updates_poll(now=t0) == 0
    assert _update_queries(fake_open311) == []


def test_the_first_read_starts_from_the_first_request_filed(fake_open311, t0):
    destination = open311_destination(fake_open311)
    delivered_case(destination, "7001")
    first = Delivery.objects.get(destination=destination).created_at
    assert open311_updates_poll(now=t0 + timedelta(minutes=1)) == 0
    (query,) = _update_queries(fake_open311)
    assert query["start_date"] == (first - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_updates_without_an_id_are_known_by_their_content(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    case = delivered_case(destination, "8001", status="in_progress")
    update = fake_open311.add_update("8001", "open", "Parts are on order.", t0 - timedelta(minutes=2))
    update.update_id = ""
    odd = fake_open311.add_update("8001", "SOMETHING_ODD", "", t0 - timedelta(minutes=1), "odd")
    assert open311_updates_poll(now=t0) == 1
    assert open311_updates_poll(now=t0 + timedelta(minutes=1)) == 0
    row = StatusUpdate.objects.get(outcome=UpdateOutcome.APPLIED)
    assert row.update_id.startswith("sha:")
    assert CaseEvent.objects.filter(case=case, message="Parts are on order.").count() == 1
    refused = StatusUpdate.objects.get(update_id=odd.update_id)
    assert refused.outcome == UpdateOutcome.REFUSED and "SOMETHING_ODD" in refused.detail


# Review finding 4: capped answers, long gaps, an update that always fails; finding 5: addresses


def test_a_full_answer_moves_on_only_to_its_newest_update(fake_open311, t0, monkeypatch):
    fake_open311.updates_limit = 3  # as FixMyStreet's 1000, smaller
    monkeypatch.setattr(polling, "UPDATES_CAP", 3)
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=70))
    cases = [delivered_case(destination, f"91{n}") for n in range(5)]
    for n in range(5):
        fake_open311.add_update(
            f"91{n}", "in_progress", f"Booked ({n}).", t0 - timedelta(minutes=60 - 10 * n), f"cap{n}"
        )
    assert open311_updates_poll(now=t0) == 5
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.IN_PROGRESS
    destination.refresh_from_db()
    assert destination.polled_until == t0


def test_a_gap_longer_than_90_days_is_read_in_windows(fake_open311, t0):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(days=200))
    early = delivered_case(destination, "9201")
    late = delivered_case(destination, "9202")
    fake_open311.add_update("9201", "in_progress", "Booked.", t0 - timedelta(days=150), "w1")
    fake_open311.add_update("9202", "in_progress", "Booked.", t0 - timedelta(days=1), "w2")
    assert open311_updates_poll(now=t0) == 2
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == late.status == CaseStatus.IN_PROGRESS
    queries = _update_queries(fake_open311)
    assert len(queries) == 3
    for query in queries:
        start = polling.datetime.fromisoformat(query["start_date"])
        end = polling.datetime.fromisoformat(query["end_date"])
        assert end - start <= timedelta(days=90)
    destination.refresh_from_db()
    assert destination.polled_until == t0


def test_an_update_that_always_fails_is_skipped_not_read_for_ever(fake_open311, t0, monkeypatch):
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    broken = delivered_case(destination, "9301")
    fine = delivered_case(destination, "9302")
    fake_open311.add_update("9301", "in_progress", "Booked.", t0 - timedelta(minutes=3), "bad")
    fake_open311.add_update("9302", "in_progress", "Booked.", t0 - timedelta(minutes=2), "good")
    real = polling.status_update_apply

    def failing_for_one(**kwargs):
        if kwargs["update_id"] == "bad":
            raise RuntimeError("a bug of ours")
        return real(**kwargs)

    monkeypatch.setattr(polling, "status_update_apply", failing_for_one)
    assert open311_updates_poll(now=t0) == 1
    destination.refresh_from_db()
    assert destination.polled_until == t0  # the cursor moved on
    skipped = StatusUpdate.objects.get(update_id="bad")
    assert skipped.outcome == UpdateOutcome.REFUSED and "a bug of ours" in skipped.detail
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == CaseStatus.SUBMITTED and fine.status == CaseStatus.IN_PROGRESS


def test_a_server_on_a_private_address_is_not_read(fake_open311, t0, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    destination = open311_destination(fake_open311)
    _polled_from(destination, t0 - timedelta(minutes=10))
    delivered_case(destination, "9401")
    assert open311_updates_poll(now=t0) == 0
    assert fake_open311.requests == []
    destination.refresh_from_db()
    assert destination.polled_until == t0 - timedelta(minutes=10)


def test_a_redirect_is_not_followed(fake_open311, t0):
    destination = open311_destination(fake_open311, url=fake_open311.url + "/moved")
    _polled_from(destination, t0 - timedelta(minutes=10))
    delivered_case(destination, "9501")
    fake_open311.add_update("9501", "in_progress", "Booked.", t0 - timedelta(minutes=2), "moved")
    assert open311_updates_poll(now=t0) == 0
    assert [status for _method, _path, status in fake_open311.requests] == [302]
    destination.refresh_from_db()
    assert destination.polled_until == t0 - timedelta(minutes=10)
