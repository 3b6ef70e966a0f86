"""The dashboard's filters: the period (London days, end included) and the service."""

import re
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.utils import timezone

from portal.interactions.models import LgslService, MonthlyRollup

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
        MonthlyRollup.objects.exclude(service_code=0)
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
