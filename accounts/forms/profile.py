"""The forms behind each "Change" link on the profile page. They shape input; the rules are in
``services.profile_update``, whose errors the view puts back on these forms."""

from django import forms
from django.core.exceptions import ValidationError

from portal.lib.validation import phone_normalise, postcode_normalise

from ..constants import ContactPreference, SupportNeed


def _text(
    label: str, *, autocomplete: str, width: str = "", required: str = "", max_length: int = 100, hint=""
):
    attrs = {"autocomplete": autocomplete, "spellcheck": "false"}
    if width:
        attrs["class"] = f"govuk-input--width-{width}"
    return forms.CharField(
        label=label,
        required=bool(required),
        max_length=max_length,
        help_text=hint,
        widget=forms.TextInput(attrs=attrs),
        error_messages={
            "required": required,
            "max_length": f"{label.removesuffix(' (optional)')} must be {max_length} characters or less",
        },
    )


class _PhoneCleaningMixin:
    def clean_phone(self) -> str:
        try:
            return phone_normalise(self.cleaned_data.get("phone", ""))
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from exc


class NameForm(forms.Form):
    full_name = _text("Full name", autocomplete="name", required="Enter your full name", max_length=200)


class PhoneForm(_PhoneCleaningMixin, forms.Form):
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=25,
        help_text="For international numbers include the country code. Leave it empty to remove your number.",
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "class": "govuk-input--width-20"}
        ),
        error_messages={"max_length": "Enter a telephone number, like 01632 960 001 or 07700 900 982"},
    )


class AddressForm(forms.Form):
    address_line_1 = _text("Address line 1", autocomplete="address-line1")
    address_line_2 = _text("Address line 2 (optional)", autocomplete="address-line2")
    town = _text("Town or city", autocomplete="address-level2", width="20", max_length=60)
    postcode = _text("Postcode", autocomplete="postal-code", width="10", max_length=10)

    def clean_postcode(self) -> str:
        return postcode_normalise(self.cleaned_data.get("postcode", ""))


class ContactPreferenceForm(_PhoneCleaningMixin, forms.Form):
    contact_preference = forms.ChoiceField(
        label="How do you want us to contact you?",
        choices=ContactPreference.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want us to contact you"},
    )
    phone = forms.CharField(
        label="Mobile number for text messages",
        help_text="Only needed if you choose text message or bill reminders by text. "
        "It must be a UK mobile number.",
        required=False,
        max_length=25,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "class": "govuk-input--width-20"}
        ),
    )
    bill_reminders_by_text = forms.BooleanField(
        label="Text me a reminder with a link to pay before each of my bills is due",
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        # The mobile number is only for text messages; with the other choices it is ignored.
        if cleaned.get("contact_preference") != ContactPreference.SMS and not cleaned.get(
            "bill_reminders_by_text"
        ):
            cleaned.pop("phone", None)
            self._errors.pop("phone", None)
        return cleaned


class SupportNeedsForm(forms.Form):
    needs = forms.MultipleChoiceField(
        label="What extra support do you need?",
        choices=SupportNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Leave them all empty if you do not need extra support.",
    )
    language = _text(
        "If you need an interpreter, which language?",
        autocomplete="off",
        width="20",
        max_length=100,
        hint="For example, Polish or Urdu",
    )
    details = forms.CharField(
        label="Anything else we should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, the name of the person who acts for you, or the best time to call.",
        error_messages={"max_length": "Tell us in 1000 characters or less"},
    )

    def clean(self):
        cleaned = super().clean()
        if SupportNeed.INTERPRETER in cleaned.get("needs", []) and not cleaned.get("language", "").strip():
            self.add_error("language", "Enter the language you need an interpreter for")
        return cleaned
