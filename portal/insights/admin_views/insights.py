"""Contact insights in the Wagtail admin: the dashboard and "How these figures are worked out"."""

from datetime import date

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from portal.interactions.models import LgslService
from portal.interactions.permissions import can_view_contact_insights
from portal.interactions.rollups import rollups_pending

from ..coverage import service_coverage
from ..dashboard import council_settings, insights
from ..exports import csv_response
from ..figures import (
    FIGURES,
    pct,
)
from ..forms import InsightsFilterForm, filter_data, quick_periods
from ..measures import measures_for, services_ranked
from ..satisfaction import satisfaction_section
from ..targets import annotate, period_words, previous_period, targets_for
from ..trend import _day, _period_label, trend


def _report_url(start: date, end: date, service_code: int | None) -> str:
    """The committee report for the same period and service."""
    params: dict = {"start": start.isoformat(), "end": end.isoformat()}
    if service_code is not None:
        params["service"] = service_code
    return f"{reverse('insights_committee_report')}?{urlencode(params)}"


class InsightsPageMixin(WagtailAdminTemplateMixin):
    """A Contact insights page in the admin: only for those who may see the dashboard (403,
    not Wagtail's redirect, for anyone else), under "Contact insights" in the breadcrumbs."""

    page_title = "Contact insights"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_contact_insights(request.user):
            return TemplateResponse(
                request, "insights/dashboard_forbidden.html", {"page_title": self.page_title}, status=403
            )
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("interactions_contact_insights"), "label": "Contact insights"},
            {"url": "", "label": self.page_title},
        ]


class ContactInsightsView(InsightsPageMixin, TemplateView):
    """The dashboard: a GET filter form, the figures, charts and a CSV of the same figures."""

    template_name = "insights/dashboard.html"
    page_title = "Contact insights"
    header_icon = "table"

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
        # Each figure against its target, and the same figure for the period just before.
        before_start, before_end = previous_period(start, end)
        previous = insights(measures_for(start=before_start, end=before_end, service_code=code, site=site))
        annotate(data, previous, targets_for(code), period_words(start, end))
        data.update(satisfaction_section(measures, service_url=lambda c: self.url_for(start, end, c)))
        data["coverage"] = service_coverage(start=start, end=end, service_code=code, user=request.user)
        if request.GET.get("format") == "csv":
            return csv_response(measures, data, service)

        council = council_settings(site)
        pending = [day for day in rollups_pending() if start <= day <= end]
        context.update(
            recalculating=", ".join(_day(day) for day in pending),
            definitions_url=reverse("insights_definitions"),
            measures=measures,
            service=service,
            period_label=_period_label(start, end),
            days=(end - start).days + 1,
            csv_url=self.url_for(start, end, code, format="csv"),
            report_url=_report_url(start, end, code),
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
                    "avoidable_text": pct(row["avoidable_percent"]),
                    "digital_text": pct(row["digital_take_up_percent"]),
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


class DefinitionsView(InsightsPageMixin, TemplateView):
    """ "How these figures are worked out": every figure's definition, from the same table
    the dashboard computes them with (``figures.FIGURES``) and ``docs/measures.md``."""

    template_name = "insights/definitions.html"
    page_title = "How these figures are worked out"
    header_icon = "help"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = FIGURES
        context["dashboard_url"] = reverse("interactions_contact_insights")
        return context
