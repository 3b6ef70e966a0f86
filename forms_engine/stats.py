"""Per-form statistics for editors, read from the interaction log.

The engine records ``form_start``, ``form_step`` (``step`` = the step completed, with its
position in ``extras["order"]``), ``form_error`` (``extras["fields"]``), ``form_save``,
``form_submit`` and, from the daily job, ``form_abandon``; ``journey`` is the form's slug.
For one form and a recent period this reads those rows directly: a form's events are a
small slice of the log, found through the (type, time) index.

- **Starts, saves, submissions, abandoned, errors**: events of each type.
- **Completion rate** = submissions ÷ starts.
- **Drop-off by step**: for each step of the current version, in the form's order, the
  people (browser sessions) who completed it at least once, so going back to change an
  answer is not counted twice; as a share of starts, and how many fewer than the step
  before. Steps people completed that the current version no longer has (an older
  version's) follow, in the order the events give them.
- **Errors by question**: how often each question was answered wrongly, most first.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType
from portal.interactions.measures import percent
from portal.interactions.models import Interaction

from .engine import CONTACT_STEP, CONTACT_STEP_ID
from .models import FormVersion, ServiceForm
from .schema import schema_build

PERIOD_DAYS = (7, 30, 90)
DEFAULT_PERIOD_DAYS = 30

T = InteractionType
_COUNTED = {
    T.FORM_START: "starts",
    T.FORM_SAVE: "saves",
    T.FORM_SUBMIT: "submits",
    T.FORM_ABANDON: "abandons",
    T.FORM_ERROR: "errors",
}


@dataclass
class StepRow:
    number: int | None
    title: str
    completed: int
    percent_of_starts: float | None
    dropped: int | None = None
    in_current_version: bool = True


@dataclass
class QuestionErrors:
    name: str
    label: str
    errors: int


@dataclass
class FormStatistics:
    form: ServiceForm
    days: int
    start: datetime
    end: datetime
    version_number: int | None
    starts: int = 0
    saves: int = 0
    submits: int = 0
    abandons: int = 0
    errors: int = 0
    steps: list[StepRow] = field(default_factory=list)
    questions: list[QuestionErrors] = field(default_factory=list)

    @property
    def completion_percent(self) -> float | None:
        return percent(self.submits, self.starts)

    @property
    def abandon_percent(self) -> float | None:
        return percent(self.abandons, self.starts)

    @property
    def has_data(self) -> bool:
        return bool(self.starts or self.submits or self.abandons or any(r.completed for r in self.steps))


def schema_for_statistics(form: ServiceForm) -> tuple[dict, int | None]:
    """The schema steps are ordered by: the newest frozen version, else the latest draft.

    The engine's own last step for people who are not signed in (their email address,
    when the form asks none) is added at the end, as residents see it.
    """
    version = FormVersion.objects.filter(form=form).order_by("-number").first()
    schema = version.schema if version is not None else schema_build(form.get_latest_revision_as_object())
    schema = {**schema, "steps": [*schema.get("steps", []), CONTACT_STEP]}
    return schema, version.number if version is not None else None


def step_keys(step: dict, position: int) -> set[str]:
    """What a recorded ``step`` may hold for this schema step: its id, title or position."""
    return {str(step.get("id") or ""), str(step.get("title") or ""), str(position)} - {""}


def step_positions(schema: dict) -> dict[str, int]:
    """Recorded step value -> 1-based position in ``schema``."""
    positions: dict[str, int] = {}
    for position, step in enumerate(schema.get("steps", []), start=1):
        for key in step_keys(step, position):
            positions.setdefault(key, position)
    return positions


def step_positions_for_forms(slugs) -> dict[str, dict[str, tuple[int, str]]]:
    """For each form slug, recorded step value -> (position, "N. title") from the newest
    frozen version. Contact insights uses it to show a form's funnel in the form's order."""
    positions: dict[str, dict[str, tuple[int, str]]] = {}
    versions = (
        FormVersion.objects.filter(form__slug__in=set(slugs))
        .order_by("form_id", "-number")
        .values_list("form__slug", "schema")
    )
    for slug, schema in versions:
        if slug in positions:
            continue
        steps = schema.get("steps", [])
        positions[slug] = {
            key: (position, f"{position}. {steps[position - 1].get('title', '')}")
            for key, position in step_positions(schema).items()
        }
    return positions


def _person():
    """Who did it: the browser session, else the day's visitor key, else the event itself."""
    return Coalesce(
        NullIf(F("session_key"), Value("")),
        NullIf(F("visitor_key"), Value("")),
        Cast("pk", CharField()),
    )


