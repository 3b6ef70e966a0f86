"""The extra sign-up fields (ACCOUNT_SIGNUP_FORM_CLASS).

allauth's forms module imports this one (and so the ``accounts.forms`` package) while it
loads, so nothing here may import ``allauth.account.forms``; the GOV.UK versions of
allauth's forms are in ``forms/allauth.py``.
"""

from django import forms


class SignupForm(forms.Form):
    """Extra sign-up fields, merged into allauth's form by ACCOUNT_SIGNUP_FORM_CLASS."""

    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your full name",
            "max_length": "Full name must be 200 characters or less",
        },
    )

    field_order = ["full_name", "email", "password1", "password2"]

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
