"""Every figure Contact insights shows, defined once: a declarative table of measures.

Each ``FigureDef`` says what a figure counts (numerator and denominator, both read from one
``Measures``), how it is described, and which way is better (for targets). The dashboard,
its CSV, the targets and the committee report all build their figures from this table,
so no two of them can disagree. ``docs/measures.md`` has the definitions with examples.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal.lib.money import pounds, pounds_value

from .measures import Measures, percent

if TYPE_CHECKING:
    from .targets import Status


def _number(n: int | float) -> str:
    return f"{n:,}"


def pct(value: float | None) -> str:
    """A percentage as every figure shows it: "12.5%", or "No data"."""
    return "No data" if value is None else f"{value:.1f}%"


def signed(value: float | None) -> str:
    """Points from −100 to +100 (net satisfaction): "+12.5", "-3.0", "0.0", or "No data"."""
    if value is None:
        return "No data"
    return f"{value:+.1f}" if value else "0.0"


@dataclass
class Figure:
    """One measure as the page and the CSV show it."""

    label: str
    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None
    unit: str = "%"
    hint: str = ""
    of: str = ""  # what the denominator counts, e.g. "assisted contacts"
    # Set by ``targets.annotate`` on the dashboard: against the target, and the previous period.
    status: "Status | None" = field(default=None, compare=False, repr=False)
    change: str = field(default="", compare=False, repr=False)

    @property
    def display(self) -> str:
        if self.unit == "%":
            return pct(self.value)
        if self.unit == "GBP":
            return pounds(self.value, none="Not set")
        if self.unit == "points":
            return signed(self.value)
        return "No data" if self.value is None else _number(self.value)

    @property
    def numerator_text(self) -> str:
        return "" if self.numerator is None else _number(self.numerator)

    @property
    def denominator_text(self) -> str:
        return "" if self.denominator is None else _number(self.denominator)

    @property
    def counts(self) -> str:
        if self.unit != "%" or self.denominator is None:
            return ""
        return f"{_number(self.numerator or 0)} of {_number(self.denominator)}"

    @property
    def full(self) -> str:
        counts = self.counts
        return f"{self.display} ({counts})" if counts and self.value is not None else self.display

    @property
    def csv_value(self):
        if self.unit == "GBP":
            return pounds_value(self.value)
        return "" if self.value is None else self.value

    def csv_row(self) -> list:
        return [
            self.label,
            self.csv_value,
            "" if self.numerator is None else self.numerator,
            "" if self.denominator is None else self.denominator,
            self.unit,
        ]


def _figure(label, numerator, denominator, value, hint="", of="") -> Figure:
    return Figure(label, value, numerator, denominator, "%", hint, of)


@dataclass(frozen=True)
class FigureDef:
    """A percentage measure: ``numerator(m)`` ÷ ``denominator(m)``, one decimal."""

    key: str
    label: str
    numerator: Callable[[Measures], int]
    denominator: Callable[[Measures], int]
    hint: str
    of: str
    lower_is_better: bool = True

    def build(self, m: Measures) -> Figure:
        n, d = self.numerator(m), self.denominator(m)
        return Figure(self.label, percent(n, d), n, d, "%", self.hint, self.of)


def _t(metric: str) -> Callable[[Measures], int]:
    return lambda m: m.total(metric)


def _web(metric: str) -> Callable[[Measures], int]:
    return lambda m: m.web(metric)


FIGURES: list[FigureDef] = [
    FigureDef(
        "avoidable",
        "Avoidable contact",
        _t("avoidable_contacts"),
        _t("assisted_contacts"),
        "Assisted contacts that staff marked as avoidable, out of all assisted contacts "
        "(phone, face to face, email, letter and social media).",
        "assisted contacts",
    ),
    FigureDef(
        "failed_web",
        "Failed web contact (behavioural)",
        lambda m: m.failed_web_persons,
        lambda m: m.identified_web_persons,
        "Identifiable residents (signed in, or linked by staff) who used this service on the "
        "web and then contacted us about it by another channel within 7 days, without "
        "completing it online in between, out of identifiable residents who used it on the web.",
        "identifiable web users",
    ),
    FigureDef(
        "failed_web_coverage",
        "Failed web contact: coverage",
        lambda m: m.identified_web_persons,
        lambda m: m.web_persons,
        "Web users the failed web contact measure can see (signed in or linked by staff), out "
        "of all web users (anonymous visitors counted once a day). Read the measure as a share "
        "of these, not of everyone.",
        "web users",
        lower_is_better=False,
    ),
    FigureDef(
        "digital",
        "Digital take-up",
        lambda m: m.digital_transactions,
        lambda m: m.transactions,
        "Transactions completed on the web or through another app (Open311, e.g. FixMyStreet), "
        "out of transactions on all channels. A transaction is a service request completed (and "
        "paid, if it has a fee) or a bill paid.",
        "transactions",
        lower_is_better=False,
    ),
    FigureDef(
        "completion",
        "Completion rate",
        _web("form_submits"),
        lambda m: m.form_starts,
        "Online forms started in the period and submitted within it, out of online forms "
        "started in the period.",
        "forms started",
        lower_is_better=False,
    ),
    FigureDef(
        "fcr",
        "First contact resolution",
        _t("resolved_first_contact"),
        _t("assisted_contacts"),
        "Assisted contacts resolved at the first contact, out of all assisted contacts.",
        "assisted contacts",
        lower_is_better=False,
    ),
    FigureDef(
        "repeat",
        "Repeat contact",
        _t("repeat_contacts"),
        _t("assisted_contacts"),
        "Assisted contacts from a resident who had already contacted us about the same "
        "service in the 7 days before, out of all assisted contacts. Web use is never a "
        "repeat; only residents staff linked to an account can be matched.",
        "assisted contacts",
    ),
    FigureDef(
        "searches_no_results",
        "Searches with no results",
        _t("searches_no_results"),
        _t("searches"),
        "Site searches that found nothing, out of all searches. For one service, only "
        "searches attributed to it: its editors' search terms matched, or a searcher "
        "followed a result to one of its pages.",
        "searches",
    ),
    FigureDef(
        "abandoned",
        "Forms abandoned",
        _web("form_abandons"),
        lambda m: m.form_starts,
        "Online forms started in the period and left unfinished (a draft left idle) within "
        "it, out of online forms started in the period.",
        "forms started",
    ),
    FigureDef(
        "validation_loops",
        "Validation loops",
        _web("validation_loops"),
        lambda m: m.form_starts,
        "Online forms started in the period in which someone got the same question wrong 3 "
        "or more times, out of online forms started in the period.",
        "forms started",
    ),
    FigureDef(
        "payment_failures",
        "Payments that failed",
        _t("payment_failures"),
        _t("payment_results"),
        "Card payments that failed, were cancelled or errored, out of all payment results.",
        "payment results",
    ),
    FigureDef(
        "not_useful",
        "Pages rated not useful",
        _t("feedback_not_useful"),
        _t("feedback"),
        'Answers of "no" to "Is this page useful?", out of all answers.',
        "answers",
    ),
    FigureDef(
        "progress_chasing",
        "Case views that look like progress chasing",
        _t("case_views_chasing"),
        _t("case_views"),
        "Residents looking again at an open request with nothing new since their last look "
        "(at least an hour before), out of all views of requests. Each is a chase the "
        "timeline did not answer, and may become a phone call.",
        "case views",
    ),
    FigureDef(
        "satisfied",
        "Satisfied with the outcome",
        lambda m: m.satisfied_answers,
        lambda m: m.satisfaction_answers,
        "Answers of satisfied or very satisfied, out of all answers to "
        '"How satisfied are you with the outcome?".',
        "answers",
        lower_is_better=False,
    ),
]
FIGURE_DEFS = {f.key: f for f in FIGURES}
HEADLINE = ("avoidable", "failed_web", "digital", "completion", "fcr", "repeat")
SIGNALS = (
    "searches_no_results",
    "abandoned",
    "validation_loops",
    "payment_failures",
    "not_useful",
    "progress_chasing",
)


def figures_for(m: Measures) -> dict[str, Figure]:
    """Every percentage figure in ``FIGURES``, by key."""
    return {f.key: f.build(m) for f in FIGURES}


def net_satisfaction_figure(m: Measures) -> Figure:
    """% satisfied − % dissatisfied, in points from −100 to +100."""
    return Figure(
        "Net satisfaction",
        m.net_satisfaction,
        m.satisfied_answers - m.dissatisfied_answers,
        m.satisfaction_answers,
        unit="points",
        hint="% satisfied minus % dissatisfied, from −100 to +100.",
        of="answers",
    )
