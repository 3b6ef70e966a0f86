"""The periodic job: stuck payments settled from the provider, unpaid requests closed."""

from datetime import timedelta

import pytest

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from payments.models import Payment
from payments.services import payment_start, payments_housekeeping
from portal.cases.models import Case

from .factories import fee_case

pytestmark = pytest.mark.django_db


def _age(payment, minutes):
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_a_payment_whose_webhook_never_came_is_settled(fake_stripe, django_capture_on_commit_callbacks):
    case, payment = fee_case()
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    _age(payment, 5)
    payments_housekeeping()
    payment.refresh_from_db()
    assert payment.status == "started"  # not stuck yet
    _age(payment, 31)
    with django_capture_on_commit_callbacks(execute=True):
        result = payments_housekeeping()
    assert result["stuck_settled"] == 1
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.status == "success" and case.status == "submitted"
    assert payment.events.get(status_to="success").source == "status_check"
    assert any(payment.reference in m.body for m in mail.outbox)


def test_an_unpaid_request_is_closed_after_the_expiry_and_the_resident_told(
    fake_stripe, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_EXPIRY_HOURS = 48
    case, payment = fee_case()
    payment = payment_start(payment=payment)  # the payer opened Stripe and walked away
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=47))
    payments_housekeeping()
    case.refresh_from_db()
    assert case.status == "awaiting_payment"

    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=49))
    with django_capture_on_commit_callbacks(execute=True):
        result = payments_housekeeping()
    assert result["cases_closed_unpaid"] == 1
    case.refresh_from_db()
    payment.refresh_from_db()
    assert case.status == "closed_unpaid"
    assert (payment.status, payment.failure_code) == ("cancelled", "cancelled_by_service")
    assert fake_stripe.sessions[payment.provider_id]["status"] == "expired"
    event = case.events.get(status_to="closed_unpaid")
    assert "not paid for within 48 hours" in event.message
    assert any(
        case.reference in m.subject or case.reference in m.body for m in mail.outbox if "48 hours" in m.body
    )


def test_a_request_paid_at_the_last_moment_is_not_closed(fake_stripe, settings):
    case, payment = fee_case()
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=100))
    payments_housekeeping()
    case.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == "success" and case.status == "submitted"


def test_a_request_with_a_payment_still_being_confirmed_stays_open(fake_stripe):
    case, payment = fee_case()
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id, paid=False)  # a delayed payment method
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=100))
    payments_housekeeping()
    case.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == "submitted" and case.status == "awaiting_payment"


def test_the_command_runs(capsys):
    call_command("payments_housekeeping")
    assert "cases_closed_unpaid: 0" in capsys.readouterr().out
