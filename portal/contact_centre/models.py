"""A conversation with a caller, from the agent taking it to the contact being recorded."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.constants import IdentityCheck
from portal.interactions.constants import ASSISTED_CHANNELS


class Call(models.Model):
    """One call, desk visit, email or letter an agent is dealing with.

    Opened when the agent takes the call; it then follows the agent through finding the
    caller (``resident``), checking who they are (``identity``: the resident record opens
    in full only after this), doing their business for them, and closing the call, which
    records the assisted contact (``contact``) that every audit entry of the call points
    at. An unknown caller can be helped with anything that needs no personal data.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=[(c.value, c.label) for c in ASSISTED_CHANNELS])
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity = models.CharField(max_length=24, choices=IdentityCheck.choices, blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    # A one-time code sent to the resident to read back (hashed), and the tries at it.
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_by_text = models.BooleanField(default=False, help_text="The code went by text, not email.")
    code_attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        "interactions.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["staff", "-started_at"], name="call_staff_started")]
        permissions = [("help_callers", "Can find residents, open their records and act for them")]
        constraints = [
            models.CheckConstraint(
                condition=Q(identity="") | Q(resident__isnull=False, identity_checked_at__isnull=False),
                name="contact_centre_call_identity_needs_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} call {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def identity_checked(self) -> bool:
        return bool(self.identity and self.resident_id and self.identity_checked_at)
