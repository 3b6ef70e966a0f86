"""The monthly "Channel shift and customer contact" report for committee, and its CSV pack.

Every number comes from the dashboard's own functions for the same period and service:
``measures_for`` and ``dashboard.insights`` (so ``figures_for``), ``services_ranked`` to pick
the services, ``service_coverage`` for KPI51. Nothing is recomputed here, so the report can
never disagree with Contact insights.

The page prints cleanly (the admin's menus are left out, each section starts a new page);
the CSV pack is a zip of one CSV per section, each row with measure, value, numerator,
denominator and unit, written through ``portal.lib.csv`` (formula-safe).
"""

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import urlencode
from django.views.generic import TemplateView

from wagtail.models import Site

from portal.interactions.models import LgslService
from portal.lib import csv as safe_csv

from .admin_views import InsightsPageMixin
from .coverage import Coverage, service_coverage
from .dashboard import insights
from .exports import coverage_csv_rows
from .figures import HEADLINE, Figure, figures_for
from .forms import MAX_PERIOD_DAYS
from .measures import measures_for, services_ranked
from .targets import annotate, period_words, previous_period, targets_for
from .trend import _period_label

TITLE = "Channel shift and customer contact"
TREND_MONTHS = 12
TOP_SERVICES = 10
ALL_SERVICES = (
    100_000  # services_ranked's limit: every service, so the top 10 by avoidable contacts are among them
)
CSV_HEADER = ["measure", "value", "numerator", "denominator", "unit"]
STATUS_HEADER = [
    *CSV_HEADER,
    *("target", "target for", "status", "status in words", "change", "period start", "period end", "service"),
]
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_LGSL_CODE = re.compile(r"[0-9]{1,9}")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def last_full_month(today: date | None = None) -> tuple[date, date]:
    first_of_this = (today or timezone.localdate()).replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def trend_months(end: date) -> list[tuple[date, date]]:
    """The 12 calendar months ending with the month of ``end`` (that one cut at ``end``)."""
    months = []
    year, month = end.year, end.month
    for _ in range(TREND_MONTHS):
        first, last = month_bounds(year, month)
        months.append((first, min(last, end)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def _month_label(first: date, last: date) -> str:
    label = format_date(first, "F Y")
    if (last + timedelta(days=1)).day != 1:
        label += f" (1 to {format_date(last, 'j M')})"
    return label


class ReportPeriodForm(forms.Form):
    """A month (2026-11), or a start and end date; and a service (blank: all services)."""

    default_renderer = DjangoTemplates

    month = forms.CharField(
        label="Month",
        required=False,
        help_text="Year and month, for example 2026-11.",
        max_length=7,
        error_messages={"max_length": "Enter the month as a year and month, for example 2026-11"},
    )
    start = forms.DateField(required=False, error_messages={"invalid": "Enter a real start date"})
    end = forms.DateField(required=False, error_messages={"invalid": "Enter a real end date"})
    service = forms.CharField(required=False)

    def clean_service(self) -> LgslService | None:
        value = (self.cleaned_data.get("service") or "").strip()
        if value in ("", "all"):
            return None
        service = LgslService.objects.filter(code=int(value)).first() if _LGSL_CODE.fullmatch(value) else None
        if service is None:
            raise ValidationError("There is no service with that LGSL code", code="unknown_service")
        return service

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        month = (cleaned.get("month") or "").strip()
        start, end = cleaned.get("start"), cleaned.get("end")
        if month:
            match = _MONTH.fullmatch(month)
            if not match or not 1 <= int(match[2]) <= 12:
                self.add_error("month", "Enter the month as a year and month, for example 2026-11")
                return cleaned
            cleaned["start"], cleaned["end"] = month_bounds(int(match[1]), int(match[2]))
        elif start or end:
            if not (start and end):
                if "start" not in self.errors and "end" not in self.errors:
                    self.add_error("start" if not start else "end", "Enter both a start and an end date")
                return cleaned
            if end < start:
                self.add_error("end", "The end date must be the same as or after the start date")
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error("start", "The period can be no longer than 2 years")
        elif not self.errors:
            cleaned["start"], cleaned["end"] = last_full_month()
        return cleaned


@dataclass
class ServiceRow:
    code: int
    label: str
    avoidable: Figure
    assisted: int


def avoidable_services(*, start: date, end: date, site=None) -> list[ServiceRow]:
    """The 10 services with the most avoidable contacts (ties: more assisted contacts, then
    the lower code), each figure from ``measures_for`` for that service, as the dashboard."""
    ranked = [r for r in services_ranked(start=start, end=end, limit=ALL_SERVICES) if r["avoidable"]]
    ranked.sort(key=lambda r: (-r["avoidable"], -r["assisted"], r["service_code"]))
    top = ranked[:TOP_SERVICES]
    labels = dict(
        LgslService.objects.filter(code__in=[r["service_code"] for r in top]).values_list("code", "label")
    )
    rows = []
    for r in top:
        code = r["service_code"]
        m = measures_for(start=start, end=end, service_code=code, site=site)
        figure = figures_for(m)["avoidable"]
        rows.append(ServiceRow(code, labels.get(code, "Unknown service"), figure, m.assisted_contacts))
    return rows


def committee_report(
    *, start: date, end: date, service: LgslService | None = None, site=None, user=None
) -> dict:
    """Every figure of the report for ``start``..``end`` (inclusive), one service or all."""
    code = service.code if service else None
    measures = measures_for(start=start, end=end, service_code=code, site=site)
    data = insights(measures)
    before_start, before_end = previous_period(start, end)
    previous = insights(measures_for(start=before_start, end=before_end, service_code=code, site=site))
    annotate(data, previous, targets_for(code), period_words(start, end))

    trend = []
    for first, last in trend_months(end):
        figures = figures_for(measures_for(start=first, end=last, service_code=code, site=site))
        trend.append(
            {
                "label": _month_label(first, last),
                "start": first,
                "end": last,
                "figures": [figures[k] for k in HEADLINE],
            }
        )
    coverage: Coverage = service_coverage(start=start, end=end, service_code=code, user=user)
    return {
        "start": start,
        "end": end,
        "service": service,
        "period_label": _period_label(start, end),
        "measures": measures,
        "headline": [*(data["headline"][k] for k in HEADLINE), data["average_cost"]],
        "headline_labels": [data["headline"][k].label for k in HEADLINE],
        "trend": trend,
        "services": avoidable_services(start=start, end=end, site=site) if service is None else [],
        "coverage": coverage,
        "satisfaction": [data["figures"]["satisfied"], data["net_satisfaction"]],
        "satisfaction_answers": measures.satisfaction_answers,
    }


# The CSV pack


def _status_cells(figure: Figure) -> list:
    status = figure.status
    if status is None:
        return ["", "", "", ""]
    target = status.target
    return [
        target.direction_text if target else "",
        "all services" if target and not target.service_id else (str(target.service) if target else ""),
        status.label if status.level else "No status",
        status.text,
    ]


def csv_files(report: dict) -> dict[str, list[list]]:
    """Each CSV of the pack as rows, header first: measure, value, numerator, denominator, unit, …"""
    period = [report["start"].isoformat(), report["end"].isoformat()]
    scope = str(report["service"]) if report["service"] else "All services"
    headline = [STATUS_HEADER]
    for figure in report["headline"]:
        headline.append([*figure.csv_row(), *_status_cells(figure), figure.change, *period, scope])

    trend = [[*CSV_HEADER, "month", "period start", "period end", "service"]]
    for row in report["trend"]:
        for figure in row["figures"]:
            trend.append(
                [*figure.csv_row(), row["label"], row["start"].isoformat(), row["end"].isoformat(), scope]
            )

    services = [[*CSV_HEADER, "service", "LGSL code", "period start", "period end"]]
    for rank in report["services"]:
        services.append([*rank.avoidable.csv_row(), rank.label, rank.code, *period])

    coverage = [[*CSV_HEADER, "period start", "period end"]]
    coverage += [[*row, *period] for row in coverage_csv_rows(report["coverage"])]

    satisfaction = [STATUS_HEADER]
    for figure in report["satisfaction"]:
        satisfaction.append([*figure.csv_row(), *_status_cells(figure), figure.change, *period, scope])
    return {
        "headline.csv": headline,
        "trend.csv": trend,
        "avoidable_services.csv": services,
        "coverage.csv": coverage,
        "satisfaction.csv": satisfaction,
    }


def csv_pack(report: dict) -> bytes:
    """The zip of the report's CSVs (UTF-8 with a byte order mark, so Excel reads £ and −)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, rows in csv_files(report).items():
            text = io.StringIO()
            text.write("\ufeff")
            safe_csv.writer(text).writerows(rows)
            pack.writestr(name, text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def pack_filename(report: dict) -> str:
    who = f"lgsl-{report['service'].code}" if report["service"] else "all-services"
    return f"channel-shift-report_{report['start'].isoformat()}_to_{report['end'].isoformat()}_{who}.zip"


class CommitteeReportView(InsightsPageMixin, TemplateView):
    """The printable report (``?month=2026-11`` or ``?start=…&end=…``; default the last full
    month) and, with ``format=zip``, its CSV pack."""

    template_name = "insights/report.html"
    page_title = TITLE
    header_icon = "doc-full"

    def get(self, request, *args, **kwargs):
        form = ReportPeriodForm(request.GET)
        context = self.get_context_data(form=form)
        if not form.is_valid():
            context["errors"] = [(name, error) for name in form.errors for error in form.errors[name]]
            return self.render_to_response(context, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        service = form.cleaned_data["service"]
        report = committee_report(
            start=start, end=end, service=service, site=Site.find_for_request(request), user=request.user
        )
        if request.GET.get("format") == "zip":
            response = HttpResponse(csv_pack(report), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{pack_filename(report)}"'
            return response
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if service:
            params["service"] = service.code
        context.update(
            report,
            zip_url=f"{reverse('insights_committee_report')}?{urlencode({**params, 'format': 'zip'})}",
            dashboard_url=f"{reverse('interactions_contact_insights')}?{urlencode(params)}",
            definitions_url=reverse("insights_definitions"),
            generated=timezone.localtime(),
        )
        return self.render_to_response(context)

    def render_to_response(self, context, status=200, **kwargs):
        return super().render_to_response(context, status=status, **kwargs)
