"""Payment, refund, bill and webhook states, and the tables of allowed moves.

Payment states and failure codes are GOV.UK Pay's. ``TRANSITIONS`` is the only statement
of which payment moves are allowed: ``payments.services.payment_transition`` reads it, and
the tests walk it. ``REFUND_TRANSITIONS`` and ``BILL_TRANSITIONS`` do the same for refunds
(``refund_transition``) and bills (``bill_transition``).

The rules that make out-of-order and repeated payment messages converge:

* ``success`` is final. Once money is confirmed taken, no later message (an ``expired``
  that arrives late, a repeated ``async_payment_failed``) can change it.
* A finished failure (``failed``, ``cancelled``, ``error``) can still become ``success``
  when the provider confirms the money was taken: money taken always wins, so a
  ``completed`` delivered after ``expired`` ends in ``success``.
* A finished failure never becomes a different failure: the first reason recorded stays.
* Moves "backwards" (``submitted`` to ``started``) are never made, so a stale message
  cannot undo a newer one.
"""

from django.db import models

# The most that can be typed as an amount to pay, refund or bill, in whole pounds (seven
# digits): a bound on a slip of the keyboard, far above any council bill.
MAX_AMOUNT_POUNDS = 9_999_999


class PaymentStatus(models.TextChoices):
    CREATED = "created", "Created"
    STARTED = "started", "Started"
    SUBMITTED = "submitted", "Submitted"
    CAPTURABLE = "capturable", "Capturable"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    ERROR = "error", "Error"


# What residents read about a payment's status.
RESIDENT_LABELS = {
    PaymentStatus.CREATED: "Not paid yet",
    PaymentStatus.STARTED: "In progress",
    PaymentStatus.SUBMITTED: "Being confirmed",
    PaymentStatus.CAPTURABLE: "Being confirmed",
    PaymentStatus.SUCCESS: "Paid",
    PaymentStatus.FAILED: "Not paid",
    PaymentStatus.CANCELLED: "Cancelled",
    PaymentStatus.ERROR: "Not paid",
}

IN_PROGRESS_STATUSES = frozenset({PaymentStatus.STARTED, PaymentStatus.SUBMITTED, PaymentStatus.CAPTURABLE})
FAILURE_STATUSES = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.ERROR})
FINISHED_STATUSES = FAILURE_STATUSES | {PaymentStatus.SUCCESS}


class FailureCode(models.TextChoices):
    """GOV.UK Pay's failure reasons; ``GOVUK_PAY_CODES`` gives their P-codes."""

    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED_BY_USER = "cancelled_by_user", "Cancelled by the payer"
    CANCELLED_BY_SERVICE = "cancelled_by_service", "Cancelled by the council"
    PROVIDER_ERROR = "provider_error", "Payment provider error"


GOVUK_PAY_CODES = {
    FailureCode.DECLINED: "P0010",
    FailureCode.EXPIRED: "P0020",
    FailureCode.CANCELLED_BY_USER: "P0030",
    FailureCode.CANCELLED_BY_SERVICE: "P0040",
    FailureCode.PROVIDER_ERROR: "P0050",
}

# Which failure codes each failure status may carry.
FAILURE_CODES_FOR = {
    PaymentStatus.FAILED: frozenset({FailureCode.DECLINED, FailureCode.EXPIRED}),
    PaymentStatus.CANCELLED: frozenset({FailureCode.CANCELLED_BY_USER, FailureCode.CANCELLED_BY_SERVICE}),
    PaymentStatus.ERROR: frozenset({FailureCode.PROVIDER_ERROR}),
}

S = PaymentStatus
_FAILURES = {S.FAILED, S.CANCELLED, S.ERROR}
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.CREATED, S.STARTED),
        # Never sent to the provider: only the council can cancel it, or it expires.
        (S.CREATED, S.CANCELLED),
        (S.CREATED, S.FAILED),
        (S.CREATED, S.ERROR),
        *{(S.STARTED, to) for to in (S.SUBMITTED, S.CAPTURABLE, S.SUCCESS, *_FAILURES)},
        *{(S.SUBMITTED, to) for to in (S.CAPTURABLE, S.SUCCESS, *_FAILURES)},
        *{(S.CAPTURABLE, to) for to in (S.SUCCESS, S.CANCELLED, S.ERROR)},
        # Money taken always wins (see the module docstring).
        *{(failure, S.SUCCESS) for failure in _FAILURES},
    }
)
del S, _FAILURES


