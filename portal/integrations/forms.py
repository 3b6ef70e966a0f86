"""The staff forms of the integrations screens, with GOV.UK-style error messages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone

from forms_engine.models import ServiceForm
from forms_engine.services import form_version_current

from .constants import ApiScope, DeliveryStatus, DestinationKind
from .models import ApiClient, Destination
from .selectors import form_question_names, form_schema_current, forms_for_destinations
from .transports.net import address_refusal, private_addresses_allowed

# http:// is for a receiver on this machine, and only in development or where private
# addresses are allowed (the tests' local servers); anything else goes over TLS, since the
# requests carry residents' answers. Private and local addresses are refused outside those
# (``transports.net.address_refusal``), and again when sending.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ATTRIBUTE_LINE = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*(\S.*?)\s*$")
MAX_EXPORT_DAYS = 366


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="The system or app, e.g. FixMyStreet. Shown as the channel of what it sends.",
        error_messages={
            "required": "Enter the name of the system or app",
            "max_length": "The name must be 100 characters or fewer",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="What the key may do",
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one thing the key may do"},
    )
    rate_limit_per_minute = forms.IntegerField(
        label="Requests a minute",
        initial=60,
        min_value=1,
        max_value=10000,
        help_text="Calls over this in any minute are refused with 429 (Too Many Requests).",
        error_messages={
            "required": "Enter how many requests a minute the key may make",
            "invalid": "Enter the number of requests a minute as a whole number, like 60",
            "min_value": "The number of requests a minute must be between 1 and 10,000",
            "max_value": "The number of requests a minute must be between 1 and 10,000",
        },
    )
    contact_email = forms.EmailField(
        label="Contact email address (optional)",
        required=False,
        help_text="Who at the other end to tell about the key, e.g. when it is revoked.",
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.com"},
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ApiClient.objects.filter(name__iexact=name).exists():
            raise ValidationError(f"There is already an API client called {name}: choose another name")
        return name


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _url_check(value: str, what: str) -> str:
    message = f"Enter the address of the {what}, starting https://"
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(message) from None
    parts = urlsplit(value)
    local_allowed = settings.DEBUG or private_addresses_allowed()
    if parts.scheme == "http" and not (local_allowed and parts.hostname in LOCAL_HOSTS):
        raise ValidationError(message)
    refusal = address_refusal(value)
    if refusal:
        raise ValidationError(
            f"Enter the address of the {what} on the internet: {refusal[0].lower()}{refusal[1:]}"
        )
    return value


def attribute_lines(mapping: dict[str, str]) -> str:
    return "\n".join(f"{name} = {code}" for name, code in (mapping or {}).items())


class DestinationForm(forms.ModelForm):
    """A destination, with the fields of its kind checked; the attribute map as lines of text."""

    form = forms.ModelChoiceField(
        label="Form",
        queryset=ServiceForm.objects.none(),
        empty_label="Choose a form",
        help_text="The form whose submissions are sent here.",
        error_messages={"required": "Choose the form whose submissions are sent here"},
    )
    kind = forms.ChoiceField(
        label="How they are sent",
        choices=[("", "Choose how they are sent"), *DestinationKind.choices],
        error_messages={"required": "Choose how the submissions are sent"},
    )
    url = forms.CharField(
        label="Address (webhook or Open311)",
        required=False,
        max_length=500,
        help_text=(
            "Webhook: where the JSON is POSTed. Open311: the endpoint's base address, "
            "e.g. https://confirm.example.gov.uk/open311/v2 (requests.json is added to it). "
            "It must start https:// (http:// only for this machine, 127.0.0.1 or localhost)."
        ),
    )
    attribute_map = forms.CharField(
        label="Open311: which of their attributes each question fills (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "One a line, as question name = their attribute code, e.g. bin_type = BIN_TYPE. "
            "Questions not listed are sent in the description."
        ),
    )

    class Meta:
        model = Destination
        fields = [
            "form",
            "name",
            "kind",
            "active",
            "email_to",
            "attach_limit_mb",
            "url",
            "open311_api_key",
            "open311_jurisdiction",
            "open311_service_code",
            "attribute_map",
            "poll_updates",
            "status_client",
            "alert_email",
        ]
        labels = {
            "name": "Name",
            "active": "Active: send new submissions here",
            "email_to": "Email: send to",
            "attach_limit_mb": "Email: most in attachments (MB)",
            "open311_api_key": "Open311: the API key they gave us",
            "open311_jurisdiction": "Open311: jurisdiction id (optional)",
            "open311_service_code": "Open311: their service code for this form",
            "poll_updates": "Open311: read their status updates every few minutes",
            "status_client": "API client that sends status updates (optional)",
            "alert_email": "Who to tell when deliveries keep failing (optional)",
        }
        help_texts = {
            "email_to": "Email: one or more addresses, separated by commas.",
            "status_client": (
                "The back office's API client, if it sends status updates by its own ids "
                "(POST /api/back-office/v1/remote/<id>/updates)."
            ),
            "alert_email": "Else the form's team is told.",
        }
        error_messages = {
            "name": {"required": "Enter a name for the destination, like Highways team inbox"},
            "attach_limit_mb": {
                "invalid": "Enter the most in attachments as a whole number of MB, like 10",
            },
            "alert_email": {"invalid": "Enter an email address in the correct format, like name@example.com"},
        }
        widgets = {"open311_api_key": forms.PasswordInput(render_value=True)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "form").queryset = forms_for_destinations()
        _choices(self, "status_client").queryset = ApiClient.objects.active()
        _choices(self, "status_client").empty_label = "None"
        self.fields["kind"].initial = self.instance.kind or DestinationKind.EMAIL
        if self.instance.pk:
            self.initial["attribute_map"] = attribute_lines(self.instance.attribute_map)

    def clean_email_to(self) -> str:
        addresses = [a.strip() for a in self.cleaned_data["email_to"].split(",") if a.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    "Enter email addresses in the correct format, like name@example.com, separated by commas"
                ) from None
        return ", ".join(addresses)

    def _question_names(self, form: ServiceForm) -> dict[str, str]:
        # The live version the residents answer, frozen now if nobody has opened it yet.
        version = form_version_current(form=form)
        return form_question_names(version.schema if version is not None else form_schema_current(form))

    def _attribute_map(self, text: str, form: ServiceForm | None) -> dict[str, str]:
        mapping: dict[str, str] = {}
        lines = [line for line in text.splitlines() if line.strip()]
        for line in lines:
            match = ATTRIBUTE_LINE.match(line)
            if not match:
                raise ValidationError(
                    f"Write “{line.strip()}” as question name = attribute code, like bin_type = BIN_TYPE"
                )
            name, code = match.groups()
            if name in mapping:
                raise ValidationError(f"Map the question {name} only once")
            mapping[name] = code
        if mapping and form is not None:
            names = self._question_names(form)
            if not names:
                raise ValidationError("Publish the form first: it has no questions to map yet")
            unknown = [name for name in mapping if name not in names]
            if unknown:
                raise ValidationError(
                    f"{unknown[0]} is not a question on {form.title}: use one of {', '.join(names)}"
                )
        return mapping

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == DestinationKind.EMAIL and "email_to" in data and not data["email_to"]:
            self.add_error("email_to", "Enter at least one email address")
        url = (data.get("url") or "").strip()
        if kind in (DestinationKind.WEBHOOK, DestinationKind.OPEN311) and "url" in data:
            what = "webhook" if kind == DestinationKind.WEBHOOK else "Open311 endpoint"
            if not url:
                self.add_error("url", f"Enter the address of the {what}, starting https://")
            else:
                try:
                    data["url"] = _url_check(url, what)
                except ValidationError as error:
                    self.add_error("url", error)
        elif url:  # not used by an email destination, but checked if typed
            try:
                data["url"] = _url_check(url, "webhook")
            except ValidationError as error:
                self.add_error("url", error)
        if kind == DestinationKind.OPEN311 and not data.get("open311_service_code", "").strip():
            self.add_error("open311_service_code", "Enter their service code for this form, like 1234")
        try:
            data["attribute_map"] = self._attribute_map(data.get("attribute_map") or "", data.get("form"))
        except ValidationError as error:
            self.add_error("attribute_map", error)
        return data


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *DeliveryStatus.choices]
    )
    destination = forms.ModelChoiceField(
        label="Destination",
        required=False,
        queryset=Destination.objects.none(),
        empty_label="Any destination",
    )
    form = forms.ModelChoiceField(
        label="Form", required=False, queryset=ServiceForm.objects.none(), empty_label="Any form"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "destination").queryset = Destination.objects.select_related("form").order_by(
            "form__title", "name"
        )
        _choices(self, "form").queryset = (
            ServiceForm.objects.filter(destinations__isnull=False).distinct().order_by("title")
        )


class ExportForm(forms.Form):
    form = forms.ModelChoiceField(
        label="Form",
        queryset=ServiceForm.objects.none(),
        empty_label="Choose a form",
        error_messages={"required": "Choose the form to export"},
    )
    date_from = forms.DateField(
        label="From",
        help_text="The first day, for example 2026-03-01",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the first day of the period",
            "invalid": "Enter the first day as a real date, like 2026-03-01",
        },
    )
    date_to = forms.DateField(
        label="To",
        help_text="The last day, included, for example 2026-03-31",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the last day of the period",
            "invalid": "Enter the last day as a real date, like 2026-03-31",
        },
    )
    format = forms.ChoiceField(
        label="Format",
        choices=[("csv", "CSV (opens in a spreadsheet)"), ("json", "JSON (for another system)")],
        widget=forms.RadioSelect,
        initial="csv",
        error_messages={"required": "Choose CSV or JSON"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "form").queryset = ServiceForm.objects.order_by("title")
        today = timezone.localdate()
        self.fields["date_from"].initial = today - timedelta(days=30)
        self.fields["date_to"].initial = today

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The last day must be the same as or after the first day")
            elif (end - start).days >= MAX_EXPORT_DAYS:
                self.add_error("date_to", "Choose a period of a year or less")
        return data
