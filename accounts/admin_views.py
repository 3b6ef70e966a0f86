"""Staff views inside the Wagtail admin: Wagtail's user admin, with our forms."""

from wagtail.users.views.users import UserViewSet

from .forms.staff import PortalUserCreationForm, PortalUserEditForm


class PortalUserViewSet(UserViewSet):
    """Wagtail's user admin for a user with a single full-name field."""

    create_template_name = "wagtailusers/users/portal_create.html"
    edit_template_name = "wagtailusers/users/portal_edit.html"

    def get_form_class(self, for_update=False):
        return PortalUserEditForm if for_update else PortalUserCreationForm
