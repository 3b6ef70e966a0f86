from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from portal.interactions.models import AssistedContact
from portal.notifications.selectors import inbound_texts_to_triage

from .admin_views import (
    HELP_CALLERS,
    RECORD_LABEL,
    TAKE_A_CALL,
    TEXTS_TO_TRIAGE,
    AssistedContactViewSet,
    CaseAssistedContactView,
    ContactTeamViewSet,
    call_urlpatterns,
    permission_policy,
    text_urlpatterns,
)

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(AssistedContact, permission_policy, exact_class=True)

assisted_contact_viewset = AssistedContactViewSet()


@hooks.register("register_admin_viewset")
def register_assisted_contacts():
    return assisted_contact_viewset


@hooks.register("register_admin_viewset")
def register_contact_teams():
    # Under Settings, beside "Case teams": who handled each contact (a team or an outsourced centre).
    return ContactTeamViewSet()


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


@hooks.register("register_admin_urls")
def register_case_contact_url():
    # Beside the case's own page (/admin/cases/<pk>/), in the contact centre's namespace.
    urls = [path("cases/<int:pk>/contact/", CaseAssistedContactView.as_view(), name="case_contact")]
    urls += call_urlpatterns  # taking a call: /admin/contact-centre/...
    urls += text_urlpatterns  # text messages to triage: /admin/contact-centre/texts/...
    return [path("", include((urls, "contact_centre"), namespace="contact_centre"))]


class TakeACallMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(HELP_CALLERS)


@hooks.register("register_admin_menu_item")
def register_take_a_call_menu_item():
    return TakeACallMenuItem(
        TAKE_A_CALL,
        reverse("contact_centre:call_start"),
        name="take-a-call",
        icon_name="mobile-alt",
        order=248,
    )


class TextsToTriageMenuItem(TakeACallMenuItem):
    """Says how many texts are waiting, so agents see there is work without opening it."""

    def render_component(self, request):
        component = super().render_component(request)
        waiting = inbound_texts_to_triage().count()
        if waiting:
            component.label = f"{self.label} ({waiting})"
        return component


@hooks.register("register_admin_menu_item")
def register_texts_to_triage_menu_item():
    return TextsToTriageMenuItem(
        TEXTS_TO_TRIAGE,
        reverse("contact_centre:texts"),
        name="texts-to-triage",
        icon_name="mail",
        order=250,
    )
