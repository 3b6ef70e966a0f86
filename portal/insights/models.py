"""Targets for the contact measures, set by service managers (``docs/measures.md``, "Targets").

A target belongs to one measure of Contact insights (a key of ``figures.FIGURES``, net
satisfaction or the average cost per transaction), either for all services (no service) or
for one LGSL service, which then overrides the all-services target for that service.
Which way is better comes from the measure's definition, never from the target.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from portal.interactions.models import LgslService
from portal.lib.money import pounds

from .figures import FIGURE_DEFS, FIGURES

NET_SATISFACTION = "net_satisfaction"
AVERAGE_COST = "average_cost"

MEASURE_CHOICES = [
    *((f.key, f.label) for f in FIGURES),
    (NET_SATISFACTION, "Net satisfaction"),
    (AVERAGE_COST, "Average cost per transaction"),
]
MEASURE_LABELS = dict(MEASURE_CHOICES)


def measure_unit(measure: str) -> str:
    """The unit a measure's figure and its target are in: "%", "points" or "GBP" (pence)."""
    if measure == NET_SATISFACTION:
        return "points"
    if measure == AVERAGE_COST:
        return "GBP"
    return "%"


def lower_is_better(measure: str) -> bool:
    """From the measure's definition: net satisfaction higher is better, average cost lower."""
    if measure == NET_SATISFACTION:
        return False
    if measure == AVERAGE_COST:
        return True
    return FIGURE_DEFS[measure].lower_is_better


def amount_text(value: Decimal | float, unit: str) -> str:
    """A figure or target as the dashboard writes it: 20.0%, +40.0, £2.50."""
    if unit == "GBP":
        return pounds(value)
    if unit == "points":
        return f"{value:+.1f}" if value else "0.0"
    return f"{value:.1f}%"


def margin_text(value: Decimal | float, unit: str) -> str:
    """An amber margin: percentage points, satisfaction points or pounds."""
    if unit == "GBP":
        return pounds(value)
    noun = "percentage point" if unit == "%" else "point"
    return f"{value:.1f} {noun}{'' if value == 1 else 's'}"


class MeasureTarget(models.Model):
    """A service manager's target for one measure, for all services or for one service."""

    measure = models.CharField(max_length=40, choices=MEASURE_CHOICES)
    service = models.ForeignKey(
        LgslService,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="service",
        help_text="Leave blank for the target for all services. A service's own target replaces "
        "the all-services target when you look at that service.",
    )
    target = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        help_text="A percentage (0 to 100), net satisfaction points (−100 to +100), or for the "
        "average cost per transaction an amount in pounds, such as 2.50.",
    )
    amber_margin = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0"), "The amber margin must be 0 or more")],
        help_text="How far a figure may miss the target and still be near it (amber): percentage "
        "points, satisfaction points, or pounds for the average cost.",
    )

    class Meta:
        ordering = ["measure", "service"]
        verbose_name = "contact measure target"
        verbose_name_plural = "contact measure targets"
        default_permissions = ()
        permissions = [("set_measure_targets", "Can set contact measure targets")]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "service"],
                condition=Q(service__isnull=False),
                name="measuretarget_unique_service",
                violation_error_message="This service already has a target for this measure: "
                "change that one instead",
            ),
            models.UniqueConstraint(
                fields=["measure"],
                condition=Q(service__isnull=True),
                name="measuretarget_unique_overall",
                violation_error_message="There is already a target for this measure for all "
                "services: change that one instead",
            ),
        ]

    def __str__(self) -> str:
        scope = str(self.service) if self.service_id else "all services"
        return f"{self.measure_label}: {self.direction_text}, {scope}"

    @property
    def measure_label(self) -> str:
        return MEASURE_LABELS.get(self.measure, self.measure)

    @property
    def unit(self) -> str:
        return measure_unit(self.measure)

    @property
    def lower_is_better(self) -> bool:
        return lower_is_better(self.measure)

    @property
    def target_text(self) -> str:
        return amount_text(self.target, self.unit)

    @property
    def direction_text(self) -> str:
        """The target in words: "20.0% or less", "+40.0 or more" (a figure on the target meets it)."""
        return f"{self.target_text} {'or less' if self.lower_is_better else 'or more'}"

    @property
    def margin_text(self) -> str:
        return margin_text(self.amber_margin, self.unit)

    def clean(self):
        super().clean()
        if self.measure not in MEASURE_LABELS or self.target is None:
            return
        unit = self.unit
        if unit == "%" and not Decimal("0") <= self.target <= Decimal("100"):
            raise ValidationError({"target": "A percentage target must be between 0 and 100"})
        if unit == "points" and not Decimal("-100") <= self.target <= Decimal("100"):
            raise ValidationError({"target": "A net satisfaction target must be between −100 and +100"})
        if unit == "GBP" and self.target < 0:
            raise ValidationError({"target": "An average cost target must be £0 or more"})
        if self.amber_margin is not None and unit in ("%", "points") and self.amber_margin > 100:
            raise ValidationError({"amber_margin": "The amber margin must be 100 points or fewer"})
