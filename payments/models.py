import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal.lib.money import pounds

from .constants import (
    FAILURE_STATUSES,
    FINISHED_STATUSES,
    IN_PROGRESS_STATUSES,
    RESIDENT_LABELS,
    BillStatus,
    EventSource,
    FailureCode,
    LinkChannel,
    LinkStatus,
    PaymentEventType,
    PaymentStatus,
    Provider,
    RefundStatus,
    SandboxStatus,
    VatStatus,
    WebhookStatus,
)
from .providers import provider_default

# Crockford's base32 without look-alikes: easy to read out on the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def payment_reference_new() -> str:
    """``PAY-XXXX-XXXX-XXXX``: 60 random bits, so a reference cannot be guessed.

    A payment made without an account is reached by its reference alone (the pay page
    and receipt links), so the reference has to be as hard to guess as a password.
    """
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"PAY-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


class Bill(models.Model):
    """Money owed to the council that anyone can pay by its reference and postcode."""

    reference = models.CharField(
        max_length=32, unique=True, help_text="As printed on the bill, e.g. INV-204518"
    )
    postcode = models.CharField(max_length=10, help_text="The postcode the bill was sent to.")
    description = models.CharField(max_length=200, help_text="What it is for, e.g. 'Trade waste, March 2026'")
    payer_name = models.CharField(max_length=150, blank=True)
    amount_due_pence = models.PositiveIntegerField("amount due (pence)")
    amount_paid_pence = models.PositiveIntegerField("amount paid (pence)", default=0, editable=False)
    allows_part_payment = models.BooleanField(default=False)
    vat_status = models.CharField(max_length=16, choices=VatStatus.choices, default=VatStatus.OUTSIDE_SCOPE)
    service_code = models.PositiveIntegerField("LGSL code", null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=BillStatus.choices, default=BillStatus.OPEN)
    # The resident whose bill it is, once they have shown it is theirs: they looked it up (by its
    # reference and postcode) or paid towards it while signed in (``bill_resident_set``). Bill
    # reminders by text go to them (``bill_reminders_send``).
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bills",
        editable=False,
    )
    # When the one reminder for this bill was sent (claimed), so it is sent once.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["due_date"], name="bill_due_date")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_due_pence__gt=0), name="bill_amount_due_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in BillStatus]), name="bill_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.description}"

    @property
    def outstanding_pence(self) -> int:
        return max(self.amount_due_pence - self.amount_paid_pence, 0)

    @property
    def amount_due_display(self) -> str:
        return pounds(self.amount_due_pence)

    @property
    def amount_paid_display(self) -> str:
        return pounds(self.amount_paid_pence)

    @property
    def outstanding_display(self) -> str:
        return pounds(self.outstanding_pence)

    @property
    def is_payable(self) -> bool:
        return self.status == BillStatus.OPEN and self.outstanding_pence > 0

    @property
    def is_open(self) -> bool:
        return self.status == BillStatus.OPEN

    @property
    def is_paid(self) -> bool:
        return self.status == BillStatus.PAID

    @property
    def is_cancelled(self) -> bool:
        return self.status == BillStatus.CANCELLED


