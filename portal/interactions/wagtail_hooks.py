from django.urls import reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from .assisted_admin import RECORD_LABEL, AssistedContactViewSet, permission_policy
from .models import AssistedContact

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(AssistedContact, permission_policy, exact_class=True)

assisted_contact_viewset = AssistedContactViewSet()


@hooks.register("register_admin_viewset")
def register_assisted_contacts():
    return assisted_contact_viewset


class RecordContactMenuItem(MenuItem):
    def is_shown(self, request):
        return permission_policy.user_has_permission(request.user, "add")


@hooks.register("register_admin_menu_item")
def register_record_contact_menu_item():
    return RecordContactMenuItem(
        RECORD_LABEL,
        reverse(assisted_contact_viewset.get_url_name("add")),
        name="record-a-contact",
        icon_name="mobile-alt",
        order=249,
    )


# Contact insights (portal.insights) has no app of its own, so its admin hooks are registered from here.
from portal.insights import dashboard_hooks  # noqa: E402, F401
