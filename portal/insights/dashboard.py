"""Contact insights: the contact measures dashboard in the Wagtail admin.

Every figure comes from :func:`~portal.insights.measures.measures_for` and
:func:`~portal.insights.measures.services_ranked`, which read the daily rollups. The
dashboard never reads the raw interaction log, so it stays fast however big the log is.

The view parses the filters, asks for the measures once and shapes them for the page,
the charts and the CSV download. Charts are drawn on the server (HTML/CSS bars and
inline SVG columns), each with the same figures in a table next to it.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import urlencode
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from cms.models import CouncilSettings
from portal.interactions.models import DailyRollup, LgslService
from portal.interactions.permissions import can_view_contact_insights
from portal.lib import csv as safe_csv
from portal.lib.money import pounds, pounds_value

from .coverage import service_coverage
from .measures import Measures, measures_for, measures_warm, services_ranked
from .satisfaction import satisfaction_csv_rows, satisfaction_section

MAX_PERIOD_DAYS = 731  # two years, leap day included
DEFAULT_PERIOD_DAYS = 30
_LGSL_CODE = re.compile(r"[0-9]{1,9}")


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 30 full days, ending yesterday."""
    yesterday = (today or timezone.localdate()) - timedelta(days=1)
    return yesterday - timedelta(days=DEFAULT_PERIOD_DAYS - 1), yesterday


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def quick_periods(today: date | None = None) -> list[tuple[str, date, date]]:
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    return [
        ("Last 7 days", yesterday - timedelta(days=6), yesterday),
        ("Last 30 days", yesterday - timedelta(days=29), yesterday),
        ("Last 12 months", _year_before(today), yesterday),
    ]


def _date_field(label: str, article: str, noun: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"Enter {article} {noun} date",
            "invalid": f"Enter a real {noun} date",
        },
    )


class InsightsFilterForm(forms.Form):
    """The period and service. Dates are inclusive; the service is an LGSL code or blank."""

    default_renderer = DjangoTemplates  # plain widgets: Wagtail styles them, not GOV.UK classes

    start = _date_field("Start date", "a", "start")
    end = _date_field("End date", "an", "end")
    service = forms.CharField(
        label="Service",
        required=False,
        widget=forms.Select,
        help_text="Services with contact data are listed first.",
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["service"].widget.choices = dashboard_service_choices()

    def clean_service(self) -> LgslService | None:
        value = (self.cleaned_data.get("service") or "").strip()
        if value in ("", "all"):
            return None
        service = None
        if _LGSL_CODE.fullmatch(value):
            service = LgslService.objects.filter(code=int(value)).first()
        if service is None:
            shown = value if len(value) <= 20 else f"{value[:20]}…"
            raise ValidationError(f"There is no service with LGSL code {shown}", code="unknown_service")
        return service

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be the same as or after the start date")
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "start",
                    "The period can be no longer than 2 years: choose a later start date or an "
                    "earlier end date",
                )
        return cleaned


def dashboard_service_choices() -> list:
    """The service options: all services, then those with rollup data, then the rest."""
    with_data = set(
        DailyRollup.objects.exclude(service_code=0)
        .order_by("service_code")
        .values_list("service_code", flat=True)
        .distinct()
    )
    services = [(str(s.code), str(s)) for s in LgslService.objects.all()]
    if not with_data:
        return [("", "All services"), *services]
    return [
        ("", "All services"),
        ("Services with contact data", [c for c in services if int(c[0]) in with_data]),
        ("Other services", [c for c in services if int(c[0]) not in with_data]),
    ]


def filter_data(query) -> dict:
    """The GET filters, with the default period when no date was given at all."""
    start, end = default_period()
    data = {"start": start.isoformat(), "end": end.isoformat(), "service": ""}
    if "start" in query or "end" in query:
        data["start"] = query.get("start", "")
        data["end"] = query.get("end", "")
    data["service"] = query.get("service", "")
    return data


# Presenting the figures


def _number(n: int | float) -> str:
    return f"{n:,}"


def _pct(value: float | None) -> str:
    return "No data" if value is None else f"{value:.1f}%"


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

    @property
    def display(self) -> str:
        if self.unit == "%":
            return _pct(self.value)
        if self.unit == "GBP":
            return pounds(self.value, none="Not set")
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


