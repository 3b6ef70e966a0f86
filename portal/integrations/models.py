"""Integrations: API clients (hashed keys) and their audit, destinations a form's submissions
go to, the delivery outbox with its attempt log, and status updates coming back."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from forms_engine.models import ServiceForm, Submission
from portal.cases.models import Case

from .constants import (
    DELIVERY_FINAL,
    ApiScope,
    AttemptOutcome,
    DeliveryStatus,
    DestinationKind,
    UpdateOutcome,
)


def _webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class ApiClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiClient(models.Model):
    """Another system allowed to call the portal's APIs (e.g. FixMyStreet, a highways system).

    Only the SHA-256 of its key is kept (``key_hash``), with the key's first characters
    (``key_prefix``) to find it and to show staff which key is which. The key itself is shown
    once, when it is made. Revoking is immediate; every call is audited (``ApiKeyUse``).
    """

    name = models.CharField(
        max_length=100, unique=True, help_text="Shown as the channel of what it sends, e.g. 'FixMyStreet'"
    )
    contact_email = models.EmailField(blank=True, help_text="Who to tell about the key (optional)")
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True, help_text="What the key may do")
    rate_limit_per_minute = models.PositiveIntegerField(default=60)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"
        permissions = [("manage_integrations", "Manage API keys, destinations and deliveries")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def scope_labels(self) -> list[str]:
        return [str(ApiScope(s).label) for s in self.scopes or [] if s in ApiScope.values]


class ApiKeyUse(models.Model):
    """One call made with an API key (or with a wrong or revoked one): the audit trail."""

    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.CASCADE, related_name="uses"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["client", "-at"], name="apikeyuse_client_recent")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


class Destination(models.Model):
    """Somewhere a form's submissions go, besides the portal's own case."""

    form = models.ForeignKey(ServiceForm, on_delete=models.CASCADE, related_name="destinations")
    name = models.CharField(max_length=100, help_text="e.g. 'Highways team inbox' or 'Confirm (highways)'")
    kind = models.CharField(max_length=10, choices=DestinationKind.choices)
    active = models.BooleanField(default=True, help_text="New submissions are delivered only while active")
    # Email
    email_to = models.CharField(
        max_length=500, blank=True, help_text="Email: one or more addresses, separated by commas"
    )
    attach_limit_mb = models.PositiveSmallIntegerField(
        default=10, help_text="Email: files larger than this in total are sent as links instead"
    )
    # Webhook
    url = models.URLField(max_length=500, blank=True, help_text="Webhook or Open311: the address to send to")
    secret = models.CharField(
        max_length=100, default=_webhook_secret, editable=False, help_text="Webhook: the signing secret"
    )
    # After the secret is replaced, the old one still signs (a second v1=) until this time, so
    # receivers can change over without dropping deliveries.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Open311 client
    open311_api_key = models.CharField(max_length=200, blank=True, help_text="Open311: the key they gave us")
    open311_jurisdiction = models.CharField(max_length=100, blank=True)
    open311_service_code = models.CharField(
        max_length=100, blank=True, help_text="Open311: their service code for this form"
    )
    attribute_map = models.JSONField(
        default=dict,
        blank=True,
        help_text="Open311: which of their attributes each question fills, {question name: attribute code}",
    )
    poll_updates = models.BooleanField(
        default=True, help_text="Open311: read their status updates (servicerequestupdates) every few minutes"
    )
    polled_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Status updates back
    status_client = models.ForeignKey(
        ApiClient,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="destinations",
        help_text="The API client this back office uses to send status updates by its own ids",
    )
    alert_email = models.EmailField(
        blank=True, help_text="Who to tell when deliveries keep failing (else the form's team)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form__title", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]


class Delivery(models.Model):
    """One submission to one destination: the outbox row, retried with backoff until it lands."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="deliveries")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    failures_in_row = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=100, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    final_alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "submission"], name="delivery_once_per_destination"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.submission_id} → {self.destination}"

    @property
    def is_final(self) -> bool:
        return self.status in DELIVERY_FINAL

    @property
    def is_delivered(self) -> bool:
        return self.status == DeliveryStatus.DELIVERED

    @property
    def is_failed(self) -> bool:
        return self.status == DeliveryStatus.FAILED

    @property
    def can_resend(self) -> bool:
        return self.status in DELIVERY_FINAL

    @property
    def status_tag_class(self) -> str:
        return {
            DeliveryStatus.DELIVERED: "w-status--live",
            DeliveryStatus.FAILED: "w-status--error",
            DeliveryStatus.RETRYING: "w-status--warning",
        }.get(self.status, "")


class DeliveryAttempt(models.Model):
    """One try at a delivery: what the other end said. Staff read these in the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.started_at:%Y-%m-%d %H:%M}"


class StatusUpdate(models.Model):
    """A status update a back office sent (status API) or we read (Open311 polling).

    Unique per source and the source's update id, so a repeat changes nothing; updates older
    than one already applied to the case (``remote_time``) are kept but not applied.
    """

    source = models.CharField(max_length=120, help_text="client:<id> or destination:<id>")
    update_id = models.CharField(max_length=120)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="remote_updates"
    )
    status = models.CharField(max_length=24, blank=True)
    public_message = models.TextField(blank=True)
    internal_note = models.TextField(blank=True)
    expected_on = models.DateField(null=True, blank=True)
    remote_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=12, choices=UpdateOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "update_id"], name="status_update_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.update_id}"


class AppSubmission(models.Model):
    """An Open311 report an app filed, by a hash of what it sent: the same report sent twice
    (a client retrying after a timeout) gives the first request's id, not a second case."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="submissions")
    request_hash = models.CharField(max_length=64)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "request_hash"], name="app_submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.request_hash[:12]}"
