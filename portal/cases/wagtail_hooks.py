"""The cases workspace in the Wagtail admin: the queue, each case, and teams (under Settings)."""

from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.auth import user_has_any_page_permission
from wagtail.admin.menu import MenuItem
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views, selectors
from .forms import TeamForm
from .models import Team
from .permissions import staff_can_use_queue


class CasesMenuItem(MenuItem):
    def is_shown(self, request):
        return staff_can_use_queue(request.user)


@hooks.register("register_admin_urls")
def register_cases_urls():
    urls = [
        path("", admin_views.CaseQueueView.as_view(), name="queue"),
        path("<int:pk>/", admin_views.CaseDetailView.as_view(), name="case"),
        path("<int:pk>/support-needs/", admin_views.CaseSupportNeedsView.as_view(), name="support_needs"),
        path(
            "<int:pk>/files/<uuid:attachment_pk>/", admin_views.staff_attachment_download, name="attachment"
        ),
    ]
    return [path("cases/", include((urls, "cases_admin"), namespace="cases_admin"))]


@hooks.register("register_admin_menu_item")
def register_cases_menu_item():
    return CasesMenuItem("Cases", reverse("cases_admin:queue"), name="cases", icon_name="tasks", order=240)


class TeamViewSet(ModelViewSet):
    model = Team
    icon = "group"
    menu_label = "Case teams"
    add_to_settings_menu = True
    name = "case_teams"
    url_prefix = "case-teams"
    list_display = ["name", "email"]
    search_fields = ["name"]
    copy_view_enabled = False
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return TeamForm


@hooks.register("register_admin_viewset")
def register_team_viewset():
    return TeamViewSet()


@hooks.register("construct_homepage_panels")
def add_workload_panel(request, panels):
    """Case workers see their cases, and what is overdue or due soon, first on the admin home."""
    if staff_can_use_queue(request.user):
        panels.append(admin_views.WorkloadPanel(selectors.case_workload_counts(request.user)))


@hooks.register("construct_homepage_summary_items", order=1000)
def hide_page_counts_from_non_editors(request, summary_items: list[SummaryItem]):
    """Wagtail's page, image and document counts mean nothing to staff who do not edit content
    (officers, managers, finance): they are left off their admin home."""
    if not user_has_any_page_permission(request.user):
        summary_items.clear()