def _bars(rows: list[tuple[str, int, str]]) -> list[dict]:
    """Horizontal bars: (label, value, text) scaled so the longest bar fills the track."""
    top = max((value for _, value, _ in rows), default=0)
    return [
        {
            "label": label,
            "value": value,
            "text": text,
            # A sliver for any value above zero, so "1" never looks like "0".
            "width": f"{max(100 * value / top, 0.5) if value and top else 0:.1f}",
        }
        for label, value, text in rows
    ]


def _share_bars(rows: list[tuple[str, float | None, str]]) -> list[dict]:
    """Horizontal bars for shares: (label, percent, text) drawn on a 0 to 100% track, so a bar's
    length is the percentage its label gives (a 91.5% bar is longer than a 75.0% one)."""
    return [
        {
            "label": label,
            "value": percent,
            "text": text,
            # A sliver for any share above zero; a share above 100% fills the track.
            "width": f"{min(max(percent, 0.5), 100) if percent else 0:.1f}",
        }
        for label, percent, text in rows
    ]


def _bars_description(title: str, bars: list[dict]) -> str:
    return f"{title}: " + "; ".join(f"{b['label']} {b['text']}" for b in bars) + "."


def _day(d: date) -> str:
    return format_date(d, "j M Y")


def _period_label(start: date, end: date) -> str:
    if start == end:
        return format_date(start, "j F Y")
    return f"{format_date(start, 'j F Y')} to {format_date(end, 'j F Y')}"


TREND_SERIES = [
    ("page_views", "Page views"),
    ("transactions", "Transactions"),
    ("assisted_contacts", "Assisted contacts"),
]
_CHART_W, _CHART_H, _PLOT_TOP, _PLOT_BOTTOM, _PLOT_LEFT = 640, 160, 12, 130, 72


def _trend_buckets(start: date, end: date) -> tuple[str, list[tuple[date, date]]]:
    """Days for up to 2 months, weeks up to 6 months, then calendar months."""
    days = (end - start).days + 1
    if days <= 62:
        return "day", [(start + timedelta(n), start + timedelta(n)) for n in range(days)]
    buckets: list[tuple[date, date]] = []
    unit = "week" if days <= 183 else "month"
    first = start
    while True:
        if unit == "week":
            last = first + timedelta(days=6 - first.weekday())
        else:
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        last = min(last, end)
        buckets.append((first, last))
        if last >= end:
            return unit, buckets
        first = last + timedelta(days=1)


def _bucket_label(unit: str, first: date, last: date) -> str:
    if unit == "day":
        return format_date(first, "D j M Y")
    if unit == "month":
        label = format_date(first, "F Y")
        if first.day != 1 or (last + timedelta(days=1)).day != 1:
            label += f" ({format_date(first, 'j')} to {format_date(last, 'j M')})"
        return label
    return f"Week from {format_date(first, 'j M Y')}" + (
        "" if (last - first).days == 6 else f" to {format_date(last, 'j M')}"
    )


def trend(measures: Measures) -> dict:
    """The daily figures in buckets, as a small SVG column chart per series and a table."""
    unit, buckets = _trend_buckets(measures.start, measures.end)
    keys = [key for key, _ in TREND_SERIES]
    rows = [{"label": _bucket_label(unit, first, last), **dict.fromkeys(keys, 0)} for first, last in buckets]
    firsts = [first for first, _ in buckets]
    for day in measures.daily:
        index = bisect_right(firsts, day["date"]) - 1
        if index >= 0 and day["date"] <= buckets[index][1]:
            for key in keys:
                rows[index][key] += day.get(key, 0)

    step = (_CHART_W - _PLOT_LEFT - 4) / max(len(rows), 1)
    bar_w = min(max(step * 0.8, 0.5), 48)
    plot_h = _PLOT_BOTTOM - _PLOT_TOP
    period = _period_label(measures.start, measures.end)
    charts = []
    for key, name in TREND_SERIES:
        values = [row[key] for row in rows]
        top = max(values, default=0)
        columns = []
        for n, (row, value) in enumerate(zip(rows, values, strict=True)):
            height = plot_h * value / top if top else 0
            columns.append(
                {
                    "x": f"{_PLOT_LEFT + n * step + (step - bar_w) / 2:.2f}",
                    "y": f"{_PLOT_BOTTOM - height:.2f}",
                    "width": f"{bar_w:.2f}",
                    "height": f"{height:.2f}",
                    "title": f"{row['label']}: {_number(value)}",
                }
            )
        if top:
            peak = rows[values.index(top)]["label"]
            summary = (
                f"{name} per {unit}, {period}: {_number(sum(values))} in total; "
                f"the highest was {_number(top)} ({peak})."
            )
        else:
            summary = f"{name} per {unit}, {period}: none recorded."
        charts.append(
            {
                "key": key,
                "name": name,
                "summary": summary,
                "columns": columns,
                "top": _number(top),
                "total": _number(sum(values)),
            }
        )
    return {
        "unit": unit,
        "rows": rows,
        "charts": charts,
        "first_label": rows[0]["label"] if rows else "",
        "last_label": rows[-1]["label"] if len(rows) > 1 else "",
        "width": _CHART_W,
        "height": _CHART_H,
        "plot_left": _PLOT_LEFT,
        "plot_right": _CHART_W - 4,
        "plot_top": _PLOT_TOP,
        "plot_bottom": _PLOT_BOTTOM,
        "label_y": _PLOT_BOTTOM + 20,
    }


