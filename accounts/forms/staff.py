"""The Wagtail user admin's forms, for a user with a single full-name field (see ``admin_views``)."""

from django import forms

from wagtail.users.forms import UserCreationForm, UserEditForm


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