def _recorded_order(extras) -> float:
    try:
        return float((extras or {}).get("order"))
    except (TypeError, ValueError):
        return float("inf")


def form_statistics(*, form: ServiceForm, days: int = DEFAULT_PERIOD_DAYS, now=None) -> FormStatistics:
    """Starts, completions, saves, errors, abandons and drop-off by step for ``form`` over
    the last ``days`` days (see the module's docstring for each figure)."""
    end = now or timezone.now()
    start = end - timedelta(days=days)
    schema, version_number = schema_for_statistics(form)
    stats = FormStatistics(form=form, days=days, start=start, end=end, version_number=version_number)
    # Online use only: what staff did for callers on the phone or at a desk is not the form's
    # online journey (docs/measures.md).
    events = Interaction.objects.filter(
        journey=form.slug,
        occurred_at__gte=start,
        occurred_at__lt=end,
        channel=Channel.WEB,
        staff__isnull=True,
    )

    counts = events.filter(type__in=list(_COUNTED)).values("type").annotate(n=Count("pk")).order_by()
    for row in counts:
        setattr(stats, _COUNTED[row["type"]], row["n"])

    completed = dict(
        events.filter(type=T.FORM_STEP)
        .values("step")
        .annotate(people=Count(_person(), distinct=True))
        .order_by()
        .values_list("step", "people")
    )
    stats.steps = _step_rows(schema, completed, events, stats.starts)

    labels = {q["name"]: q["label"] for step in schema.get("steps", []) for q in step.get("questions", [])}
    per_field: Counter = Counter()
    for extras in events.filter(type=T.FORM_ERROR).values_list("extras", flat=True).iterator():
        fields = (extras or {}).get("fields") or []
        per_field.update(str(name) for name in (fields if isinstance(fields, list) else [fields]))
    stats.questions = [
        QuestionErrors(name=name, label=labels.get(name, name), errors=n)
        for name, n in sorted(per_field.items(), key=lambda item: (-item[1], labels.get(item[0], item[0])))
    ]
    return stats


def _step_rows(schema: dict, completed: dict[str, int], events, starts: int) -> list[StepRow]:
    rows: list[StepRow] = []
    matched: set[str] = set()
    previous = starts
    for position, step in enumerate(schema.get("steps", []), start=1):
        keys = step_keys(step, position) & set(completed)
        matched |= keys
        n = sum(completed[key] for key in keys)
        if step["id"] == CONTACT_STEP_ID and not n:
            continue
        rows.append(
            StepRow(
                number=position,
                title=step.get("title") or f"Step {position}",
                completed=n,
                percent_of_starts=percent(n, starts),
                dropped=max(previous - n, 0),
            )
        )
        previous = n

    others = [key for key in completed if key not in matched]
    if others:
        order: dict[str, float] = {}
        older = events.filter(Q(type=T.FORM_STEP) & Q(step__in=others)).values_list("step", "extras")
        for step, extras in older.iterator():
            order[step] = min(order.get(step, float("inf")), _recorded_order(extras))
        for key in sorted(others, key=lambda k: (order.get(k, float("inf")), k)):
            rows.append(
                StepRow(
                    number=None,
                    title=key,
                    completed=completed[key],
                    percent_of_starts=percent(completed[key], starts),
                    in_current_version=False,
                )
            )
    return rows