def council_settings(site):
    """The council's settings for the site, without creating them (a report never writes)."""
    # The same choice as measures.unit_costs_pence, so the label matches the figures.
    council = CouncilSettings.objects.filter(site=site).first() if site else CouncilSettings.objects.first()
    return council or CouncilSettings()


def avoidable_contact_figure(m: Measures) -> Figure:
    """The share of assisted contacts staff marked as avoidable (a headline figure)."""
    return _figure(
        "Avoidable contact",
        m.avoidable_contacts,
        m.assisted_contacts,
        m.avoidable_percent,
        "Assisted contacts that staff marked as avoidable, out of all assisted contacts "
        "(phone, face to face, email, letter and social media).",
        "assisted contacts",
    )


def avoidable_contact_by_category(m: Measures) -> list[Figure]:
    """Avoidable contacts of each category (progress chasing, repeat...), out of all assisted contacts."""
    return [
        _figure(f"Avoidable contact: {label}", count, m.assisted_contacts, pct, of="assisted contacts")
        for _value, label, count, pct in m.avoidable_by_category
    ]


def avoidable_contact_by_channel(m: Measures) -> list[Figure]:
    """The share of each assisted channel's contacts that were avoidable."""
    return [
        _figure(f"Avoidable contact by channel: {label}", avoidable_n, assisted_n, pct, of=label.lower())
        for _value, label, assisted_n, avoidable_n, pct in m.avoidable_by_channel
    ]


def headline_figures(m: Measures, avoidable: Figure) -> dict[str, Figure]:
    """The figure cards at the top of the page: avoidable contact and the five key rates."""
    t = m.total
    return {
        "avoidable": avoidable,
        "fcr": _figure(
            "First contact resolution",
            t("resolved_first_contact"),
            m.assisted_contacts,
            m.first_contact_resolution_percent,
            "Assisted contacts resolved at the first contact, out of all assisted contacts.",
            "assisted contacts",
        ),
        "failed_web": _figure(
            "Failed web contact (behavioural)",
            t("web_then_assisted"),
            m.web_visitors,
            m.failed_web_percent,
            "Signed-in residents who used this service's web pages and then contacted us "
            "about it by another channel within 7 days, out of web visitors. Visitors are "
            "counted once a day, so this is out of visitor-days.",
            "web visitors",
        ),
        "digital": _figure(
            "Digital take-up",
            m.digital_transactions,
            m.transactions,
            m.digital_take_up_percent,
            "Transactions made on the web, out of transactions on all channels. A "
            "transaction is a form submission or an assisted contact that was not avoidable.",
            "transactions",
        ),
        "completion": _figure(
            "Completion rate",
            t("form_submits"),
            t("form_starts"),
            m.completion_rate_percent,
            "Online forms submitted, out of forms started.",
            "forms started",
        ),
        "repeat": _figure(
            "Repeat contact",
            t("repeat_contacts"),
            t("contacts"),
            m.repeat_contact_percent,
            "Contacts (form submissions and assisted contacts) from a resident who had "
            "already contacted us about the same service in the 7 days before, out of all "
            "contacts. Only signed-in residents and recorded callers can be matched.",
            "contacts",
        ),
    }


