import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.interactions.constants import Channel

from .constants import (
    CHANNEL_PHRASES,
    OPEN_STATUSES,
    REOPENABLE_STATUSES,
    SENT_OUTCOMES,
    STAFF_LABELS,
    STATUS_TAG_CLASSES,
    Actor,
    CaseStatus,
    EventType,
    NotifyOutcome,
    Priority,
    SatisfactionState,
    move_allowed,
)


class Team(models.Model):
    """A group of officers who work a service's cases; officers see their teams' cases."""

    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True, help_text="Where the daily list of cases about to breach is sent.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="case_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferenceSequence(models.Model):
    """The last number handed out per reference prefix and year (row-locked while counting)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="reference_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


def _tracking_token() -> str:
    return secrets.token_urlsafe(24)


_OPEN = Q(status__in=sorted(OPEN_STATUSES))


class Case(models.Model):
    """A resident's request as the council works it, from submission to closure."""

    reference = models.CharField(max_length=24, unique=True)
    title = models.CharField(max_length=200, help_text="What was asked for, e.g. the form's title.")
    service_code = models.PositiveIntegerField("LGSL code", null=True, blank=True)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    # Where updates go: the account's email, or the address given on an anonymous submission.
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=16, default="web")
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    sla_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True, db_index=True)
    expected_on = models.DateField(
        null=True, blank=True, help_text="When a back-office system expects to finish (its status updates)."
    )
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while awaiting the resident.")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    # The resident's view of the timeline: when it last changed and when they last looked.
    last_public_event_at = models.DateTimeField(null=True, blank=True)
    resident_seen_at = models.DateTimeField(null=True, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=_tracking_token, editable=False)
    # "How satisfied are you with the outcome?" is asked once per case (portal.cases.services.satisfaction).
    satisfaction_state = models.CharField(
        max_length=12, choices=SatisfactionState.choices, blank=True, default=""
    )
    satisfaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="case_status_due"),
            models.Index(fields=["team", "status", "due_on"], name="case_team_status_due"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["resident", "-created_at"], name="case_resident_recent"),
            # The staff queue's search by the email on an anonymous request.
            models.Index(fields=["contact_email"], name="case_contact_email"),
            # The staff queue in each of its orders, read in index order so no page sorts:
            # open cases (its default) by due date, all of them, a team's, an officer's (the
            # deadline filters, overdue and due soon, are ranges of these); any case by when
            # it was made; a service's cases by due date. A reversed order reads the same
            # index backwards (the last page). The search's trigram indexes are
            # PostgreSQL-only, in migration 0005.
            models.Index(fields=["due_on", "id"], condition=_OPEN, name="case_open_due"),
            models.Index(fields=["created_at", "id"], name="case_created"),
            models.Index(fields=["team", "due_on", "id"], condition=_OPEN, name="case_open_team_due"),
            models.Index(fields=["assignee", "due_on", "id"], condition=_OPEN, name="case_open_assignee_due"),
            models.Index(fields=["service_code", "due_on", "id"], name="case_service_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CaseStatus]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=sorted(s.value for s in OPEN_STATUSES)) | Q(closed_at__isnull=False),
                name="case_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction_state__in=["", *SatisfactionState.values]),
                name="case_satisfaction_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def staff_status_label(self) -> str:
        return STAFF_LABELS[CaseStatus(self.status)]

    @property
    def status_tag_class(self) -> str:
        """The GOV.UK tag colour for the status, as a class name."""
        return STATUS_TAG_CLASSES.get(self.status, "govuk-tag--grey")

    @property
    def is_awaiting_resident(self) -> bool:
        """Waiting for the resident's reply: the SLA clock is paused."""
        return self.status == CaseStatus.AWAITING_RESIDENT

    @property
    def is_awaiting_payment(self) -> bool:
        """Waiting for the fee: payments may still move it on (``payments`` asks this, not the string)."""
        return self.status == CaseStatus.AWAITING_PAYMENT

    @property
    def is_resolved(self) -> bool:
        return self.status == CaseStatus.RESOLVED

    @property
    def is_rejected(self) -> bool:
        return self.status == CaseStatus.REJECTED

    @property
    def channel_phrase(self) -> str:
        """How the request was made, in the resident's words: "by phone", "face to face"."""
        return CHANNEL_PHRASES.get(self.channel, "another way")

    @property
    def submitted_for_resident(self) -> bool:
        """Made for the resident by staff (on the phone, at a desk, from an email or a letter,
        or by another system), not online by the resident."""
        return bool(self.channel) and self.channel != Channel.WEB

    @property
    def submitted_for_you_phrase(self) -> str:
        """Where staff made it, in the resident's words: "at a council office", "by phone"."""
        return "at a council office" if self.channel == Channel.FACE_TO_FACE else self.channel_phrase

    @property
    def is_decided(self) -> bool:
        """Closed with a decision the resident may ask about: resolved, or closed without action."""
        return self.status in REOPENABLE_STATUSES

    @property
    def can_withdraw(self) -> bool:
        """Whether the transition table lets the resident withdraw the case now."""
        return move_allowed(self.status, CaseStatus.WITHDRAWN, Actor.RESIDENT)

    @property
    def reopen_until(self) -> datetime | None:
        """The last moment the resident may reopen this closed case, or None if they never may."""
        if self.is_open or not self.closed_at:
            return None
        if not move_allowed(self.status, CaseStatus.IN_PROGRESS, Actor.RESIDENT):
            return None
        return self.closed_at + timedelta(days=getattr(settings, "CASE_REOPEN_DAYS", 28))

    @property
    def can_reopen(self) -> bool:
        until = self.reopen_until
        return bool(until and timezone.now() <= until)

    @property
    def has_unread(self) -> bool:
        return bool(
            self.last_public_event_at
            and (self.resident_seen_at is None or self.resident_seen_at < self.last_public_event_at)
        )


class CaseEvent(models.Model):
    """One entry on a case's timeline. Internal events are never shown to the resident."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=EventType.choices)
    public = models.BooleanField(default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=16, choices=Actor.choices, default=Actor.SYSTEM)
    status_from = models.CharField(max_length=24, blank=True)
    status_to = models.CharField(max_length=24, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.type} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_status_change(self) -> bool:
        return self.type == EventType.STATUS_CHANGE

    @property
    def is_created(self) -> bool:
        return self.type == EventType.CREATED

    @property
    def is_resident_message(self) -> bool:
        return self.type == EventType.RESIDENT_MESSAGE

    @property
    def is_officer_message(self) -> bool:
        return self.type == EventType.OFFICER_MESSAGE

    @property
    def is_by_text(self) -> bool:
        """A resident's message that came by text message (``case_text_message_add``)."""
        return self.is_resident_message and self.data.get("channel") == Channel.SMS

    @property
    def by_proxy(self) -> bool:
        """Made by someone acting for the resident (``actor``), not by the resident themselves."""
        return bool(self.data.get("proxy"))

    @property
    def notify_emailed(self) -> bool:
        """The resident was sent a message about this event, by email, text or letter (its
        outbox rows say how delivery went)."""
        return self.data.get("notify") in SENT_OUTCOMES

    @property
    def notify_problem(self) -> str:
        """For staff: why the resident was not emailed about this event ("" if they were, or
        if no email was due)."""
        outcome = self.data.get("notify")
        if not outcome or outcome in SENT_OUTCOMES:
            return ""
        if outcome in NotifyOutcome.values and outcome != NotifyOutcome.ERROR:
            return NotifyOutcome(outcome).label
        return NotifyOutcome.ERROR.label

    @property
    def is_reopening(self) -> bool:
        """A status change that reopened a resolved case, or took a rejected one up again."""
        return (
            self.is_status_change
            and self.status_from in REOPENABLE_STATUSES
            and self.status_to == CaseStatus.IN_PROGRESS
        )

    @property
    def is_review_request(self) -> bool:
        """A reopening of a case closed without action: the resident asked for a review."""
        return self.is_reopening and self.status_from == CaseStatus.REJECTED

    @property
    def status_to_label(self) -> str:
        """The new status in the resident's words."""
        return CaseStatus(self.status_to).label if self.status_to in CaseStatus.values else ""

    @property
    def status_to_staff_label(self) -> str:
        return STAFF_LABELS[CaseStatus(self.status_to)] if self.status_to in CaseStatus.values else ""

    @property
    def status_from_staff_label(self) -> str:
        return STAFF_LABELS[CaseStatus(self.status_from)] if self.status_from in CaseStatus.values else ""


def _private_storage():
    return storages["private"]


def _attachment_path(instance, filename: str) -> str:
    return f"case-attachments/{instance.case_id}/{instance.pk}{instance.extension}"


class CaseAttachment(models.Model):
    """A file a resident sent with a reply or message. Stored privately; served only to the
    resident and to staff who can see the case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=_attachment_path, storage=_private_storage, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name


class CaseSupportNeeds(models.Model):
    """Extra support recorded by an officer on a case with no resident account.

    A case with a resident uses the resident's own ``accounts.SupportNeeds`` instead (one
    record per person, which they see on their profile). This one is kept and deleted with
    the case. See ``portal.cases.services.support_needs``.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="support_needs")
    needs = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=100, blank=True, help_text="For an interpreter")
    details = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "case support needs"

    def __str__(self) -> str:
        return f"Support needs on case {self.case_id}"
