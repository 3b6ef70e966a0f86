"""The periodic job: settle stuck payments and refunds, expire unpaid ones, close unpaid requests."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.cases.constants import Actor, CaseStatus
from portal.cases.models import Case
from portal.cases.services import CaseError, case_transition

from ..constants import (
    FINISHED_STATUSES,
    IN_PROGRESS_STATUSES,
    EventSource,
    FailureCode,
    PaymentStatus,
    RefundStatus,
)
from ..models import Payment, Refund
from ..providers.sandbox import sandbox_settle_due
from .checkout import payment_cancel
from .refunds import refund_submit
from .reminders import bill_reminders_send
from .settlement import _settle_if_created, payment_status_sync, payment_transition
from .webhooks import webhook_events_retry

logger = logging.getLogger("payments.services")


def payments_stuck_settle(*, now: datetime | None = None) -> int:
    """Fetch the status of payments left started or submitted (their webhook may be lost)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_STUCK_MINUTES)
    settled = 0
    for payment in Payment.objects.filter(status__in=IN_PROGRESS_STATUSES, updated_at__lt=cutoff):
        before = payment.status
        after = payment_status_sync(payment=payment, source=EventSource.STATUS_CHECK)
        settled += after.status != before
    for refund in Refund.objects.filter(status=RefundStatus.SUBMITTED, provider_id="", created_at__lt=cutoff):
        refund_submit(refund=refund)
    return settled


def cases_unpaid_close(*, now: datetime | None = None) -> int:
    """Close requests still awaiting payment ``PAYMENT_EXPIRY_HOURS`` after they were made.

    An attempt still open at the provider is closed first; if it turns out to be paid,
    the request goes ahead instead. One still being confirmed (a delayed payment
    method) keeps the request open until it settles.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PAYMENT_EXPIRY_HOURS)
    closed = 0
    for case in Case.objects.filter(status=CaseStatus.AWAITING_PAYMENT, created_at__lt=cutoff):
        for payment in Payment.objects.filter(case=case).exclude(status__in=FINISHED_STATUSES):
            if payment.status == PaymentStatus.CREATED:
                _settle_if_created(
                    payment,
                    to=PaymentStatus.FAILED,
                    failure_code=FailureCode.EXPIRED,
                    source=EventSource.SYSTEM,
                )
            else:
                payment_cancel(
                    payment=payment, failure_code=FailureCode.CANCELLED_BY_SERVICE, source=EventSource.SYSTEM
                )
        payments = Payment.objects.filter(case=case)
        if payments.filter(Q(status=PaymentStatus.SUCCESS) | Q(status__in=IN_PROGRESS_STATUSES)).exists():
            continue
        hours = settings.PAYMENT_EXPIRY_HOURS
        try:
            case_transition(
                case=case,
                to=CaseStatus.CLOSED_UNPAID,
                actor_role=Actor.SYSTEM,
                message=(
                    f"We closed this request because it was not paid for within {hours} hours. "
                    "If you still need it, please make a new request."
                ),
            )
        except CaseError as exc:
            logger.warning("Case %s could not be closed as unpaid: %s", case.reference, exc)
            continue
        closed += 1
    return closed


def payments_created_expire(*, now: datetime | None = None) -> int:
    """Payments never sent to a provider (a bill payment the payer walked away from) expire."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PAYMENT_EXPIRY_HOURS)
    expired = 0
    for payment in Payment.objects.filter(
        status=PaymentStatus.CREATED, created_at__lt=cutoff, case__isnull=True
    ):
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status == PaymentStatus.CREATED:
                payment_transition(
                    payment=locked,
                    to=PaymentStatus.FAILED,
                    failure_code=FailureCode.EXPIRED,
                    source=EventSource.SYSTEM,
                )
                expired += 1
    return expired


def payments_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: settle stuck payments and refunds, expire unpaid ones, close unpaid cases,
    and text bill reminders (``reminders.bill_reminders_send``, once per bill, in the day)."""
    return {
        "webhooks_retried": webhook_events_retry(),
        "sandbox_settled": sandbox_settle_due(now=now),
        "stuck_settled": payments_stuck_settle(now=now),
        "created_expired": payments_created_expire(now=now),
        "cases_closed_unpaid": cases_unpaid_close(now=now),
        "bill_reminders_sent": bill_reminders_send(now=now),
    }