class Payment(models.Model):
    """One attempt to take money for a case's fee or a bill (a new attempt is a new Payment)."""

    reference = models.CharField(max_length=20, unique=True, default=payment_reference_new, editable=False)
    amount_pence = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="GBP")
    description = models.CharField(max_length=200)
    vat_status = models.CharField(max_length=16, choices=VatStatus.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    email = models.EmailField(blank=True, help_text="Where the receipt goes.")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    service_code = models.PositiveIntegerField("LGSL code", null=True, blank=True, db_index=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    provider = models.CharField(max_length=12, choices=Provider.choices, blank=True)
    # Stripe: the Checkout Session id; sandbox: its own checkout id.
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Stripe: the PaymentIntent, which refunds and balance transactions point at.
    provider_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    next_url = models.URLField(max_length=2000, blank=True, help_text="The provider's payment page.")
    idempotency_key = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    failure_code = models.CharField(max_length=24, choices=FailureCode.choices, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    amount_refunded_pence = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Made by someone signed in: shown only to that account, and to nobody once the account
    # is gone (an anonymised payment is not a payment "made without an account").
    made_with_account = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("reconcile_payments", "Can reconcile payments with the provider"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="payment_status_updated"),
            models.Index(fields=["user", "-created_at"], name="payment_user_recent"),
            models.Index(fields=["finished_at"], name="payment_finished"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in PaymentStatus]), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded_pence__lte=F("amount_pence")),
                name="payment_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded_pence=0) | Q(status=PaymentStatus.SUCCESS),
                name="payment_refunds_only_when_paid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=sorted(s.value for s in FAILURE_STATUSES)) | Q(failure_code=""),
                name="payment_failure_code_only_on_failure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {pounds(self.amount_pence)} {self.status}"

    @property
    def amount_display(self) -> str:
        return pounds(self.amount_pence)

    @property
    def refunded_display(self) -> str:
        return pounds(self.amount_refunded_pence)

    @property
    def refundable_pence(self) -> int:
        return self.amount_pence - self.amount_refunded_pence if self.status == PaymentStatus.SUCCESS else 0

    @property
    def is_created(self) -> bool:
        """Not sent to a provider yet."""
        return self.status == PaymentStatus.CREATED

    @property
    def is_started(self) -> bool:
        """The provider's payment page is open."""
        return self.status == PaymentStatus.STARTED

    @property
    def is_open(self) -> bool:
        """Can still be paid: not sent to a provider yet, or its payment page is open."""
        return self.status in (PaymentStatus.CREATED, PaymentStatus.STARTED)

    is_payable = is_open

    @property
    def is_success(self) -> bool:
        return self.status == PaymentStatus.SUCCESS

    @property
    def is_cancelled(self) -> bool:
        return self.status == PaymentStatus.CANCELLED

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES

    @property
    def is_failure(self) -> bool:
        return self.status in FAILURE_STATUSES

    @property
    def resident_status_label(self) -> str:
        if self.status == PaymentStatus.SUCCESS and self.amount_refunded_pence:
            if self.amount_refunded_pence == self.amount_pence:
                return "Refunded"
            return "Partly refunded"
        return RESIDENT_LABELS[PaymentStatus(self.status)]

    @property
    def receipt_email(self) -> str:
        return self.email or (self.user.email if self.user_id else "")

    @property
    def is_test(self) -> bool:
        """Made (or to be made) with the sandbox provider: no money is taken, and every page and
        receipt says so."""
        return (self.provider or provider_default()) == Provider.SANDBOX

    @property
    def owner_gone(self) -> bool:
        """It belonged to an account that has since been deleted (its record is kept)."""
        return self.user_id is None and (self.made_with_account or self.anonymised_at is not None)


class PaymentEvent(models.Model):
    """One entry in a payment's history: every status change, refund and receipt."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=PaymentEventType.choices)
    source = models.CharField(max_length=16, choices=EventSource.choices, default=EventSource.SYSTEM)
    status_from = models.CharField(max_length=12, blank=True)
    status_to = models.CharField(max_length=12, blank=True)
    failure_code = models.CharField(max_length=24, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.type} {self.status_from}->{self.status_to}"


class Refund(models.Model):
    """Money given back on a successful payment, in full or in part."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_pence = models.PositiveIntegerField()
    reason = models.TextField()
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.SUBMITTED)
    provider_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=64, default=uuid.uuid4, editable=False)
    failure_message = models.CharField(max_length=300, blank=True)
    # Made by the portal itself, not by staff: money taken twice for the same thing.
    automatic = models.BooleanField(default=False, editable=False)
    # Set when the money refunded is a second charge for the payment (another checkout paid
    # for the same payment), not the payment's own charge: it does not count against
    # ``Payment.amount_refunded_pence``.
    charge_payment_intent = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "charge_payment_intent"],
                condition=~Q(charge_payment_intent=""),
                name="refund_duplicate_charge_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RefundStatus]), name="refund_status_valid"
            ),
            models.UniqueConstraint(
                fields=["provider_id"], condition=~Q(provider_id=""), name="refund_provider_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {pounds(self.amount_pence)} on {self.payment_id} ({self.status})"

    @property
    def amount_display(self) -> str:
        return pounds(self.amount_pence)

    @property
    def is_submitted(self) -> bool:
        """Waiting for the provider."""
        return self.status == RefundStatus.SUBMITTED

    @property
    def is_success(self) -> bool:
        return self.status == RefundStatus.SUCCESS

    @property
    def is_error(self) -> bool:
        return self.status == RefundStatus.ERROR

    @property
    def is_duplicate_charge(self) -> bool:
        return bool(self.charge_payment_intent)


class WebhookEvent(models.Model):
    """A verified message from a payment provider, stored once and processed once."""

    provider = models.CharField(max_length=12, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    note = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=1, help_text="How many times the provider sent it.")

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique"),
        ]
        indexes = [
            # The housekeeping job's look-up of failed and deferred events.
            models.Index(fields=["status", "received_at"], name="webhook_event_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"


def _sandbox_id() -> str:
    return f"sbx_{secrets.token_urlsafe(18)}"


class SandboxCheckout(models.Model):
    """The sandbox provider's side of a payment: what a real provider would hold.

    Kept apart from ``Payment`` on purpose, so the portal only learns an outcome the way
    it would from a real provider: a status fetch or a signed webhook.
    """

    id = models.CharField(primary_key=True, max_length=40, default=_sandbox_id, editable=False)
    payment_reference = models.CharField(max_length=20, db_index=True)
    amount_pence = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    return_url = models.CharField(max_length=2000)
    cancel_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=12, choices=SandboxStatus.choices, default=SandboxStatus.OPEN)
    card_last4 = models.CharField(max_length=4, blank=True)
    amount_refunded_pence = models.PositiveIntegerField(default=0)
    settle_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"


class SandboxRefund(models.Model):
    """A refund as the sandbox provider records it (for status and reconciliation)."""

    id = models.CharField(primary_key=True, max_length=40, default=_sandbox_id, editable=False)
    checkout = models.ForeignKey(SandboxCheckout, on_delete=models.CASCADE, related_name="refunds")
    amount_pence = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, default="succeeded")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} {self.amount_pence}"