def failure_signals(m: Measures) -> list[Figure]:
    """Signs that the web let people down: empty searches, abandoned forms, failed payments..."""
    t = m.total
    return [
        _figure(
            "Searches with no results",
            t("searches_no_results"),
            t("searches"),
            m.zero_result_search_percent,
            "Site searches that found nothing, out of all searches.",
            "searches",
        ),
        _figure(
            "Forms abandoned",
            t("form_abandons"),
            t("form_starts"),
            m.form_abandonment_percent,
            "Forms left unfinished (a saved draft left idle), out of forms started.",
            "forms started",
        ),
        _figure(
            "Validation loops",
            t("validation_loops"),
            t("form_starts"),
            m.validation_loop_percent,
            "Times someone got the same question wrong 3 or more times in one form session, "
            "out of forms started.",
            "forms started",
        ),
        _figure(
            "Payments that failed",
            t("payment_failures"),
            t("payment_results"),
            m.payment_failure_percent,
            "Card payments that failed, were cancelled or errored, out of all payment results.",
            "payment results",
        ),
        _figure(
            "Pages rated not useful",
            t("feedback_not_useful"),
            t("feedback"),
            m.not_useful_percent,
            'Answers of "no" to "Is this page useful?", out of all answers.',
            "answers",
        ),
        _figure(
            "Case views that look like progress chasing",
            m.progress_chasing_views,
            m.case_views,
            m.progress_chasing_percent,
            "Residents looking again at an open request with nothing new since their last look "
            "(at least an hour before), out of all views of requests. Each is a chase the "
            "timeline did not answer, and may become a phone call.",
            "case views",
        ),
    ]


def contact_after_failure_figure(m: Measures) -> Figure:
    """Contact-page visits by someone who hit a failure signal earlier that day."""
    return Figure(
        "Contact page visits after a failed journey",
        m.total("contact_after_failure"),
        unit="count",
        hint="Visits to a contact page by someone who, earlier that day, searched with no "
        "results, rated a page not useful, hit a form error, abandoned a form or had a "
        "payment fail.",
    )


def transactions_by_channel(m: Measures) -> list[Figure]:
    """The number of transactions on each channel."""
    return [Figure(f"Transactions: {c.label}", c.transactions, unit="count") for c in m.costs]


def form_funnel_rows(m: Measures) -> list[dict]:
    """Each form step: how many completed it, out of the starts of its form."""
    starts_by_form = m.by_key.get("form_starts", {})
    return [
        {
            "form": step.form,
            "step": step.title or step.step,
            "figure": _figure(
                f"Form step completed: {step.form} / {step.title or step.step}",
                step.completions,
                starts_by_form.get(step.form, 0),
                step.percent_of_starts,
                of="starts of this form",
            ),
        }
        for step in m.funnel
    ]


def channel_costs(m: Measures) -> list[dict]:
    """Each channel's unit cost and its transactions' total cost."""
    return [
        {
            "label": c.label,
            "transactions": c.transactions,
            "unit": Figure(f"Unit cost: {c.label}", c.unit_cost_pence, unit="GBP"),
            "total": Figure(f"Cost: {c.label}", c.total_pence, c.transactions, unit="GBP"),
        }
        for c in m.costs
    ]


def _costed_channels(m: Measures) -> list:
    """The channels that have a unit cost (the others are left out of the cost totals)."""
    return [c for c in m.costs if c.unit_cost_pence is not None]


def total_cost_figure(m: Measures) -> Figure:
    """The cost of the transactions on every channel with a unit cost."""
    costed = _costed_channels(m)
    return Figure(
        "Cost: all channels with a unit cost",
        sum(c.total_pence for c in costed) if costed else None,
        sum(c.transactions for c in costed),
        unit="GBP",
    )


def average_cost_figure(m: Measures) -> Figure:
    """The average cost of a transaction on the channels with a unit cost."""
    return Figure(
        "Average cost per transaction",
        m.average_cost_per_transaction_pence,
        None,
        sum(c.transactions for c in _costed_channels(m)),
        unit="GBP",
        hint="Each channel's transactions × its unit cost, added up and divided by the "
        "transactions on channels that have a unit cost.",
    )


