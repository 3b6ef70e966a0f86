"""Reports > What to fix: what residents could not find, and what they said was not useful.

Two tables for editors, over a period of Europe/London days (the last 30 by default):

- **Failed search terms**: searches that found nothing, by normalised query, most frequent
  first, with the page searchers most often went to next. "Add as a search term" makes
  the query find a service page (``services.search_term_add``).
- **"Not useful" answers per page**: usefulness and the reasons and comments residents
  gave, for the pages the editor may edit. "Mark as handled" hides a comment
  (``services.page_feedback_handle``).

Both tables download as CSV (formulas neutralised by ``portal.lib.csv``). Every editor
who may add, edit or publish pages may open it (the same rule as "Pages due for review").
"""

import datetime
import io
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from portal.lib import csv as safe_csv

from .. import selectors, services
from ..permissions import can_review

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366


class PeriodForm(forms.Form):
    """A period of whole days in the council's time zone; both days included."""

    start = forms.DateField(
        label="From",
        required=False,
        help_text="For example, 2026-03-01",
        error_messages={"invalid": "Enter the start date as a real date, like 2026-03-01"},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label="To",
        required=False,
        help_text="Included in the period",
        error_messages={"invalid": "Enter the end date as a real date, like 2026-03-31"},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    show_handled = forms.BooleanField(label="Show comments marked as handled", required=False)

    def clean(self):
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        today = timezone.localdate()
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            self.add_error("start", "The start date must be the same as or before the end date")
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.add_error(
                "start", f"The period can be at most {MAX_PERIOD_DAYS} days: choose a later start date"
            )
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes: the start day's midnight to the midnight after the end day."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        midnight = datetime.time.min
        return (
            timezone.make_aware(datetime.datetime.combine(start, midnight)),
            timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), midnight)),
        )


class _EditorsOnlyMixin:
    """Editors who may add, edit or publish pages; others go back to the dashboard, told why."""

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not can_review(request.user):
            messages.error(request, "Sorry, you do not have permission to access this area.")
            return redirect("wagtailadmin_home")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _csv_time(value: datetime.datetime) -> str:
    """UK time, in a form spreadsheets read as a date and time."""
    return timezone.localtime(value).replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")


def _report_url(params: dict | None = None) -> str:
    url = reverse("cms_what_to_fix")
    params = {k: v for k, v in (params or {}).items() if v}
    return f"{url}?{urlencode(params)}" if params else url


