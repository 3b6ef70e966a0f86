"""Wagtail admin hooks for Contact insights: its URL and its place in the Reports menu."""

from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from portal.interactions.permissions import can_view_contact_insights

from .dashboard import ContactInsightsView


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
        )
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
