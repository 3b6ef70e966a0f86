"""The delivery outbox over real HTTP: outages, timeouts and 5xx retried with backoff; a
refusal failed at once; the team alerted once; resend; a worker dying mid-send; a double
submit; a fee form waiting for its payment. The resident's submission never suffers."""

from datetime import timedelta

import pytest

from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import F
from django.test import TestCase
from django.utils import timezone

from forms_engine.models import Draft, Submission
from portal.cases.services import case_transition
from portal.integrations.constants import (
    DELIVERY_LEASE_SECONDS,
    DELIVERY_MAX_ATTEMPTS,
    DeliveryStatus,
)
from portal.integrations.messages import DELIVERY_FAILING
from portal.integrations.models import Delivery, DeliveryAttempt, Destination
from portal.integrations.services import deliveries
from portal.integrations.services.deliveries import (
    DeliveryStateError,
    deliveries_create,
    delivery_attempt,
    delivery_resend,
    delivery_transition,
)
from portal.notifications.models import Notification
from tests.accounts.factories import StaffFactory, UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.portal.cases.factories import team_make
from tests.portal.integrations.delivery_support import (
    destination_make,
    draft_answered,
    fresh,
    pothole_form,
    run_due,
    submit,
)

pytestmark = pytest.mark.django_db

LONG_AFTER = 13 * 3600  # past the longest backoff step


@pytest.fixture
def hook(webhook_receiver):
    """A pothole form delivering to the receiver (its team: highways@council.example)."""
    form = pothole_form(with_file=False)
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    return form, destination


def _alerts():
    return Notification.objects.filter(template=DELIVERY_FAILING)


