"""The form a resident names someone to act for them with. It shapes input (the end date's
three boxes into a date); the rules are in ``accounts.proxies.proxy_invite``."""

from datetime import date

from django import forms

from ..constants import ProxyRelationship

PERMISSION_SUBMIT = "submit"
PERMISSION_PAY = "pay"


def _part(label: str, width: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": f"govuk-input--width-{width}"}),
    )


class ProxyInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address of the person",
        help_text="We will email them an invitation. They need their own account with this email address.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the email address of the person who will act for you",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    relationship = forms.ChoiceField(
        label="How do you know them?",
        choices=ProxyRelationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you know the person"},
    )
    permissions = forms.MultipleChoiceField(
        label="What can they do for you?",
        help_text="They can always see your requests and how they are going. Select all that apply.",
        choices=[(PERMISSION_SUBMIT, "Send requests and messages for you"), (PERMISSION_PAY, "Pay for you")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    ends_on_day = _part("Day", 2)
    ends_on_month = _part("Month", 2)
    ends_on_year = _part("Year", 4)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        parts = {name: (cleaned.get(f"ends_on_{name}") or "").strip() for name in ("day", "month", "year")}
        cleaned["ends_on"] = None
        if not any(parts.values()):
            return cleaned
        missing = [name for name, value in parts.items() if not value]
        if missing:
            self.add_error("ends_on_day", f"End date must include a {' and '.join(missing)}")
            return cleaned
        if not all(value.isdigit() for value in parts.values()) or len(parts["year"]) != 4:
            self.add_error("ends_on_day", "End date must be a real date")
            return cleaned
        try:
            cleaned["ends_on"] = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            self.add_error("ends_on_day", "End date must be a real date")
        return cleaned
