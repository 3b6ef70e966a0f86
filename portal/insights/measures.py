"""Contact measures for a period and service, read from the daily rollups only.

``docs/measures.md`` is the reference: each measure's one definition, with worked
examples. Every measure counts one unit, and its numerator is a subset of its
denominator, so no figure can exceed 100%; every percentage is ``None`` ("no data") when
its denominator is zero. In short:

- **Person**: the account (its pseudonymous key) when signed in or linked by staff;
  otherwise the visitor key of that day.
- **Transaction**: a service request completed on any channel (paid, if it has a fee), or
  a bill paid: the ``transactions`` rollup, from ``transaction`` events.
- **Digital take-up %** = web transactions ÷ all transactions.
- **Cost per transaction** = Σ transactions by channel × unit cost ÷ those transactions
  (channels with a unit cost in Council settings).
- **Completion rate %** = web form starts in the period submitted within the period ÷ web
  form starts in the period; the funnel, abandonment and validation loops likewise.
- **Avoidable contact %** = avoidable assisted contacts ÷ assisted contacts (by category
  and channel likewise, and by the team that handled them).
- **Repeat contact %** = assisted contacts by a person who made an assisted contact on the
  same service in the 7 days before ÷ assisted contacts.
- **Failed web contact %** = identifiable web persons on the service who made an assisted
  contact on it within 7 days after a web activity without completing a transaction on it
  online in between ÷ identifiable web persons on the service; for all services, persons
  are counted once per service they used. **Coverage** = identifiable web persons ÷ all
  web persons (anonymous ones counted per day).
- **Searches with no results %** = no-result searches ÷ searches: site-wide for all
  services, attributed searches only for a service.
- **First contact resolution**, **progress chasing**, **satisfaction** as before: see the
  reference.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Q, Sum

from wagtail.models import Site

from cms.models import CouncilSettings
from forms_engine.stats import step_positions_for_forms
from portal.interactions.constants import (
    DIGITAL_CHANNELS,
    DISSATISFIED_SCORES,
    SATISFIED_SCORES,
    AvoidableCategory,
    Channel,
)
from portal.interactions.measures import percent, rollup_version
from portal.interactions.models import DailyRollup, MonthlyRollup, WebPersonSet
from portal.interactions.rollups import COHORT_METRICS, bitmap_unpack, cohort_split


@dataclass
class ChannelCost:
    channel: str
    label: str
    transactions: int
    unit_cost_pence: int | None

    @property
    def total_pence(self) -> int | None:
        if self.unit_cost_pence is None:
            return None
        return self.transactions * self.unit_cost_pence


@dataclass
class FunnelStep:
    form: str
    step: str
    completions: int
    percent_of_starts: float | None
    title: str = ""


@dataclass
class Measures:
    start: date
    end: date
    service_code: int | None
    totals: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    by_key: dict[str, dict[str, int]] = field(default_factory=dict)
    daily: list[dict] = field(default_factory=list)
    by_team: dict[str, dict[int, int]] = field(default_factory=dict)
    persons: dict[str, int] = field(default_factory=dict)
    costs: list[ChannelCost] = field(default_factory=list)

    def total(self, metric: str) -> int:
        return self.totals.get(metric, 0)

    def web(self, metric: str) -> int:
        """A metric's web-channel total (form measures are web only)."""
        return self.by_channel.get(metric, {}).get(Channel.WEB, 0)

    # Avoidable contact
    @property
    def assisted_contacts(self) -> int:
        return self.total("assisted_contacts")

    @property
    def avoidable_contacts(self) -> int:
        return self.total("avoidable_contacts")

    @property
    def avoidable_percent(self) -> float | None:
        return percent(self.avoidable_contacts, self.assisted_contacts)

    @property
    def avoidable_by_category(self) -> list[tuple[str, str, int, float | None]]:
        counts = self.by_key.get("avoidable_contacts", {})
        return [
            (
                value,
                label,
                counts.get(value, 0),
                percent(counts.get(value, 0), self.assisted_contacts),
            )
            for value, label in AvoidableCategory.choices
        ]

    @property
    def avoidable_by_channel(self) -> list[tuple[str, str, int, int, float | None]]:
        rows = []
        for value, label in Channel.choices:
            if value in DIGITAL_CHANNELS:
                continue
            assisted = self.by_channel.get("assisted_contacts", {}).get(value, 0)
            avoidable = self.by_channel.get("avoidable_contacts", {}).get(value, 0)
            rows.append((value, label, assisted, avoidable, percent(avoidable, assisted)))
        return rows

    @property
    def first_contact_resolution_percent(self) -> float | None:
        return percent(self.total("resolved_first_contact"), self.assisted_contacts)

    # Failed web contact
    @property
    def web_visitors(self) -> int:
        return self.total("web_visitors_all" if self.service_code is None else "web_visitors")

    @property
    def identified_web_persons(self) -> int:
        return self.persons.get("identified", 0)

    @property
    def failed_web_persons(self) -> int:
        return self.persons.get("failed", 0)

    @property
    def web_persons(self) -> int:
        """Identifiable web persons plus anonymous ones (visitor keys, one per day)."""
        return self.identified_web_persons + self.total("web_persons_anonymous")

    @property
    def failed_web_percent(self) -> float | None:
        return percent(self.failed_web_persons, self.identified_web_persons)

    @property
    def failed_web_coverage_percent(self) -> float | None:
        return percent(self.identified_web_persons, self.web_persons)

    @property
    def zero_result_search_percent(self) -> float | None:
        return percent(self.total("searches_no_results"), self.total("searches"))

    @property
    def form_starts(self) -> int:
        return self.web("form_starts")

    @property
    def form_abandonment_percent(self) -> float | None:
        return percent(self.web("form_abandons"), self.form_starts)

    @property
    def validation_loop_percent(self) -> float | None:
        return percent(self.web("validation_loops"), self.form_starts)

    @property
    def payment_failure_percent(self) -> float | None:
        return percent(self.total("payment_failures"), self.total("payment_results"))

    @property
    def not_useful_percent(self) -> float | None:
        return percent(self.total("feedback_not_useful"), self.total("feedback"))

    # Channel shift
    @property
    def transactions(self) -> int:
        return self.total("transactions")

    @property
    def digital_transactions(self) -> int:
        by_channel = self.by_channel.get("transactions", {})
        return sum(by_channel.get(channel, 0) for channel in DIGITAL_CHANNELS)

    @property
    def digital_take_up_percent(self) -> float | None:
        return percent(self.digital_transactions, self.transactions)

    @property
    def completion_rate_percent(self) -> float | None:
        return percent(self.web("form_submits"), self.form_starts)

    @property
    def funnel(self) -> list[FunnelStep]:
        """Each form's steps in the form's own order (its latest published version), then
        any steps that version no longer has, by name. Web only: each step's first
        completions by drafts started in the period ÷ that form's starts."""
        starts = self.by_key.get("form_starts:web", {})
        steps = []
        for key, count in self.by_key.get("form_steps:web", {}).items():
            form, _, step = key.partition("/")
            steps.append(FunnelStep(form, step, count, percent(count, starts.get(form, 0))))
        if not steps:
            return steps
        positions = step_positions_for_forms({s.form for s in steps})
        unknown = (float("inf"), "")
        for s in steps:
            s.title = positions.get(s.form, {}).get(s.step, unknown)[1]
        return sorted(
            steps, key=lambda s: (s.form, positions.get(s.form, {}).get(s.step, unknown)[0], s.step)
        )

    @property
    def case_views(self) -> int:
        return self.total("case_views")

    @property
    def progress_chasing_views(self) -> int:
        return self.total("case_views_chasing")

    @property
    def progress_chasing_percent(self) -> float | None:
        return percent(self.progress_chasing_views, self.case_views)

    # Satisfaction with the outcome
    @property
    def satisfaction_counts(self) -> dict[int, int]:
        """Answers at each point of the scale (5 very satisfied .. 1 very dissatisfied)."""
        return {int(k): v for k, v in self.by_key.get("satisfaction", {}).items() if k.isdigit()}

    @property
    def satisfaction_answers(self) -> int:
        return sum(self.satisfaction_counts.values())

    @property
    def satisfied_answers(self) -> int:
        return sum(n for score, n in self.satisfaction_counts.items() if score in SATISFIED_SCORES)

    @property
    def dissatisfied_answers(self) -> int:
        return sum(n for score, n in self.satisfaction_counts.items() if score in DISSATISFIED_SCORES)

    def satisfaction_share(self, score: int) -> float | None:
        return percent(self.satisfaction_counts.get(score, 0), self.satisfaction_answers)

    @property
    def satisfied_percent(self) -> float | None:
        return percent(self.satisfied_answers, self.satisfaction_answers)

    @property
    def dissatisfied_percent(self) -> float | None:
        return percent(self.dissatisfied_answers, self.satisfaction_answers)

    @property
    def net_satisfaction(self) -> float | None:
        return percent(self.satisfied_answers - self.dissatisfied_answers, self.satisfaction_answers)

    @property
    def repeat_contact_percent(self) -> float | None:
        return percent(self.total("repeat_contacts"), self.assisted_contacts)

    @property
    def average_cost_per_transaction_pence(self) -> float | None:
        costed = [c for c in self.costs if c.unit_cost_pence is not None]
        transactions = sum(c.transactions for c in costed)
        if not transactions:
            return None
        return round(sum(c.total_pence for c in costed) / transactions, 1)

    @property
    def has_data(self) -> bool:
        return any(self.totals.values()) or any(self.persons.values())


