"""Wagtail admin hooks for Contact insights: its URL and its place in the Reports menu."""

from django.contrib.auth.models import Permission
from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from portal.interactions.permissions import can_view_contact_insights

from .admin_views import ContactInsightsView, DefinitionsView, MeasureTargetViewSet, permission_policy
from .models import MeasureTarget
from .report import CommitteeReportView
from .targets import can_set_targets

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(MeasureTarget, permission_policy, exact_class=True)
measure_target_viewset = MeasureTargetViewSet()


class ContactInsightsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_contact_insights(request.user)


@hooks.register("register_admin_urls")
def register_contact_insights_url():
    return [
        path(
            "contact-insights/",
            ContactInsightsView.as_view(),
            name="interactions_contact_insights",
        ),
        path("contact-insights/definitions/", DefinitionsView.as_view(), name="insights_definitions"),
        path("contact-insights/report/", CommitteeReportView.as_view(), name="insights_committee_report"),
    ]


@hooks.register("register_reports_menu_item")
def register_contact_insights_menu_item():
    return ContactInsightsMenuItem(
        "Contact insights",
        reverse("interactions_contact_insights"),
        name="contact-insights",
        icon_name="table",
        order=100,
    )


class MeasureTargetsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_set_targets(request.user)


@hooks.register("register_admin_viewset")
def register_measure_targets():
    return measure_target_viewset


@hooks.register("register_reports_menu_item")
def register_measure_targets_menu_item():
    # Beside Contact insights in Reports: the targets its figures are measured against.
    return MeasureTargetsMenuItem(
        "Contact measure targets",
        reverse(measure_target_viewset.get_url_name("index")),
        name="contact-measure-targets",
        icon_name="pick",
        order=101,
    )


@hooks.register("register_permissions")
def register_measure_target_permission():
    # Shown in Settings → Groups, so an administrator can give it to a group.
    return Permission.objects.filter(content_type__app_label="insights", codename="set_measure_targets")