def web_traffic(m: Measures) -> list[Figure]:
    """Page views, web visitors, contact-page visits and bot requests."""
    t = m.total
    return [
        Figure("Page views", t("page_views"), unit="count", hint="Pages people looked at."),
        Figure(
            "Web visitors",
            m.web_visitors,
            unit="count",
            hint="Different visitors, counted once a day (so this adds up visitor-days). "
            "Visitors are recognised without cookies, and only for one day.",
        ),
        Figure(
            "Contact page visits",
            t("contact_page_views"),
            unit="count",
            hint="Visits to the council's contact pages.",
        ),
        Figure(
            "Bot requests",
            t("bot_requests"),
            unit="count",
            hint="Requests from search engines and other robots: counted, never logged.",
        ),
    ]


def insights(measures: Measures) -> dict:
    """Every figure the page and the CSV show, built from one ``Measures``."""
    m = measures
    avoidable = avoidable_contact_figure(m)
    categories = avoidable_contact_by_category(m)
    by_channel_transactions = transactions_by_channel(m)
    funnel_rows = form_funnel_rows(m)
    category_bars = _bars([(f.label.split(": ", 1)[1], f.numerator or 0, f.full) for f in categories])
    channel_bars = _bars(
        [(f.label.split(": ", 1)[1], f.value or 0, _number(f.value or 0)) for f in by_channel_transactions]
    )
    return {
        "headline": headline_figures(m, avoidable),
        "avoidable": avoidable,
        "categories": categories,
        "by_channel": avoidable_contact_by_channel(m),
        "signals": failure_signals(m),
        "contact_after_failure": contact_after_failure_figure(m),
        "transactions_by_channel": by_channel_transactions,
        "transactions_total": m.transactions,
        "funnel": funnel_rows,
        "costs": channel_costs(m),
        "total_cost": total_cost_figure(m),
        "average_cost": average_cost_figure(m),
        "traffic": web_traffic(m),
        "category_bars": category_bars,
        "category_bars_description": _bars_description("Avoidable contacts by category", category_bars),
        "channel_bars": channel_bars,
        "channel_bars_description": _bars_description("Transactions by channel", channel_bars),
        # Labelled with each step's share of its form's starts, so drawn to that share.
        "funnel_bars": _share_bars(
            [(f"{r['form']}: {r['step']}", r["figure"].value, r["figure"].full) for r in funnel_rows]
        ),
    }


def csv_rows(measures: Measures, data: dict, service: LgslService | None) -> list[list]:
    rows = [
        ["Period start", measures.start.isoformat(), "", "", "date"],
        ["Period end", measures.end.isoformat(), "", "", "date"],
        ["Service", str(service) if service else "All services", "", "", "LGSL"],
    ]
    h = data["headline"]
    rows.append(h["avoidable"].csv_row())
    rows += [f.csv_row() for f in data["categories"]]
    rows += [f.csv_row() for f in data["by_channel"]]
    rows.append(h["fcr"].csv_row())
    rows.append(h["failed_web"].csv_row())
    rows += [f.csv_row() for f in data["signals"]]
    rows.append(data["contact_after_failure"].csv_row())
    rows.append(h["digital"].csv_row())
    rows.append(Figure("Transactions: all channels", data["transactions_total"], unit="count").csv_row())
    rows += [f.csv_row() for f in data["transactions_by_channel"]]
    rows.append(h["completion"].csv_row())
    rows += [r["figure"].csv_row() for r in data["funnel"]]
    rows.append(h["repeat"].csv_row())
    for cost in data["costs"]:
        rows.append(cost["unit"].csv_row())
        rows.append(cost["total"].csv_row())
    rows.append(data["total_cost"].csv_row())
    rows.append(data["average_cost"].csv_row())
    rows += [f.csv_row() for f in data["traffic"]]
    if "satisfaction" in data:
        rows += satisfaction_csv_rows(data)
    if "coverage" in data:
        rows += coverage_csv_rows(data["coverage"])
    return rows