def unit_costs_pence(site=None) -> dict[str, int | None]:
    """The council's cost per transaction by channel, from site settings."""
    # A site setting: one row per Site (``BaseSiteSetting`` has no ``load()``). Read it
    # without creating it, so a report never writes.
    if site is not None and not isinstance(site, Site):
        site = Site.find_for_request(site)
    council = CouncilSettings.objects.filter(site=site).first() if site else CouncilSettings.objects.first()
    if council is None:
        council = CouncilSettings()
    return council.unit_costs_pence()


# Kept until the rollups change (a new version), and at most a day and an hour, so
# figures the daily job prepares last until it runs again.
CACHE_SECONDS = 25 * 3600


def _cached(name: str, compute, *parts):
    """Figures read from rollups, kept in the shared cache until the rollups change.

    A year of rollups for every service is hundreds of thousands of rows to sum; the
    figures only change when the rollup job runs, so they are summed once per version.
    """
    key = ":".join(["interactions", name, str(rollup_version()), *map(str, parts)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


# The dashboard's trend charts periods longer than this by calendar month (``trend``).
MONTHLY_TREND_DAYS = 183
TREND_METRICS = ("page_views", "transactions", "assisted_contacts", "avoidable_contacts")

ASSISTED_METRICS = ("assisted_contacts", "avoidable_contacts", "resolved_first_contact", "repeat_contacts")


def period_rollups(start: date, end: date, **filters) -> list:
    """The rollup rows of a period: whole calendar months from ``MonthlyRollup``, the other
    days from ``DailyRollup`` (the same cells, so summing both gives the period's sums)."""
    months, days = _months_and_days(start, end)
    sources = []
    if days:
        sources.append(DailyRollup.objects.filter(date__in=days, **filters))
    if months:
        sources.append(MonthlyRollup.objects.filter(date__in=months, **filters))
    return sources


def _aggregate(start: date, end: date, service_code: int | None) -> dict:
    filters = {} if service_code is None else {"service_code": service_code}
    by_channel: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_key: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_team: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    rows = (
        row
        for rollups in period_rollups(start, end, **filters)
        for row in rollups.values("metric", "channel", "team", "key").annotate(total=Sum("value")).order_by()
    )
    for row in rows:
        metric, key, value = row["metric"], row["key"], row["total"]
        if metric in COHORT_METRICS:
            key, started = cohort_split(key)
            if started is not None and started < start:
                continue  # a draft started before the period: not one of its starts
        totals[metric] += value
        by_channel[metric][row["channel"]] += value
        if metric in ASSISTED_METRICS:
            by_team[metric][row["team"]] += value
        if key:
            by_key[metric][key] += value
            if row["channel"] == Channel.WEB:
                by_key[f"{metric}:web"][key] += value

    # The trend's series by day; a period long enough to be charted by month reads whole
    # months as one entry on their first day (``trend`` puts it in that month's bucket).
    daily: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    series = {"metric__in": TREND_METRICS, **filters}
    if (end - start).days + 1 > MONTHLY_TREND_DAYS:
        sources = period_rollups(start, end, **series)
    else:
        sources = [DailyRollup.objects.filter(date__gte=start, date__lte=end, **series)]
    for rollups in sources:
        for row in rollups.values("date", "metric").annotate(total=Sum("value")).order_by():
            daily[row["date"]][row["metric"]] += row["total"]
    return {
        "totals": dict(totals),
        "by_channel": {m: dict(v) for m, v in by_channel.items()},
        "by_key": {m: dict(v) for m, v in by_key.items()},
        "by_team": {m: dict(v) for m, v in by_team.items()},
        "daily": [{"date": day, **daily[day]} for day in sorted(daily)],
        "persons": web_persons(start, end, service_code),
    }


def web_persons(start: date, end: date, service_code: int | None) -> dict[str, int]:
    """Identifiable web persons in the period, and those with a failed web contact.

    For one service, distinct persons; for all services, distinct (service, person)
    pairs: a person who used two services counts once for each, so the services add up
    to the whole. Read from the person sets (``WebPersonSet``): the whole calendar months
    inside the period, and its other days, united per service.
    """
    months, days = _months_and_days(start, end)
    sets = WebPersonSet.objects.filter(
        Q(span=WebPersonSet.MONTH, date__in=months) | Q(span=WebPersonSet.DAY, date__in=days)
    )
    if service_code is not None:
        sets = sets.filter(service_code=service_code)
    persons: dict[int, int] = defaultdict(int)
    failed: dict[int, int] = defaultdict(int)
    for service, members, failures in sets.values_list("service_code", "persons", "failed").iterator():
        persons[service] |= bitmap_unpack(members)
        failed[service] |= bitmap_unpack(failures)
    return {
        "identified": sum(bits.bit_count() for bits in persons.values()),
        "failed": sum(bits.bit_count() for bits in failed.values()),
    }


def _months_and_days(start: date, end: date) -> tuple[list[date], list[date]]:
    """The first days of the calendar months wholly inside start..end, and the other days."""
    months, days = [], []
    day = start
    while day <= end:
        month_end = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= end:
            months.append(day)
            day = month_end + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


def measures_for(*, start: date, end: date, service_code: int | None = None, site=None) -> Measures:
    """All measures for the days ``start``..``end`` inclusive, for one service or all."""
    figures = _cached("measures", lambda: _aggregate(start, end, service_code), start, end, service_code)
    measures = Measures(start=start, end=end, service_code=service_code, **figures)
    unit_costs = unit_costs_pence(site)
    transactions = measures.by_channel.get("transactions", {})
    measures.costs = [
        ChannelCost(value, label, transactions.get(value, 0), unit_costs.get(value))
        for value, label in Channel.choices
    ]
    return measures


def services_ranked(*, start: date, end: date, limit: int = 20) -> list[dict]:
    """Services with the most assisted contacts in the period, with avoidable counts."""
    return _cached("ranked", lambda: _services_ranked(start, end, limit), start, end, limit)


def _services_ranked(start: date, end: date, limit: int) -> list[dict]:
    metrics = ("assisted_contacts", "avoidable_contacts", "transactions")
    rows = (
        row
        for rollups in period_rollups(start, end, metric__in=metrics)
        for row in rollups.exclude(service_code=0)
        .values("service_code", "metric", "channel")
        .annotate(total=Sum("value"))
        .order_by()
    )
    services: dict[int, dict] = defaultdict(
        lambda: {"assisted": 0, "avoidable": 0, "transactions": 0, "web_transactions": 0}
    )
    for row in rows:
        entry = services[row["service_code"]]
        if row["metric"] == "assisted_contacts":
            entry["assisted"] += row["total"]
        elif row["metric"] == "avoidable_contacts":
            entry["avoidable"] += row["total"]
        else:
            entry["transactions"] += row["total"]
            if row["channel"] in DIGITAL_CHANNELS:
                entry["web_transactions"] += row["total"]
    ranked = sorted(services.items(), key=lambda item: (-item[1]["assisted"], item[0]))[:limit]
    return [
        {
            "service_code": code,
            **entry,
            "avoidable_percent": percent(entry["avoidable"], entry["assisted"]),
            "digital_take_up_percent": percent(entry["web_transactions"], entry["transactions"]),
        }
        for code, entry in ranked
    ]


def satisfaction_by_service(*, start: date, end: date) -> list[dict]:
    """Satisfaction answers per service in the period, most answers first, from the rollups."""
    return _cached("satisfaction", lambda: _satisfaction_by_service(start, end), start, end)


def _satisfaction_by_service(start: date, end: date) -> list[dict]:
    rows = (
        row
        for rollups in period_rollups(start, end, metric="satisfaction")
        for row in rollups.values("service_code", "key").annotate(total=Sum("value")).order_by()
    )
    services: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row["key"].isdigit():
            services[row["service_code"]][int(row["key"])] += row["total"]
    result = []
    for code, counts in services.items():
        answers = sum(counts.values())
        satisfied = sum(n for score, n in counts.items() if score in SATISFIED_SCORES)
        dissatisfied = sum(n for score, n in counts.items() if score in DISSATISFIED_SCORES)
        result.append(
            {
                "service_code": code,
                "answers": answers,
                "counts": [counts.get(score, 0) for score in (5, 4, 3, 2, 1)],
                "satisfied": satisfied,
                "dissatisfied": dissatisfied,
                "satisfied_percent": percent(satisfied, answers),
                "net": percent(satisfied - dissatisfied, answers),
            }
        )
    return sorted(result, key=lambda r: (-r["answers"], r["service_code"]))


def measures_warm(*, periods: list[tuple[date, date]]) -> None:
    """Sum the figures for the periods people open most, right after a rollup rebuild, so
    that their first dashboard load is served from the cache."""
    for start, end in periods:
        measures_for(start=start, end=end)
        services_ranked(start=start, end=end)