def payment_link_token_hash(token: str) -> str:
    """What a payment link stores instead of its token: the token is only ever in the URL."""
    return hashlib.sha256(token.encode()).hexdigest()


def _link_expires_at():
    return timezone.now() + timedelta(days=settings.PAYMENT_LINK_DAYS)


class PaymentLink(models.Model):
    """A link staff give a resident to pay a case's fee or a bill themselves, with no sign-in.

    Staff never key card numbers: they email (later text) the link, or open it on the desk's
    screen for the resident to pay there. The link is the credential, so only its token's
    SHA-256 is stored; the raw token exists only in the URL sent.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="links",
        help_text="The fee to pay (a payment for a case awaiting payment).",
    )
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_links",
        help_text="The resident it is for (none for a caller with no record).",
    )
    channel = models.CharField(max_length=12, choices=LinkChannel.choices, default=LinkChannel.EMAIL)
    sent_to = models.CharField(
        max_length=254,
        blank=True,
        help_text="The email address (or, for a text, the phone number) it went to.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_link_expires_at)
    opened_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The payments started through this link (a bill's new payment, a fee's retries).
    attempts = models.ManyToManyField(Payment, blank=True, related_name="+", editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False, bill__isnull=True)
                | Q(payment__isnull=True, bill__isnull=False),
                name="payment_link_payment_xor_bill",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in LinkChannel]), name="payment_link_channel_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="payment_link_user_recent")]

    def __str__(self) -> str:
        return f"Payment link {self.pk} for {self.payment or self.bill}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        """Can still open a payment: not paid, replaced, cancelled or expired."""
        return self.paid_at is None and self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.paid_at is not None:
            return LinkStatus.PAID
        if self.revoked_at is not None:
            return LinkStatus.REVOKED
        if self.is_expired:
            return LinkStatus.EXPIRED
        if self.opened_at is not None:
            return LinkStatus.OPENED
        return LinkStatus.SENT

    @property
    def status_label(self) -> str:
        return LinkStatus(self.status).label

    @property
    def reference(self) -> str:
        """The reference the resident knows it by: the request's, the bill's or the payment's."""
        if self.bill_id:
            return self.bill.reference
        if self.payment.case_id:
            return self.payment.case.reference
        return self.payment.reference