def transition_allowed(current: str, to: str) -> bool:
    return (current, to) in TRANSITIONS


class PaymentEventType(models.TextChoices):
    CREATED = "created", "Created"
    STATUS_CHANGE = "status_change", "Status changed"
    REFUND_REQUESTED = "refund_requested", "Refund requested"
    REFUND_UPDATED = "refund_updated", "Refund updated"
    RECEIPT_SENT = "receipt_sent", "Receipt sent"
    NOTE = "note", "Note"


class EventSource(models.TextChoices):
    """Where the news that caused a change came from."""

    RESIDENT = "resident", "Resident"
    RETURN = "return", "Return from the payment page"
    WEBHOOK = "webhook", "Provider webhook"
    STATUS_CHECK = "status_check", "Status check"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class RefundStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    SUCCESS = "success", "Success"
    ERROR = "error", "Error"


# Refunds that count against what may still be refunded: pending ones included.
REFUND_COUNTED_STATUSES = frozenset({RefundStatus.SUBMITTED, RefundStatus.SUCCESS})

# The provider's news only moves a refund forward; repeated or stale news changes nothing.
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RefundStatus.SUBMITTED: frozenset({RefundStatus.SUCCESS, RefundStatus.ERROR}),
    # A card refund can still fail after the provider first said it succeeded.
    RefundStatus.SUCCESS: frozenset({RefundStatus.ERROR}),
    RefundStatus.ERROR: frozenset(),
}


def refund_transition_allowed(current: str, to: str) -> bool:
    return to in REFUND_TRANSITIONS.get(current, frozenset())


class BillStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


# The moves the code makes, and no others (``bill_transition`` refuses the rest):
#
# * open -> paid: paid in full by payments (``settlement``), or Finance marks it paid or lowers
#   the amount due to what was paid (the bill form: an open bill paid in full is paid).
# * open -> cancelled: Finance cancels a bill no longer owed (the bill form).
# * paid -> open: the amount due is raised above what was paid (the CSV import, the bill
#   form), or Finance undoes a "paid" set by hand. Refunds never move a bill.
# * cancelled -> open: Finance reopens a cancelled bill (the bill form); reopening one that
#   payments already cover goes on to ``paid`` (``bills.bill_status_set``).
#
# A paid bill is never cancelled (the money taken stays on record; a bill raised in error is
# refunded), and a cancelled bill is reopened before it can be marked paid.
BILL_TRANSITIONS: dict[str, frozenset[str]] = {
    BillStatus.OPEN: frozenset({BillStatus.PAID, BillStatus.CANCELLED}),
    BillStatus.PAID: frozenset({BillStatus.OPEN}),
    BillStatus.CANCELLED: frozenset({BillStatus.OPEN}),
}


def bill_transition_allowed(current: str, to: str) -> bool:
    return to in BILL_TRANSITIONS.get(current, frozenset())


def bill_status_choices(current: str) -> list[tuple[str, str]]:
    """The statuses Finance may pick for a bill now ``current``: it, and the moves allowed from it."""
    return [
        (value, label)
        for value, label in BillStatus.choices
        if value == current or bill_transition_allowed(current, value)
    ]


class VatStatus(models.TextChoices):
    """The same values as ``forms_engine.constants.VatStatus``, for bills and receipts."""

    OUTSIDE_SCOPE = "outside_scope", "Outside the scope of VAT"
    EXEMPT = "exempt", "Exempt from VAT"
    STANDARD = "standard", "Standard rate VAT included"


class Provider(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (test)"
    STRIPE = "stripe", "Stripe"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    # Cannot apply yet (e.g. a refund before the payment's success): kept, and applied when
    # the event it waits for has been, or by the housekeeping job.
    DEFERRED = "deferred", "Waiting for an earlier message"
    FAILED = "failed", "Failed, will retry"


class SandboxStatus(models.TextChoices):
    """The sandbox provider's own view of a checkout, like a Stripe Checkout Session."""

    OPEN = "open", "Open"
    PROCESSING = "processing", "Processing (delayed)"
    PAID = "paid", "Paid"
    DECLINED = "declined", "Declined"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class LinkChannel(models.TextChoices):
    """How a payment link reached the resident (``PaymentLink.channel``)."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    # Opened by the agent on the desk's screen for the resident to pay there and then.
    IN_PERSON = "in_person", "Face to face"


class LinkStatus(models.TextChoices):
    """Where a payment link stands, as the agent sees it (derived, never stored)."""

    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Replaced or cancelled"
