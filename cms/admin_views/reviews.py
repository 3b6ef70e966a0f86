"""Staff views inside the Wagtail admin: content review.

"Pages due for review" (Reports) and a dashboard panel. Every page has a "review by" date
(``BasePage.review_by``). Editors see the live pages whose date is today or past, oldest
first, limited to pages they may edit.
"""

import datetime

from django.utils import timezone

from wagtail.admin.ui.components import Component
from wagtail.admin.views.reports import PageReportView

from portal.lib.csv import SafeSpreadsheetExportMixin

from ..permissions import EDIT_PERMISSIONS
from ..selectors import pages_due_for_review_for


class PagesDueForReviewView(SafeSpreadsheetExportMixin, PageReportView):
    page_title = "Pages due for review"
    header_icon = "time"
    results_template_name = "cms/admin/pages_due_for_review_results.html"
    index_url_name = "cms_pages_due_for_review"
    index_results_url_name = "cms_pages_due_for_review_results"
    any_permission_required = EDIT_PERMISSIONS
    list_export = [
        "title",
        "review_by",
        "last_published_at",
        "content_type.model_class._meta.verbose_name.title",
    ]
    export_headings = {
        "review_by": "Review by",
        "last_published_at": "Last published",
        "content_type.model_class._meta.verbose_name.title": "Type",
    }

    def get_filename(self):
        return f"pages-due-for-review-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        self.queryset = pages_due_for_review_for(self.request.user).select_related("content_type")
        return super().get_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


class PagesDueForReviewPanel(Component):
    """On the admin dashboard: how many pages are due for review, with a link to the list."""

    name = "pages_due_for_review"
    template_name = "cms/admin/pages_due_for_review_panel.html"
    order = 205

    def __init__(self, count: int):
        self.count = count

    def get_context_data(self, parent_context):
        return {"count": self.count}