def _back_to_report(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if (
        back
        and back.startswith(reverse("cms_what_to_fix"))
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    ):
        return redirect(back)
    return redirect("cms_what_to_fix")


class WhatToFixView(_EditorsOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "cms/admin/what_to_fix.html"
    page_title = "What to fix"
    header_icon = "warning"

    def get_breadcrumbs_items(self):
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        self.form = PeriodForm(request.GET or None)
        if not self.form.is_bound:
            # the default period, shown in the date boxes so it can be changed from there
            today = timezone.localdate()
            first = today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
            self.form = PeriodForm({"start": first.isoformat(), "end": today.isoformat()})
        valid = self.form.is_valid()
        export = request.GET.get("export")
        if valid and export in ("searches", "comments"):
            return self.csv(export)
        context = self.get_context_data(**kwargs)
        context["form"] = self.form
        if valid:
            start, end = self.form.bounds()
            context.update(self.report(start, end))
            filters = {
                "start": self.form.cleaned_data["start"].isoformat(),
                "end": self.form.cleaned_data["end"].isoformat(),
                "show_handled": "on" if self.form.cleaned_data["show_handled"] else "",
            }
            context.update(
                period_start=self.form.cleaned_data["start"],
                period_end=self.form.cleaned_data["end"],
                here=_report_url(filters),
                searches_csv=_report_url({**filters, "export": "searches"}),
                comments_csv=_report_url({**filters, "export": "comments"}),
            )
        return self.render_to_response(context)

    def report(self, start, end) -> dict:
        return {
            "searches": selectors.failed_searches(start=start, end=end),
            "feedback": selectors.page_feedback_report(
                start=start,
                end=end,
                user=cast("User", self.request.user),  # only editors reach this view
                show_handled=self.form.cleaned_data["show_handled"],
                reasons=dict(services.FeedbackReason.CHOICES),
            ),
            "show_handled": self.form.cleaned_data["show_handled"],
        }

    def csv(self, kind: str) -> HttpResponse:
        start, end = self.form.bounds()
        data = self.report(start, end)
        buffer = io.StringIO()
        writer = safe_csv.writer(buffer)
        if kind == "searches":
            writer.writerow(
                ["Search term", "Searches", "Last searched", "Page most went to next", "Went there"]
            )
            for row in data["searches"]:
                writer.writerow(
                    [row.query, row.count, _csv_time(row.last_searched), row.next_path, row.next_count]
                )
        else:
            writer.writerow(
                [
                    "Page",
                    "Address",
                    "Useful",
                    "Not useful",
                    "Usefulness",
                    "Date",
                    "Reason",
                    "Comment",
                    "Handled",
                ]
            )
            for summary in data["feedback"]:
                page = [summary.title, summary.path, summary.useful, summary.not_useful, summary.usefulness]
                if not summary.comments:
                    writer.writerow([*page, "", "", "", ""])
                for comment in summary.comments:
                    writer.writerow(
                        [
                            *page,
                            _csv_time(comment.occurred_at),
                            comment.reason,
                            comment.comment,
                            "Yes" if comment.handled else "No",
                        ]
                    )
        first, last = self.form.cleaned_data["start"], self.form.cleaned_data["end"]
        name = "failed-searches" if kind == "searches" else "not-useful-comments"
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv"'
        )
        return response


class AddSearchTermForm(forms.Form):
    query = forms.CharField(
        label="Search term",
        max_length=selectors.MAX_QUERY_LENGTH,
        error_messages={"required": "Enter the search term to add"},
    )
    page: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Service page it should find",
        queryset=None,
        empty_label="Choose a page",
        error_messages={
            "required": "Choose the service page this search should find",
            "invalid_choice": "Choose one of the pages listed",
        },
        help_text="Only live service pages you may edit are listed.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = selectors.search_term_pages_for(user)  # type: ignore[attr-defined]
        self.fields["page"].label_from_instance = _page_label  # type: ignore[attr-defined]


def _page_label(page) -> str:
    """The title and the page's address under its site's home page (titles can repeat)."""
    under_home = "/".join(page.url_path.strip("/").split("/")[1:])
    return f"{page.title} (/{under_home})"


class AddSearchTermView(_EditorsOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "cms/admin/what_to_fix_add_term.html"
    page_title = "Add a search term to a page"
    header_icon = "search"

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("cms_what_to_fix"), "label": "What to fix"},
            {"url": "", "label": self.page_title},
        ]

    def get(self, request, *args, **kwargs):
        form = AddSearchTermForm(initial={"query": request.GET.get("query", "")}, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, next=request.GET.get("next", "")))

    def post(self, request, *args, **kwargs):
        form = AddSearchTermForm(request.POST, user=request.user)
        if form.is_valid():
            page = form.cleaned_data["page"]
            try:
                done = services.search_term_add(
                    user=request.user, page=page, query=form.cleaned_data["query"]
                )
            except services.WhatToFixError as error:
                form.add_error(None, str(error))
            else:
                term = form.cleaned_data["query"]
                if done == "keyword":
                    messages.success(
                        request,
                        f"'{term}' is now a search term of '{page.title}', and the page is published.",
                    )
                else:
                    messages.success(
                        request,
                        f"Searches for '{term}' now show '{page.title}' as a promoted result. "
                        "A moderator can add it to the page's search terms later.",
                    )
                return _back_to_report(request)
        return self.render_to_response(self.get_context_data(form=form, next=request.POST.get("next", "")))


class MarkFeedbackHandledView(_EditorsOnlyMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        interaction = selectors.feedback_comment_get(interaction_id=kwargs["interaction_id"])
        if interaction is None:
            raise Http404("No such comment")
        try:
            services.page_feedback_handle(user=request.user, interaction=interaction)
        except services.WhatToFixError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, "Comment marked as handled. Tick 'Show comments marked as handled' to see it."
            )
        return _back_to_report(request)
