"""Forms for the call screens: taking a call, checking who the caller is, their details, closing."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from wagtail.models import Site

from accounts.constants import ContactPreference, IdentityCheck
from portal.interactions.constants import Channel
from portal.lib.validation import phone_is_uk_mobile
from portal.notifications.constants import NotificationChannel
from portal.notifications.selectors import sms_opted_out, undeliverable_addresses

from .contacts import AssistedContactForm, _yes_no_field

CALL_CHANNELS = [
    (channel.value, channel.label)
    for channel in (Channel.PHONE, Channel.FACE_TO_FACE, Channel.EMAIL, Channel.LETTER)
]
# An emailed code is checked by the caller reading it back, not ticked by the agent.
IDENTITY_METHODS = [
    (value, label)
    for value, label in IdentityCheck.choices
    if value not in (IdentityCheck.EMAILED_CODE, IdentityCheck.TEXTED_CODE)
]


def council_hostnames() -> set[str]:
    """The hosts of the council's own website: the portal's address and its Wagtail sites."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(Site.objects.values_list("hostname", flat=True))
    return {host for host in hosts if host}


# How the agent sends the caller a link: by email, or by text to their phone.
SEND_BY = [
    (NotificationChannel.EMAIL.value, "By email"),
    (NotificationChannel.SMS.value, "By text message"),
]


def send_by_default(resident) -> str:
    """The resident's own preference where it can take a link, else whichever they have."""
    if resident is None:
        return NotificationChannel.EMAIL
    if resident.contact_preference == ContactPreference.SMS and resident.phone:
        return NotificationChannel.SMS
    if not resident.message_email and resident.phone:
        return NotificationChannel.SMS
    return NotificationChannel.EMAIL


def send_by_problem(resident, channel: str) -> str:
    """Why a link cannot go to ``resident`` by ``channel`` (words for the agent), or ""."""
    if channel == NotificationChannel.SMS:
        if not resident.phone:
            return (
                "The caller has no phone number on their record. Add their mobile number to "
                "their contact details first, or send it by email"
            )
        if not phone_is_uk_mobile(resident.phone):
            return (
                "The caller’s phone number is not a UK mobile number, so it cannot take texts. "
                "Change it in their contact details, or send it by email"
            )
        if sms_opted_out(resident.phone):
            return (
                "The caller’s number replied STOP to our texts. Send it by email, or ask them to "
                "choose text messages again in My account"
            )
        if NotificationChannel.SMS in undeliverable_addresses(resident):
            return (
                "Texts to the caller’s number could not be delivered. Check the number with them "
                "and change it in their contact details, or send it by email"
            )
        return ""
    if not resident.message_email:
        return (
            "The caller has no email address. Add one to their contact details first, "
            "or send it by text message"
        )
    if NotificationChannel.EMAIL in undeliverable_addresses(resident):
        return (
            "Emails to the caller’s address could not be delivered. Check the address with them "
            "and change it in their contact details, or send it by text message"
        )
    return ""


class SendByForm(forms.Form):
    """How a payment link goes to the caller: by email or by text (their preference first)."""

    send_by = forms.ChoiceField(
        label="Send the link",
        choices=SEND_BY,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether to send the link by email or by text message",
            "invalid_choice": "Choose whether to send the link by email or by text message",
        },
    )

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident = resident
        self.fields["send_by"].initial = send_by_default(resident)

    def clean_send_by(self):
        channel = self.cleaned_data["send_by"]
        problem = send_by_problem(self.resident, channel)
        if problem:
            raise forms.ValidationError(problem)
        return channel


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
        label="Link to send them (optional)",
        help_text="The page or form on our website, like https://www.council.example/bins/. "
        "Leave blank to send nothing.",
        required=False,
        max_length=500,
        error_messages={"invalid": "Enter a web address, like https://www.council.example/bins/"},
    )
    online_help_by = forms.ChoiceField(
        label="Send the link",
        choices=SEND_BY,
        required=False,
        widget=forms.RadioSelect,
        help_text="Their choice of how we contact them is selected. Ask them if a text to the "
        "phone they are calling from suits them better.",
        error_messages={"invalid_choice": "Choose whether to send the link by email or by text message"},
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
        if self.resident is None or not (email or self.resident.phone):
            del self.fields["online_help_url"]
            del self.fields["online_help_by"]
        else:
            self.fields["online_help_by"].initial = send_by_default(self.resident)
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
        if cleaned.get("online_help_url") and cleaned.get("online_help") and "online_help_by" in self.fields:
            channel = cleaned.get("online_help_by") or send_by_default(self.resident)
            cleaned["online_help_by"] = channel
            problem = send_by_problem(self.resident, channel)
            if problem:
                self.add_error("online_help_by", problem)
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
