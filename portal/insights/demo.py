"""Demo targets for Contact insights, added to ``load_demo`` (see ``portal.lib.demo``)."""

from decimal import Decimal

from portal.lib import demo

from .models import MeasureTarget

# Overall targets a service manager might set: (measure, target, amber margin).
DEMO_TARGETS = [
    ("avoidable", Decimal("20"), Decimal("5")),
    ("failed_web", Decimal("10"), Decimal("5")),
    ("digital", Decimal("60"), Decimal("5")),
    ("net_satisfaction", Decimal("40"), Decimal("10")),
]


def demo_targets_load() -> int:
    """The demo targets, once (a target already set is left as it is)."""
    made = 0
    for measure, target, margin in DEMO_TARGETS:
        _, created = MeasureTarget.objects.get_or_create(
            measure=measure, service=None, defaults={"target": target, "amber_margin": margin}
        )
        made += created
    return made


def register() -> None:
    demo.register("insights_targets", demo_targets_load, order=200)
