"""Forms for the call screens: taking a call, checking who the caller is, their details, closing."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from wagtail.models import Site

from accounts.constants import ContactPreference, IdentityCheck
from portal.interactions.constants import Channel

from .forms import AssistedContactForm, _yes_no_field

CALL_CHANNELS = [
    (channel.value, channel.label)
    for channel in (Channel.PHONE, Channel.FACE_TO_FACE, Channel.EMAIL, Channel.LETTER)
]
# An emailed code is checked by the caller reading it back, not ticked by the agent.
IDENTITY_METHODS = [
    (value, label) for value, label in IdentityCheck.choices if value != IdentityCheck.EMAILED_CODE
]


def council_hostnames() -> set[str]:
    """The hosts of the council's own website: the portal's address and its Wagtail sites."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(Site.objects.values_list("hostname", flat=True))
    return {host for host in hosts if host}


class CallStartForm(forms.Form):
    channel = forms.ChoiceField(
        label="How is the person contacting the council?",
        choices=CALL_CHANNELS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the person is contacting the council",
            "invalid_choice": "Choose how the person is contacting the council",
        },
    )


class CallerSearchForm(forms.Form):
    q = forms.CharField(
        label="Find the caller",
        help_text="Name, email address, phone number, postcode, case reference or bill reference.",
        max_length=200,
        error_messages={"required": "Enter a name, email, phone number, postcode or reference"},
    )


class IdentityMethodForm(forms.Form):
    method = forms.ChoiceField(
        label="How did you check who the caller is?",
        choices=IDENTITY_METHODS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you checked who the caller is",
            "invalid_choice": "Choose how you checked who the caller is",
        },
    )

    def __init__(self, *args, channel: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if channel != Channel.FACE_TO_FACE:  # photo ID is seen only across a desk
            self.fields["method"].choices = [
                (value, label) for value, label in IDENTITY_METHODS if value != IdentityCheck.ID_SEEN
            ]


class IdentityCodeForm(forms.Form):
    code = forms.CharField(
        label="Code the caller reads back",
        help_text="6 digits, from the email we just sent them.",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "Enter the code the caller reads back to you"},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code the caller reads back to you")
        return code


class ResidentDetailsForm(forms.Form):
    """A caller's name, phone, address and how to contact them: checked as a resident's own
    profile changes are (``accounts.services.profile_update``, which reports any error)."""

    full_name = forms.CharField(label="Full name", max_length=200, required=False)
    phone = forms.CharField(
        label="Phone number",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address_line_1 = forms.CharField(label="Address line 1", max_length=100, required=False)
    address_line_2 = forms.CharField(label="Address line 2 (optional)", max_length=100, required=False)
    town = forms.CharField(label="Town or city", max_length=60, required=False)
    postcode = forms.CharField(
        label="Postcode", max_length=10, required=False, widget=forms.TextInput(attrs={"size": 10})
    )
    contact_preference = forms.ChoiceField(
        label="How does the caller want us to contact them?",
        choices=ContactPreference.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the caller wants us to contact them",
            "invalid_choice": "Choose how the caller wants us to contact them",
        },
    )

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError("Enter the caller’s full name")
        return name

    def profile(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.fields if name != "contact_email"}


class RecordCreateForm(ResidentDetailsForm):
    contact_email = forms.CharField(
        label="Email address for messages (optional)",
        help_text="Only if the caller wants emails. They do not get an account or a password.",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    field_order = [
        "full_name",
        "phone",
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "contact_email",
    ]


class DraftResumeForm(forms.Form):
    consent = forms.BooleanField(
        label="The caller agrees to carry on with the form they started",
        error_messages={"required": "Confirm the caller agrees to carry on with the form they started"},
    )


class CallCloseForm(AssistedContactForm):
    """The assisted contact, prefilled from the call and what the caller did online lately.

    The agent confirms or changes each answer. The channel is the call's; the resident is
    the call's identified caller; the case, if any, is one of theirs.
    """

    tried_online = _yes_no_field(
        "Did the caller try online first?",
        "Choose whether the caller tried online first",
        help_text="Yes if they started or tried to do this on the website before contacting us.",
    )
    case = forms.TypedChoiceField(
        label="Was the call about one of their cases?",
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the caller’s cases, or ‘Not about a case’"},
    )
    online_help = forms.BooleanField(
        label="I told the caller how to do this online next time", required=False
    )
    online_help_url = forms.URLField(
        label="Link to send them by email (optional)",
        help_text="The page or form on our website, like https://www.council.example/bins/. "
        "Leave blank to send nothing.",
        required=False,
        max_length=500,
        error_messages={"invalid": "Enter a web address, like https://www.council.example/bins/"},
    )

    def __init__(self, *args, call, cases=(), email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("resident_email", "case_reference", "occurred_at", "occurred_at_fold", "channel"):
            self.fields.pop(name, None)
        for name in ("satisfaction", "satisfaction_comment"):
            self.fields.pop(name, None)
        self.call = call
        self.resident = call.resident if call.identity_checked else None
        self.cases = {case.pk: case for case in cases}
        if self.cases:
            self.fields["case"].choices = [("", "Not about a case")] + [
                (case.pk, f"{case.reference}: {case.title}") for case in cases
            ]
        else:
            del self.fields["case"]
        self.email = email
        if not email:
            del self.fields["online_help_url"]
        order = list(self.fields)
        for name in ("tried_online",):
            order.remove(name)
            order.insert(order.index("avoidable"), name)
        self.order_fields(order)

    def clean_online_help_url(self):
        """Only a page of the council's own site: the email goes out in the council's name."""
        link = self.cleaned_data.get("online_help_url") or ""
        if link and urlsplit(link).hostname not in council_hostnames():
            raise forms.ValidationError(
                f"Enter a page of the council’s website, like {settings.SITE_URL}/bins/"
            )
        return link

    def clean_resident_email(self):
        return ""

    def clean_avoidable_category(self):
        """Ignored when the contact was not avoidable: a prefilled radio cannot be unticked
        without JavaScript, so answering "No" is enough."""
        if self.cleaned_data.get("avoidable") is False:
            return ""
        return self.cleaned_data.get("avoidable_category", "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("online_help_url") and not cleaned.get("online_help"):
            self.add_error(
                "online_help",
                "Tick ‘I told the caller how to do this online next time’ to send them the link",
            )
        return cleaned

    @property
    def chosen_case(self):
        return self.cases.get(self.cleaned_data.get("case")) if "case" in self.fields else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "channel": self.call.channel,
            "service_code": data["service_code"],
            "reason_code": data["reason_code"],
            "avoidable": data["avoidable"],
            "avoidable_category": data["avoidable_category"] if data["avoidable"] else "",
            "resolved_first_contact": data["resolved_first_contact"],
            "notes": data["notes"].strip(),
            "handled_by": data.get("handled_by"),
            "extras": {
                "tried_online": data["tried_online"],
                "call": str(self.call.pk),
                **({"told_online": True} if data.get("online_help") else {}),
            },
        }
