"""Figures against their targets (red, amber, green in words) and against the previous period.

``docs/measures.md``, "Targets": a figure meets its target (green), misses it by no more than
the amber margin (amber) or by more (red); "No data" has no status. A figure equal to its
target meets it; one exactly the amber margin away is amber. For one service, that service's
own target is used, and the all-services target where it has none.

Every figure here is one the dashboard shows (``figures_for``, ``net_satisfaction_figure``,
``average_cost_figure``): this module only compares them, it never computes a figure.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .figures import Figure
from .models import AVERAGE_COST, NET_SATISFACTION, MeasureTarget, amount_text, margin_text

GREEN, AMBER, RED = "green", "amber", "red"
LEVEL_LABELS = {GREEN: "On target", AMBER: "Near target", RED: "Off target"}
PERMISSION = "insights.set_measure_targets"


def can_set_targets(user) -> bool:
    """Service managers (and superusers): anyone granted "Can set contact measure targets"."""
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(PERMISSION)))


@dataclass(frozen=True)
class Status:
    """A figure against its target: ``level`` green, amber, red, or None (no data), in words."""

    level: str | None
    text: str
    target: MeasureTarget | None = None

    @property
    def label(self) -> str:
        return LEVEL_LABELS.get(self.level or "", "No status")


def _decimal(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rag(figure: Figure, target: MeasureTarget) -> Status:
    """``figure`` against ``target``: green when it meets it, amber within the margin, red beyond."""
    unit = target.unit
    wanted = target.direction_text
    if figure.value is None:
        return Status(None, f"No data, so no status against a target of {wanted}", target)
    value, goal, margin = _decimal(figure.value), target.target, target.amber_margin
    # How far the figure is on the wrong side of the target (0 or less: it meets it).
    miss = value - goal if target.lower_is_better else goal - value
    shown = amount_text(value, unit)
    if miss <= 0:
        return Status(GREEN, f"On target: {shown} against a target of {wanted}", target)
    if miss <= margin:
        return Status(
            AMBER,
            f"Near target: {shown} against a target of {wanted} "
            f"(within the {margin_text(margin, unit)} margin)",
            target,
        )
    return Status(RED, f"Off target: {shown} against a target of {wanted}", target)


def targets_for(service_code: int | None) -> dict[str, MeasureTarget]:
    """The target for each measure: the service's own where it has one, else the all-services one."""
    rows = MeasureTarget.objects.select_related("service").filter(service__isnull=True)
    targets = {t.measure: t for t in rows}
    if service_code is not None:
        targets.update({t.measure: t for t in MeasureTarget.objects.filter(service_id=service_code)})
    return targets


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before ``start``..``end``."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def period_words(start: date, end: date) -> str:
    days = (end - start).days + 1
    return f"previous {days} day{'' if days == 1 else 's'}"


def change_text(current: Figure, previous: Figure, words: str) -> str:
    """ "up 2.5 points from 22.5% (previous 30 days)", or why there is no comparison."""
    if previous.value is None:
        return f"No data for the {words}"
    if current.value is None:
        return f"{amount_text(_decimal(previous.value), current.unit)} in the {words}"
    before = amount_text(_decimal(previous.value), current.unit)
    difference = _decimal(current.value) - _decimal(previous.value)
    if current.unit == "GBP":
        size = amount_text(abs(difference), "GBP")
    else:
        size = f"{abs(difference):.1f} point{'' if abs(difference) == 1 else 's'}"
    if difference == 0 or (current.unit != "GBP" and f"{abs(difference):.1f}" == "0.0"):
        return f"no change from {before} ({words})"
    return f"{'up' if difference > 0 else 'down'} {size} from {before} ({words})"


def comparable_figures(data: dict) -> dict[str, Figure]:
    """The figures of ``dashboard.insights(...)`` that can have a target, by measure."""
    return {**data["figures"], NET_SATISFACTION: data["net_satisfaction"], AVERAGE_COST: data["average_cost"]}


def annotate(data: dict, previous: dict | None, targets: dict[str, MeasureTarget], words: str = "") -> None:
    """Give each figure of ``data`` its ``status`` (when it has a target) and its ``change``
    since the ``previous`` period's figures (both dicts from ``dashboard.insights``)."""
    before = comparable_figures(previous) if previous is not None else {}
    for key, figure in comparable_figures(data).items():
        target = targets.get(key)
        figure.status = rag(figure, target) if target else None
        figure.change = change_text(figure, before[key], words) if key in before else ""
