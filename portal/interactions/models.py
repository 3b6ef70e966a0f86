from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.lib.dates import datetime_display

from .constants import AvoidableCategory, Channel, InteractionType, SatisfactionScore


class LgslService(models.Model):
    """A service from the Local Government Services List (esd-toolkit LGSL 2.01)."""

    code = models.PositiveIntegerField("LGSL code", primary_key=True)
    label = models.CharField(max_length=255)
    directory = models.CharField("heading", max_length=255, blank=True)

    class Meta:
        ordering = ["label", "code"]
        verbose_name = "LGSL service"

    def __str__(self) -> str:
        if self.directory and self.directory.lower() not in self.label.lower():
            return f"{self.label} – {self.directory} ({self.code})"
        return f"{self.label} ({self.code})"


class LgilInteractionType(models.Model):
    """A reason for contact from the Local Government Interaction List (LGIL)."""

    code = models.PositiveSmallIntegerField("LGIL code", primary_key=True)
    label = models.CharField(max_length=255)

    class Meta:
        ordering = ["label"]
        verbose_name = "LGIL interaction type"

    def __str__(self) -> str:
        return self.label


class ContactTeam(models.Model):
    """Who handled an assisted contact: a council team or an outsourced contact centre.

    Every assisted measure can be split by it, which is how a council monitors an
    outsourced contract. Teams are archived, never deleted, so history keeps its labels.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(
        max_length=255, blank=True, help_text='For example "Outsourced: contract CC-2026-04".'
    )
    active = models.BooleanField(
        default=True, help_text="Untick to stop offering this team for new contacts."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "contact team"

    def __str__(self) -> str:
        return self.name if self.active else f"{self.name} (archived)"


class Interaction(models.Model):
    """One event on any channel: the raw log the measures are rolled up from.

    Kept narrow and index-light because a row is written for every page view. No raw
    IP address is ever stored: ``visitor_key`` is a keyed hash that changes daily.
    """

    occurred_at = models.DateTimeField(db_index=True)
    type = models.CharField(max_length=32, choices=InteractionType.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    session_key = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        db_constraint=False,
    )
    visitor_key = models.CharField(max_length=64, blank=True)
    # The pseudonymous key of the account (``User.person_key``) the event was by, kept
    # when the account is deleted: the key then leads back to nobody, and the measures
    # read from it stay the same.
    person_key = models.CharField(max_length=32, blank=True)
    service_code = models.PositiveIntegerField("LGSL code", null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    journey = models.CharField(max_length=100, blank=True, help_text="Form slug or case reference")
    step = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    reason_code = models.CharField(max_length=60, blank=True)
    avoidable = models.BooleanField(null=True, blank=True)
    avoidable_category = models.CharField(max_length=32, choices=AvoidableCategory.choices, blank=True)
    resolved_first_contact = models.BooleanField(null=True, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_interactions",
        db_constraint=False,
    )
    case_reference = models.CharField(max_length=40, blank=True)
    handled_by = models.ForeignKey(
        ContactTeam,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="handled by",
    )
    extras = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="interaction_type_time"),
            models.Index(
                fields=["user", "service_code", "occurred_at"],
                name="interaction_user_service",
                condition=Q(user__isnull=False),
            ),
            # The rollups' look-backs and look-aheads (failed web contact, repeat contact)
            # read one person's events on a service around a day.
            models.Index(
                fields=["person_key", "service_code", "occurred_at"],
                name="interaction_person_service",
                condition=~Q(person_key=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(type=InteractionType.ASSISTED_CONTACT) | ~Q(channel=Channel.WEB),
                name="interaction_assisted_not_web",
            ),
            models.CheckConstraint(
                condition=Q(avoidable=True) | Q(avoidable_category=""),
                name="interaction_category_only_if_avoidable",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_type_display()} ({self.get_channel_display()}) at {self.occurred_at:%Y-%m-%d %H:%M}"
        )


class AssistedContactManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(type=InteractionType.ASSISTED_CONTACT)


class AssistedContact(Interaction):
    """Assisted contacts (phone, face to face, email, letter, social) as staff record them.

    The default manager only sees ``assisted_contact`` rows, so the admin views built on
    this proxy can never list or edit another kind of event.
    """

    objects = AssistedContactManager()

    class Meta:
        proxy = True
        verbose_name = "assisted contact"
        permissions = [("view_contact_insights", "Can view the contact insights dashboard")]

    def __str__(self) -> str:
        when = datetime_display(self.occurred_at, short=True) if self.occurred_at else "new"
        return f"{self.get_channel_display()} contact, {when}"


class RollupCells(models.Model):
    """A count for a date, service, channel, team, metric and key: the cells both the daily
    and the monthly rollups hold (a period sums them, whichever it reads)."""

    date = models.DateField()
    service_code = models.PositiveIntegerField(default=0, help_text="0: no service")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    team = models.PositiveIntegerField(default=0, help_text="The contact team's id; 0: none")
    metric = models.CharField(max_length=40)
    key = models.CharField(max_length=201, blank=True, help_text="e.g. a category, or form/step")
    value = models.BigIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["date", "service_code", "channel", "metric", "key"]

    def __str__(self) -> str:
        return f"{self.date} {self.service_code} {self.channel} {self.metric} {self.key}={self.value}"


class DailyRollup(RollupCells):
    """One measure's count for a day, service and channel: what the dashboard reads.

    ``key`` breaks a metric down further (an avoidable category, a form step). Rows for
    a day are rebuilt whole, so re-running a day gives the same numbers.
    """

    class Meta(RollupCells.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["date", "service_code", "channel", "team", "metric", "key"],
                name="dailyrollup_unique_cell",
            ),
        ]
        indexes = [
            models.Index(fields=["service_code", "date"], name="dailyrollup_service_date"),
            # Covers the dashboard's sums over a period: read from the index alone.
            models.Index(
                fields=["date", "metric", "channel", "team", "key", "value"], name="dailyrollup_period_sums"
            ),
        ]


class MonthlyRollup(RollupCells):
    """The daily rollups of a calendar month summed cell by cell (``date``: the month's first
    day), rebuilt whenever one of its days is. A period reads whole months from here and
    only its other days from ``DailyRollup``: a year is 12 rows a cell, not 365."""

    class Meta(RollupCells.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["date", "service_code", "channel", "team", "metric", "key"],
                name="monthlyrollup_unique_cell",
            ),
        ]
        indexes = [
            models.Index(fields=["service_code", "date"], name="monthlyrollup_service_date"),
            models.Index(
                fields=["date", "metric", "channel", "team", "key", "value"], name="monthlyrollup_period_sums"
            ),
        ]


class WebPersonDay(models.Model):
    """An identifiable person's web activity on a service on a day: the record failed web
    contact and its coverage are counted from, in persons over any period. The dashboard
    reads the same persons packed as sets (``WebPersonSet``, derived from these rows when
    the day is rebuilt); these rows say which (pseudonymous) persons a figure counted.

    Identifiable: signed in, or linked to an account by staff. ``failed``: they made an
    assisted contact on the service within 7 days after a web activity that day, without
    completing a transaction on the service online in between. Rebuilt with the day's
    rollups; ``person_key`` is the pseudonymous key, so rows survive a deleted account.
    """

    date = models.DateField()
    service_code = models.PositiveIntegerField()
    person_key = models.CharField(max_length=32)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["date", "service_code", "person_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "service_code", "person_key"], name="webpersonday_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["service_code", "date", "person_key"], name="webpersonday_service"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.service_code} {self.person_key}{' failed' if self.failed else ''}"


class PersonNumber(models.Model):
    """A small number for each pseudonymous person key, so a set of persons can be a bitmap."""

    person_key = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return f"{self.pk}"


class WebPersonSet(models.Model):
    """The identifiable web persons of a service on a day, or in a calendar month, as
    bitmaps of ``PersonNumber`` ids (zlib-compressed), with those that failed.

    Derived from ``WebPersonDay`` when a day is rebuilt (its month is recomputed from its
    days), so the distinct persons of any period are the union of a few month sets and
    the days outside whole months: exact, and fast for a year of data.
    """

    DAY, MONTH = "day", "month"

    date = models.DateField(help_text="The day, or the first day of the month")
    span = models.CharField(max_length=5, choices=[(DAY, "Day"), (MONTH, "Month")])
    service_code = models.PositiveIntegerField()
    persons = models.BinaryField()
    failed = models.BinaryField()

    class Meta:
        ordering = ["date", "span", "service_code"]
        constraints = [
            models.UniqueConstraint(fields=["span", "date", "service_code"], name="webpersonset_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.date} {self.service_code}"


class RollupRebuild(models.Model):
    """A day whose rollups must be rebuilt (a late or corrected contact changed its figures).

    Written in the same transaction as the change; the task that rebuilds the day deletes
    the row, and the dashboard says "being recalculated" for the days still listed.
    """

    date = models.DateField(primary_key=True)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"Rebuild {self.date}"


class SatisfactionComment(models.Model):
    """The optional comment given with a ``satisfaction`` answer.

    Kept out of ``Interaction.extras`` because it is free text the resident writes, so it
    may name people or describe their circumstances: it is personal data, exported to the
    resident and deleted with their account (``personal_data.py``). It is purged with the
    raw log after the retention period (``rollups.interactions_purge``).

    The link to the event has no cascade on purpose: a cascade would make the purge load
    every event it deletes, instead of one DELETE per batch.
    """

    interaction = models.OneToOneField(
        Interaction,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="satisfaction_comment",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="satisfaction_comments",
    )
    case_reference = models.CharField(max_length=40, blank=True)
    service_code = models.PositiveIntegerField("LGSL code", null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    score = models.PositiveSmallIntegerField(choices=SatisfactionScore.choices)
    comment = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="satisfaction_comment_time"),
            models.Index(fields=["service_code", "created_at"], name="satisfaction_comment_service"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="satisfaction_comment_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_score_display()} ({self.case_reference or self.get_channel_display()})"
