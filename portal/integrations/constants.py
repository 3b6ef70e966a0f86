"""Choices and the delivery state table for the integrations app."""

from django.db import models


class DestinationKind(models.TextChoices):
    EMAIL = "email", "Email to a team (answers as a PDF, files attached)"
    WEBHOOK = "webhook", "JSON webhook to a back-office system (signed)"
    OPEN311 = "open311", "Open311 endpoint of a back-office system"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Failed, will try again"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed, not tried again"
    CANCELLED = "cancelled", "Cancelled"


# The moves a delivery makes, and no others (``deliveries.delivery_transition`` is the only
# writer of ``Delivery.status``):
# * pending/retrying -> sending: a worker claims it (a lease, so a crash hands it back);
# * sending -> delivered | retrying | failed: the attempt's outcome (failed once the retries
#   are used up, or at once on a permanent refusal such as HTTP 400);
# * sending -> pending: the lease ran out (the worker died), or a fee not paid yet;
# * pending/retrying -> cancelled: the case closed unpaid, or the destination was removed;
# * delivered/failed/cancelled -> pending: staff pressed "Resend".
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    DeliveryStatus.PENDING: frozenset({DeliveryStatus.SENDING, DeliveryStatus.CANCELLED}),
    DeliveryStatus.RETRYING: frozenset({DeliveryStatus.SENDING, DeliveryStatus.CANCELLED}),
    DeliveryStatus.SENDING: frozenset(
        {DeliveryStatus.DELIVERED, DeliveryStatus.RETRYING, DeliveryStatus.FAILED, DeliveryStatus.PENDING}
    ),
    DeliveryStatus.DELIVERED: frozenset({DeliveryStatus.PENDING}),
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.PENDING}),
    DeliveryStatus.CANCELLED: frozenset({DeliveryStatus.PENDING}),
}
DELIVERY_CLAIMABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.RETRYING})
DELIVERY_FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED})

# Seconds before each retry: 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h up to
# DELIVERY_MAX_ATTEMPTS in all (about 3 days), after which the delivery fails for good.
DELIVERY_BACKOFF = (60, 300, 1800, 7200, 21600, 43200)
DELIVERY_MAX_ATTEMPTS = 10
# The form's team is alerted when a delivery has failed this many times in a row.
DELIVERY_ALERT_AFTER = 3
# A claimed delivery whose worker has not finished in this time is handed back.
DELIVERY_LEASE_SECONDS = 300


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    TEMPORARY = "temporary_failure", "Failed (will retry)"
    PERMANENT = "permanent_failure", "Refused (not retried)"


class ApiScope(models.TextChoices):
    OPEN311_REPORT = "open311_report", "File reports through Open311"
    CASE_UPDATES = "case_updates", "Update cases (status API)"


class UpdateOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    DUPLICATE = "duplicate", "Already applied"
    STALE = "stale", "Older than an update already applied"
    REFUSED = "refused", "Refused"
