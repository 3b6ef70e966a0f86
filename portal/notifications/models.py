import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models

from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.models import DraftStateMixin, PreviewableMixin, RevisionMixin
from wagtail.search import index

from .constants import (
    DELIVERED_STATUSES,
    FAILURE_STATUSES,
    FINAL_STATUSES,
    InboundHandled,
    InboundOutcome,
    NotificationChannel,
    NotificationProvider,
    NotificationStatus,
)


class Notification(models.Model):
    """One message to one person: the outbox row, written before anything is sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(
        max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL, editable=False
    )
    # The email address or phone number; for a letter, its address on one line (for lists).
    to = models.CharField("to", max_length=254)
    # A letter's address, one line each (Notify's address_line_1..7: name first, postcode last).
    address_lines = models.JSONField(default=list, blank=True)
    large_print = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    template = models.CharField(max_length=200, blank=True)
    # The editors' wording it was written from, and which version of it (Wagtail's revision),
    # so the history says which wording each sent message used.
    message_template = models.ForeignKey(
        "MessageTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="sent"
    )
    template_revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the email was about, so staff see on a case whether its updates reached the resident.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.CREATED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When a provider took the message: delivered, for the mail server; for GOV.UK Notify
    # (and the console, without a Notify key) the row stays "sending" until a receipt says more.
    sent_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, choices=NotificationProvider.choices, blank=True)
    # The provider's id for the message (Notify's notification id), to match its receipts.
    provider_id = models.CharField(max_length=100, blank=True)
    # When a delivery receipt (or polling) said it arrived: delivered, or a letter posted.
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Delivery bookkeeping (services.notification_deliver): when the latest attempt claimed
    # the row and until when it holds it, and when the next attempt is due. An attempt lost
    # with its worker is handed on once its lease has run out (notification_housekeeping).
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The bodies above have the email's sign-in links and codes replaced by placeholders;
    # the real ones were held outside the outbox only until the email was sent.
    redacted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["case", "created_at"], name="notification_case_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=NotificationChannel.values), name="notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(provider__in=["", *NotificationProvider.values]),
                name="notification_provider_valid",
            ),
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~models.Q(provider_id=""),
                name="notification_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.get_status_display()})"

    @property
    def is_delivered(self) -> bool:
        return self.status in DELIVERED_STATUSES

    @property
    def is_failed(self) -> bool:
        """A failure of any kind: temporary (to be retried), permanent or technical."""
        return self.status in FAILURE_STATUSES

    @property
    def is_handed_over(self) -> bool:
        """A provider has taken it: no further attempt is made (receipts may follow)."""
        return self.sent_at is not None

    @property
    def is_final(self) -> bool:
        """Delivered or given up: no further attempt will be made."""
        return self.status in FINAL_STATUSES


class NotifyReceipt(models.Model):
    """One delivery receipt from GOV.UK Notify, stored once per Notify id, then processed by a task."""

    notify_id = models.CharField(max_length=100)
    status = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )
    # What processing did: "applied", "unchanged" (stale or a repeat), "unknown" (no row).
    outcome = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-received_at"]
        # Notify retries a callback it thinks failed: the same id with the same status is
        # the same receipt. A later status for the same message is a new one.
        constraints = [models.UniqueConstraint(fields=["notify_id", "status"], name="notify_receipt_once")]

    def __str__(self) -> str:
        return f"{self.notify_id}: {self.status}"


class MessageTemplate(DraftStateMixin, RevisionMixin, PreviewableMixin, index.Indexed, models.Model):
    """The wording of one kind of message (``messages.MessageType``), per channel, kept by editors.

    One row per message type, made from the type's default wording on migrate. Editors change
    it in Wagtail (Snippets → Messages), with placeholders such as ``((reference))``, a
    preview with the text message's length in fragments, drafts and a version history; a
    message is sent with the published wording and keeps which revision it used.
    """

    key = models.CharField(max_length=100, unique=True, editable=False)
    name = models.CharField(max_length=200, editable=False)
    email_subject = models.CharField("email subject", max_length=200)
    email_body = models.TextField("email")
    sms_body = models.TextField(
        "text message",
        blank=True,
        help_text="Leave blank to never send this by text: it goes by email or post instead.",
    )
    letter_subject = models.CharField("letter heading", max_length=200, blank=True)
    letter_body = models.TextField(
        "letter",
        blank=True,
        help_text="Leave blank to never send this by post: it goes by email or text instead.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="message_template")

    search_fields = [index.SearchField("name"), index.SearchField("email_subject"), index.SearchField("key")]

    panels = [
        HelpPanel(template="notifications/admin/message_template_help.html"),
        MultiFieldPanel([FieldPanel("email_subject"), FieldPanel("email_body")], heading="Email"),
        MultiFieldPanel([FieldPanel("sms_body")], heading="Text message"),
        MultiFieldPanel([FieldPanel("letter_subject"), FieldPanel("letter_body")], heading="Letter"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = "message"
        verbose_name_plural = "messages"

    def __str__(self) -> str:
        return self.name

    @property
    def message_type(self) -> Any:
        from .messages import message_type  # imported late: messages imports this module

        return message_type(self.key)

    def clean(self) -> None:
        super().clean()
        from .messages import wording_errors  # imported late: messages imports this module

        errors = wording_errors(self)
        if errors:
            raise ValidationError(errors)

    def get_preview_template(self, request: Any, mode_name: str) -> str:
        return "notifications/admin/message_preview.html"

    def get_preview_context(self, request: Any, mode_name: str) -> dict[str, Any]:
        from .messages import preview  # imported late: messages imports this module

        return {**super().get_preview_context(request, mode_name), "message": self, **preview(self)}


class SmsOptOut(models.Model):
    """A phone number that replied STOP: the portal sends it no more text messages.

    Kept by the number (digits, ``07…``), so it holds for an alert subscriber with no account
    as for a resident. Cleared when the person asks for texts again (START, or choosing text
    messages in My account).
    """

    phone_digits = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Opted out of texts: …{self.phone_digits[-3:]}"


class InboundText(models.Model):
    """A text message sent to the council's number, as GOV.UK Notify passed it on.

    Stored once per Notify id, then processed by a task (``inbound.inbound_text_process``):
    STOP and START change whether the number gets texts; anything else lands on the sender's
    case that waits for their reply, or stays here for the contact centre to triage.
    """

    notify_id = models.CharField(max_length=100, unique=True)
    source_number = models.CharField("from", max_length=30)
    # The sender's number as the portal compares numbers (``selectors.phone_digits``).
    phone_digits = models.CharField(max_length=20, db_index=True)
    destination_number = models.CharField("to", max_length=30, blank=True)
    message = models.TextField()
    # When Notify received it (its ``date_received``); when it reached the portal.
    date_received = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=InboundOutcome.choices, blank=True)
    # The resident whose number it is (when one matched), and the case it was added to.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_texts"
    )
    case_event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Triage: who dealt with it and how (texts that landed on a case, STOP and START need none).
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_how = models.CharField(max_length=20, choices=InboundHandled.choices, blank=True)

    class Meta:
        ordering = ["-date_received"]
        verbose_name = "text message received"
        verbose_name_plural = "text messages received"
        indexes = [models.Index(fields=["outcome", "handled_at"], name="inbound_text_triage")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["", *InboundOutcome.values]),
                name="inbound_text_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(handled_how__in=["", *InboundHandled.values]),
                name="inbound_text_handled_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Text from …{self.phone_digits[-3:]} ({self.date_received:%d %b %Y %H:%M})"

    @property
    def to_triage(self) -> bool:
        """Waiting for the contact centre: processed, on no case, not yet dealt with."""
        return self.outcome == InboundOutcome.TRIAGE and self.handled_at is None
