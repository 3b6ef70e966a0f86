from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.http import url_has_allowed_host_and_scheme

from portal.lib.validation import MOBILE_REQUIRED, phone_is_uk_mobile, phone_normalise

from .constants import AlertChannel
from .models import postcode_district
from .services import FeedbackReason


class _FeedbackTargetForm(forms.Form):
    """Which page the feedback is about: its id (to look up its service) and the path shown."""

    page = forms.IntegerField(required=False, widget=forms.HiddenInput)
    path = forms.CharField(max_length=1000, widget=forms.HiddenInput)

    def clean_path(self):
        path = self.cleaned_data["path"]
        if (
            not path.startswith("/")
            or path.startswith("//")
            or not url_has_allowed_host_and_scheme(path, None)
        ):
            raise forms.ValidationError("Invalid page")
        return path


class PageFeedbackForm(_FeedbackTargetForm):
    useful = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])


class PageFeedbackReasonForm(_FeedbackTargetForm):
    reason = forms.ChoiceField(
        label="What went wrong? (optional)",
        choices=FeedbackReason.CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Tell us more (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Tell us more in 1000 characters or fewer"},
    )


class AlertSubscribeForm(forms.Form):
    """Get service alerts: by email or text, for a postcode's district or the whole council area.

    Both addresses and the postcode are always shown (not revealed by the radios: GOV.UK
    Frontend's conditional reveal fails axe-core); only the ones the choices need are checked.
    """

    channel = forms.ChoiceField(
        label="How do you want to get alerts?",
        choices=AlertChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want to get alerts: email or text message"},
    )
    email = forms.CharField(
        label="Email address",
        help_text="If you chose email.",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"max_length": "Enter an email address of 254 characters or fewer"},
    )
    phone = forms.CharField(
        label="UK mobile number",
        help_text="If you chose text message. For example, 07700 900 982.",
        required=False,
        max_length=25,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "class": "govuk-input--width-20"}
        ),
        error_messages={"max_length": MOBILE_REQUIRED},
    )
    where = forms.ChoiceField(
        label="Which alerts do you want?",
        choices=[("area", "Alerts for my area"), ("all", "All alerts, for all of the council area")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose alerts for your area or for all of the council area"},
    )
    postcode = forms.CharField(
        label="Postcode",
        help_text="If you chose alerts for your area. For example, LS6 2AB.",
        required=False,
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
        error_messages={"max_length": "Enter a full UK postcode, like LS6 2AB"},
    )

    def clean(self):
        data = super().clean()
        channel, where = data.get("channel"), data.get("where")
        if channel == AlertChannel.EMAIL:
            email = (data.get("email") or "").strip()
            if not email:
                self.add_error("email", "Enter your email address")
            else:
                try:
                    validate_email(email)
                    data["email"] = email
                except ValidationError:
                    self.add_error(
                        "email", "Enter an email address in the correct format, like name@example.com"
                    )
        if channel == AlertChannel.SMS:
            raw = (data.get("phone") or "").strip()
            if not raw:
                self.add_error("phone", "Enter a UK mobile number to get alerts by text")
            else:
                try:
                    phone = phone_normalise(raw)
                except ValidationError:
                    phone = ""
                if not phone_is_uk_mobile(phone):
                    self.add_error("phone", MOBILE_REQUIRED)
                else:
                    data["phone"] = phone
        if where == "area":
            postcode = (data.get("postcode") or "").strip()
            if not postcode:
                self.add_error("postcode", "Enter your postcode, or choose all of the council area")
            elif not postcode_district(postcode):
                self.add_error("postcode", "Enter a full UK postcode, like LS6 2AB")
            else:
                data["area"] = postcode_district(postcode)
        elif where == "all":
            data["area"] = ""
        return data