def coverage_csv_rows(coverage) -> list[list]:
    """Self-service coverage (KPI51) and the channel-shift backlog, as rows of the CSV."""
    pct = "" if coverage.percent is None else round(coverage.percent, 1)
    portal_pct = "" if coverage.portal_percent is None else round(coverage.portal_percent, 1)
    rows = [
        [
            "Self-service coverage (KPI51): services residents can complete online",
            pct,
            coverage.online_count,
            coverage.denominator,
            "%",
        ],
        [
            "Self-service coverage: online in the portal",
            portal_pct,
            len(coverage.online_portal),
            coverage.denominator,
            "%",
        ],
        ["Services not suitable for online", len(coverage.not_suitable), "", "", "count"],
    ]
    rows += [
        [
            f"Needs a phone call or visit: {item.label} (LGSL {item.code})",
            item.assisted_contacts,
            "",
            "",
            "assisted contacts",
        ]
        for item in coverage.backlog
    ]
    return rows


def csv_response(measures: Measures, data: dict, service: LgslService | None) -> HttpResponse:
    who = f"lgsl-{service.code}" if service else "all-services"
    filename = f"contact-insights_{measures.start.isoformat()}_to_{measures.end.isoformat()}_{who}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel reads the £ signs and dashes as UTF-8
    writer = safe_csv.writer(response)  # form and step names never read as formulas
    writer.writerow(["measure", "value", "numerator", "denominator", "unit"])
    writer.writerows(csv_rows(measures, data, service))
    return response


class ContactInsightsView(WagtailAdminTemplateMixin, TemplateView):
    """The dashboard: a GET filter form, the figures, charts and a CSV of the same figures."""

    template_name = "insights/dashboard.html"
    page_title = "Contact insights"
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_contact_insights(request.user):
            # Wagtail turns PermissionDenied into a redirect; this URL answers 403 instead.
            return TemplateResponse(
                request,
                "insights/dashboard_forbidden.html",
                {"page_title": self.page_title},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def url_for(self, start: date, end: date, service_code: int | str | None = None, **extra) -> str:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if service_code is not None:
            params["service"] = service_code
        params.update(extra)
        return f"{reverse('interactions_contact_insights')}?{urlencode(params)}"

    def get(self, request, *args, **kwargs):
        form = InsightsFilterForm(filter_data(request.GET))
        context = self.get_context_data(form=form)
        if not form.is_valid():
            context["errors"] = [
                (form[name].id_for_label, error)
                for name in form.errors
                if name in form.fields
                for error in form.errors[name]
            ]
            return self.render_to_response(context)

        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        service = form.cleaned_data["service"]
        code = service.code if service else None
        site = Site.find_for_request(request)
        measures = measures_for(start=start, end=end, service_code=code, site=site)
        data = insights(measures)
        data.update(satisfaction_section(measures, service_url=lambda c: self.url_for(start, end, c)))
        data["coverage"] = service_coverage(start=start, end=end, service_code=code, user=request.user)
        if request.GET.get("format") == "csv":
            return csv_response(measures, data, service)

        council = council_settings(site)
        context.update(
            measures=measures,
            service=service,
            period_label=_period_label(start, end),
            days=(end - start).days + 1,
            csv_url=self.url_for(start, end, code, format="csv"),
            trend=trend(measures),
            costs_are_benchmarks=council.costs_are_benchmarks(),
            can_change_costs=request.user.has_perm("cms.change_councilsettings"),
            settings_url=reverse("wagtailsettings:edit", args=["cms", "councilsettings"]),
            **data,
        )
        if service is None:
            ranked = services_ranked(start=start, end=end)
            labels = dict(
                LgslService.objects.filter(code__in=[r["service_code"] for r in ranked]).values_list(
                    "code", "label"
                )
            )
            context["ranked"] = [
                {
                    **row,
                    "label": labels.get(row["service_code"], "Unknown service"),
                    "url": self.url_for(start, end, row["service_code"]),
                    "avoidable_text": _pct(row["avoidable_percent"]),
                    "digital_text": _pct(row["digital_take_up_percent"]),
                }
                for row in ranked
            ]
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        service_value = form.data.get("service", "") if form.is_bound else ""
        context["quick_links"] = [
            {"label": label, "url": self.url_for(s, e, service_value or None)}
            for label, s, e in quick_periods()
        ]
        context["reset_url"] = reverse("interactions_contact_insights")
        return context


def dashboard_figures_warm() -> None:
    """Prepare the quick periods (all services) after the rollups change."""
    measures_warm(periods=[(start, end) for _, start, end in quick_periods()])
