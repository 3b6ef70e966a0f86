from django import forms
from django.contrib.auth import get_user_model

from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet

User = get_user_model()


class _FullNameMixin(forms.ModelForm):
    first_name = None
    last_name = None
    full_name = forms.CharField(label="Full name", max_length=200, required=True)


class PortalUserCreationForm(_FullNameMixin, UserCreationForm):
    """Staff accounts are created without a password: the person sets their own
    through "Forgotten your password?", so no one else ever knows it."""

    class Meta(UserCreationForm.Meta):
        fields = {"email", "full_name", "is_superuser", "groups"}

    def save(self, commit=True):
        user = super().save(commit=False)
        if not user.password:
            user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class PortalUserEditForm(_FullNameMixin, UserEditForm):
    class Meta(UserEditForm.Meta):
        fields = {"email", "full_name", "is_active", "is_superuser", "groups"}


class PortalUserViewSet(UserViewSet):
    """Wagtail's user admin for a user with a single full-name field."""

    create_template_name = "wagtailusers/users/portal_create.html"
    edit_template_name = "wagtailusers/users/portal_edit.html"

    def get_form_class(self, for_update=False):
        return PortalUserEditForm if for_update else PortalUserCreationForm