def test_an_outage_is_retried_with_backoff_until_the_receiver_is_back(hook, webhook_receiver):
    form, _ = hook
    webhook_receiver.stop()  # connection refused
    submission = submit(draft_answered(form))
    assert Submission.objects.filter(pk=submission.pk).exists() and submission.case.status == "submitted"
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "retrying" and delivery.attempts == 1 and delivery.failures_in_row == 1
    assert "Could not connect" in delivery.last_error
    # The first retry waits a minute: the housekeeping before then sends nothing.
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 55 < wait <= 60
    assert run_due() == 0
    webhook_receiver.start()
    assert run_due(after_seconds=61) == 1
    delivery = fresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2 and delivery.failures_in_row == 0
    assert len(webhook_receiver.valid) == 1
    outcomes = list(delivery.attempt_log.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["temporary_failure", "delivered"]
    assert not _alerts().exists()


def test_a_timeout_is_retried_and_the_retry_carries_the_same_idempotency_key(
    hook, webhook_receiver, settings
):
    form, _ = hook
    settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS = 0.5
    webhook_receiver.hang_next(2)
    submission = submit(draft_answered(form))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "retrying" and "No answer within 0.5 seconds" in delivery.last_error
    run_due(after_seconds=61)
    assert fresh(delivery).status == "delivered"
    # The receiver saw it twice (the first answer came too late): the same key both times.
    keys = {r.headers["Idempotency-Key"] for r in webhook_receiver.received}
    assert keys == {str(delivery.pk)} and len(webhook_receiver.received) == 2


def test_500s_are_retried_then_delivered_and_the_log_has_every_attempt(hook, webhook_receiver):
    form, _ = hook
    webhook_receiver.fail_next(500, times=2)
    submission = submit(draft_answered(form))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "retrying"
    run_due(after_seconds=61)
    delivery = fresh(delivery)
    assert delivery.status == "retrying" and delivery.attempts == 2
    # The second retry waits 5 minutes.
    assert 290 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 300
    run_due(after_seconds=301)
    delivery = fresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 3
    log = list(delivery.attempt_log.order_by("pk"))
    assert [(a.outcome, a.status_code) for a in log] == [
        ("temporary_failure", 500),
        ("temporary_failure", 500),
        ("delivered", 200),
    ]
    assert all(a.duration_ms >= 0 for a in log) and "HTTP 500" in log[0].detail


@pytest.mark.parametrize("status", [429, 503, 408])
def test_busy_and_unavailable_answers_are_temporary(hook, webhook_receiver, status):
    form, _ = hook
    webhook_receiver.fail_next(status)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "retrying"


def test_a_400_fails_at_once_and_the_team_is_told_once(hook, webhook_receiver, mailoutbox):
    form, _ = hook
    webhook_receiver.fail_next(400)
    submission = submit(draft_answered(form))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "failed" and delivery.attempts == 1 and "HTTP 400" in delivery.last_error
    (alert,) = _alerts()
    assert alert.to == "highways@council.example"
    assert "Highways system" in alert.subject and submission.case.reference in alert.body_text
    assert "stopped trying" in alert.body_text
    # Not a resident's contact: not linked to the case, not an interaction.
    assert alert.case_id is None
    # Nothing more is tried.
    assert run_due(after_seconds=LONG_AFTER) == 0
    assert len(webhook_receiver.received) == 1


def test_retries_exhausted_fail_for_good_with_an_alert_then_a_final_one(hook, webhook_receiver):
    form, destination = hook
    destination.alert_email = "systems-support@council.example"
    destination.save()
    webhook_receiver.fail_next(503, times=DELIVERY_MAX_ATTEMPTS)
    submission = submit(draft_answered(form))
    delivery = Delivery.objects.get(submission=submission)
    for _ in range(DELIVERY_MAX_ATTEMPTS):
        run_due(after_seconds=LONG_AFTER)
    delivery = fresh(delivery)
    assert delivery.status == "failed" and delivery.attempts == DELIVERY_MAX_ATTEMPTS
    assert delivery.failures_in_row == DELIVERY_MAX_ATTEMPTS
    assert delivery.attempt_log.count() == DELIVERY_MAX_ATTEMPTS
    # At the third failure in a row, and once more when it gave up (review finding 8).
    keep_trying, stopped = _alerts().order_by("created_at")
    assert keep_trying.to == stopped.to == "systems-support@council.example"
    assert "keep trying" in keep_trying.body_text and "stopped trying" in stopped.body_text
    assert fresh(delivery).final_alerted_at is not None
    run_due(after_seconds=LONG_AFTER)
    assert _alerts().count() == 2
    assert len(webhook_receiver.received) == DELIVERY_MAX_ATTEMPTS
    assert Submission.objects.filter(pk=submission.pk).exists()


def test_resend_sends_again_and_the_log_says_who(hook, webhook_receiver):
    form, _ = hook
    webhook_receiver.fail_next(400)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "failed"
    officer = StaffFactory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        resent = delivery_resend(delivery=delivery, by=officer)
        assert resent.status == "pending"  # queued once the resend commits
    resent = fresh(resent)
    assert resent.status == "delivered" and resent.attempts == 1 and resent.alerted_at is None
    latest = resent.attempt_log.order_by("-pk").first()
    assert latest.outcome == "delivered" and latest.resent_by == officer
    # A delivered one can be resent too (the back office lost it); a pending one cannot.
    with TestCase.captureOnCommitCallbacks(execute=True):
        delivery_resend(delivery=resent, by=officer)
    assert len(webhook_receiver.valid) == 2
    Delivery.objects.filter(pk=resent.pk).update(status=DeliveryStatus.PENDING)
    with pytest.raises(DeliveryStateError):
        delivery_resend(delivery=fresh(resent), by=officer)


def test_a_worker_dying_mid_send_is_handed_back_after_its_lease_and_sent_once(webhook_receiver):
    form = pothole_form(with_file=False)
    submission = submit(draft_answered(form))  # no destination yet
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    (delivery,) = deliveries_create(submission=submission)  # its task never queued (no commit)
    # A worker claims it, then dies before sending.
    lease = timezone.now() + timedelta(seconds=DELIVERY_LEASE_SECONDS)
    assert delivery_transition(
        delivery=delivery, to=DeliveryStatus.SENDING, lease_until=lease, attempts=F("attempts") + 1
    )
    # Another worker (a duplicate task) finds it claimed and sends nothing.
    assert delivery_attempt(delivery.pk).status == "sending"
    assert run_due() == 0
    assert webhook_receiver.received == []
    # Once the lease has run out, the housekeeping hands it back and it goes, once.
    assert run_due(after_seconds=DELIVERY_LEASE_SECONDS + 1) == 1
    delivery = fresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(webhook_receiver.received) == 1
    lost, sent = delivery.attempt_log.order_by("pk")
    assert lost.outcome == "temporary_failure" and "did not finish" in lost.detail
    assert sent.outcome == "delivered"
    # Running again changes nothing.
    assert run_due(after_seconds=LONG_AFTER) == 0 and len(webhook_receiver.received) == 1


def test_two_claims_of_one_delivery_only_one_wins(hook):
    form, _ = hook
    submission = submit(draft_answered(form, answers=None))
    delivery = Delivery.objects.get(submission=submission)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    first, second = Delivery.objects.get(pk=delivery.pk), Delivery.objects.get(pk=delivery.pk)
    lease = timezone.now() + timedelta(seconds=60)
    assert delivery_transition(delivery=first, to=DeliveryStatus.SENDING, lease_until=lease)
    assert not delivery_transition(delivery=second, to=DeliveryStatus.SENDING, lease_until=lease)
    with pytest.raises(DeliveryStateError):
        delivery_transition(delivery=first, to=DeliveryStatus.CANCELLED)


def test_a_double_submit_makes_one_delivery_per_destination(webhook_receiver):
    form = pothole_form(with_file=False)
    one = destination_make(form, url=webhook_receiver.url, name="One")
    destination_make(form, url=webhook_receiver.url, name="Two", secret=one.secret)
    webhook_receiver.secret = one.secret
    draft = draft_answered(form)
    first = submit(draft)
    second = submit(Draft.objects.get(pk=draft.pk))
    assert first.pk == second.pk
    assert Delivery.objects.filter(submission=first).count() == 2
    assert len(webhook_receiver.valid) == 2
    # And writing them again (a listener run twice) makes none.
    assert deliveries_create(submission=first) == []


def test_a_fee_form_delivers_only_once_paid(webhook_receiver):
    form = form_build(
        slug="garden-waste",
        title="Garden waste subscription",
        steps=[step("Bins", question("number", "bins", "How many bins?"))],
        fee_type="fixed",
        fee_amount_pence=5000,
        team=team_make(),
    )
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    submission = submit(draft_answered(form, answers={"bins": "1"}))
    assert submission.case.status == "awaiting_payment"
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "pending" and delivery.attempts == 0 and "fee" in delivery.last_error
    assert 240 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 300
    assert webhook_receiver.received == []
    run_due(after_seconds=301)  # still unpaid: waits again, no attempt counted
    delivery = fresh(delivery)
    assert delivery.status == "pending" and delivery.attempts == 0 and not delivery.attempt_log.exists()
    case_transition(case=submission.case, to="submitted", actor_role="system", message="Paid")
    run_due(after_seconds=301)
    delivery = fresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 1
    (request,) = webhook_receiver.received
    assert request.json["case"]["status"] == "submitted"


def test_a_fee_never_paid_cancels_the_delivery(webhook_receiver):
    form = form_build(
        slug="garden-waste",
        steps=[step("Bins", question("number", "bins", "How many bins?"))],
        fee_type="fixed",
        fee_amount_pence=5000,
    )
    destination_make(form, url=webhook_receiver.url)
    submission = submit(draft_answered(form, answers={"bins": "1"}))
    case_transition(case=submission.case, to="closed_unpaid", actor_role="system", message="Not paid")
    run_due(after_seconds=301)
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "cancelled" and "not paid" in delivery.last_error
    assert webhook_receiver.received == []


def test_deliveries_that_cannot_be_written_never_lose_the_submission(hook, monkeypatch):
    form, _ = hook

    def broken(*args, **kwargs):
        raise DatabaseError("the outbox table is unavailable")

    monkeypatch.setattr(Delivery.objects, "get_or_create", broken)
    submission = submit(draft_answered(form, user=UserFactory()))
    assert Submission.objects.filter(pk=submission.pk).exists() and submission.case is not None
    assert not Delivery.objects.exists()


def test_a_destination_with_no_address_fails_at_once_as_permanent(hook):
    form, destination = hook
    destination.url = ""
    destination.save()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "failed" and "no URL" in delivery.last_error
    (attempt,) = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.outcome == "permanent_failure"


def test_the_housekeeping_command_queues_due_deliveries(hook, webhook_receiver):
    form, _ = hook
    webhook_receiver.fail_next(500)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("integrations_housekeeping", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert fresh(delivery).status == "delivered"


# Review fixes: missing deliveries written by the housekeeping (11), a failing alert (lower),
# one bad delivery in a run (lower)


def test_deliveries_that_could_not_be_written_are_written_by_the_housekeeping(
    hook, webhook_receiver, monkeypatch
):
    form, destination = hook
    with monkeypatch.context() as patch:

        def broken(*args, **kwargs):
            raise DatabaseError("the outbox table is unavailable")

        patch.setattr(Delivery.objects, "get_or_create", broken)
        submission = submit(draft_answered(form, user=UserFactory()))
    assert not Delivery.objects.exists()
    run_due()
    delivery = Delivery.objects.get(submission=submission, destination=destination)
    assert fresh(delivery).status == "delivered"
    assert len(webhook_receiver.valid) == 1
    run_due()
    assert Delivery.objects.count() == 1 and len(webhook_receiver.valid) == 1


def test_the_housekeeping_leaves_submissions_made_before_the_destination(hook, webhook_receiver):
    form, destination = hook
    destination.active = False
    destination.save()
    submission = submit(draft_answered(form))
    later = destination_make(form, name="Added later", url=webhook_receiver.url)
    Destination.objects.filter(pk=later.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    run_due(after_seconds=2)
    assert not Delivery.objects.filter(submission=submission).exists()


def test_an_alert_that_cannot_be_sent_never_undoes_the_attempt(hook, webhook_receiver, monkeypatch):
    form, _ = hook
    webhook_receiver.fail_next(400)

    def broken(**kwargs):
        raise RuntimeError("the mail outbox is down")

    monkeypatch.setattr(deliveries, "message_send", broken)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    delivery = fresh(delivery)
    assert delivery.status == "failed" and delivery.final_alerted_at is not None
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == "permanent_failure"


def test_one_delivery_that_breaks_the_housekeeping_does_not_stop_the_rest(
    hook, webhook_receiver, monkeypatch
):
    form, _ = hook
    first = Delivery.objects.get(submission=submit(draft_answered(form)))
    second = Delivery.objects.get(submission=submit(draft_answered(form)))
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk__in=[first.pk, second.pk]).update(
        status="sending", lease_until=long_ago, delivered_at=None
    )
    real = deliveries._lease_lost

    def breaks_on_first(delivery, now):
        if delivery.pk == first.pk:
            raise DatabaseError("a row that cannot be written")
        return real(delivery, now)

    monkeypatch.setattr(deliveries, "_lease_lost", breaks_on_first)
    run_due()
    # Its first attempt, the one handed back, and the one that delivered it now.
    assert fresh(second).status == "delivered" and fresh(second).attempt_log.count() == 3
    assert fresh(first).status == "sending"
