"""The forms editor in the Wagtail admin (views in ``admin_views.py``)."""

from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin_views import FormStatisticsIndexView, ServiceFormViewSet, can_view_statistics, permission_policy
from .lifecycle import ARCHIVE_ACTION, REOPEN_ACTION
from .models import ServiceForm

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(ServiceForm, permission_policy, exact_class=True)
register_snippet(ServiceFormViewSet)


@hooks.register("register_log_actions")
def register_form_actions(actions):
    actions.register_action(ARCHIVE_ACTION, "Archive", "Archived: residents see the closed message")
    actions.register_action(REOPEN_ACTION, "Reopen", "Reopened to residents")


class FormStatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_statistics(request.user)


@hooks.register("register_admin_urls")
def register_form_statistics_url():
    return [path("form-statistics/", FormStatisticsIndexView.as_view(), name="forms_engine_statistics")]


@hooks.register("register_reports_menu_item")
def register_form_statistics_menu_item():
    """Service managers (who cannot open the forms editor) reach each form's statistics here."""
    return FormStatisticsMenuItem(
        "Form statistics",
        reverse("forms_engine_statistics"),
        name="form-statistics",
        icon_name="table",
        order=110,
    )
