"""The "Integrations" menu in the Wagtail admin, for Integration managers only."""

from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import admin_views
from .selectors import can_manage_integrations


class IntegrationsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_integrations(request.user)


@hooks.register("register_admin_urls")
def register_integrations_urls():
    return [
        path(
            "integrations/",
            include((admin_views.admin_urls(), "integrations_admin"), namespace="integrations_admin"),
        )
    ]


def _menu_items():
    items = [
        ("API clients", "integrations_admin:api_clients", "key"),
        ("Destinations", "integrations_admin:destinations", "redirect"),
        ("Delivery log", "integrations_admin:deliveries", "list-ul"),
        ("Export submissions", "integrations_admin:export", "download"),
    ]
    return [
        IntegrationsMenuItem(label, reverse(name), name=name.rpartition(":")[2], icon_name=icon, order=order)
        for order, (label, name, icon) in enumerate(items, start=1)
    ]


@hooks.register("register_admin_menu_item")
def register_integrations_menu():
    return SubmenuMenuItem(
        admin_views.MENU_LABEL,
        Menu(items=_menu_items()),
        name="integrations",
        icon_name="link",
        order=270,
    )


@hooks.register("register_log_actions")
def register_integrations_log_actions(actions):
    for action, (label, message) in admin_views.LOG_ACTIONS.items():
        actions.register_action(action, label, message)
