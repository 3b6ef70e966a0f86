"""Forms that shape what residents and staff type about a case; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from wagtail.admin.forms import WagtailAdminModelForm

from accounts.constants import SupportNeed
from portal.lib.uploads import UploadLimits, upload_check

from ..constants import MESSAGE_REQUIRED_FOR, STAFF_LABELS, SUPPORT_NEED_STAFF_CHOICES, CaseStatus
from ..models import Team
from ..permissions import CASE_OFFICERS, SERVICE_MANAGERS

MESSAGE_MAX_LENGTH = 5000
ATTACHMENT_TYPES = ["pdf", "jpg", "png", "heic", "docx"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MAX_FILES = 5
# What one message may carry, checked before the request body is read (portal.lib.uploads).
ATTACHMENT_LIMITS = UploadLimits(file_bytes=ATTACHMENT_MAX_BYTES, files=ATTACHMENT_MAX_FILES)


def _upload_check(upload) -> tuple[str, str]:
    """(content type, extension) of an attachment from its content, or a GOV.UK-style error.

    The same check as files on online forms, so a file accepted on a form is accepted here too.
    """
    return upload_check(upload, allowed_types=ATTACHMENT_TYPES, max_bytes=ATTACHMENT_MAX_BYTES)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > ATTACHMENT_MAX_FILES:
            raise ValidationError(f"Select up to {ATTACHMENT_MAX_FILES} files")
        checked = []
        errors = []
        for upload in files:
            try:
                upload.checked_content_type, upload.checked_extension = _upload_check(upload)
            except ValidationError as error:
                # Several files can be sent at once: say which one each error is about.
                name = upload.name or "The selected file"
                errors.extend(message.replace("The selected file", name, 1) for message in error.messages)
                continue
            checked.append(upload)
        if errors:
            raise ValidationError(errors)
        return checked


def _message_field(label: str, required_message: str, *, hint: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": required_message,
            "max_length": f"Your message must be {MESSAGE_MAX_LENGTH} characters or fewer",
        },
    )


class MessageForm(forms.Form):
    """A resident's message or reply, with optional files."""

    message = _message_field("Your message", "Enter your message")
    files = AttachmentsField(
        label="Attach files (optional)",
        required=False,
        help_text=f"Up to {ATTACHMENT_MAX_FILES} files: PDF, JPG, PNG, HEIC or DOCX, each smaller than 10MB. "
        "If there is a problem with your message, you will need to select the files again.",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing your request? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Your reason must be 1000 characters or fewer"},
    )


class TrackMessageForm(forms.Form):
    """A message on an anonymous request, from its tracking page (no attachments)."""

    message = _message_field("Your message", "Enter your message")


class ReopenForm(forms.Form):
    reason = _message_field(
        "What was not fixed?",
        "Enter what was not fixed",
        hint="Tell us what is still wrong so the officer can put it right.",
    )


class ReviewForm(forms.Form):
    """Asking for a review of a decision to close a request without action."""

    reason = _message_field(
        "Why should we look at this again?",
        "Enter why you are asking for a review",
        hint="Tell us what you think we got wrong, or anything we did not know. An officer will look "
        "at your request again.",
    )


def reopen_form_class(case) -> type[forms.Form]:
    """The form a resident uses to reply to a decision: a review of a rejection, or a reopening."""
    return ReviewForm if case.is_rejected else ReopenForm


# --- Staff ---------------------------------------------------------------------------------


class FastSelect(forms.Select):
    """A select rendered in Python rather than one template per option.

    The queue shows several long lists (officers, teams, services) on every load; Django's
    per-option templates made them most of the page's time. Same markup, no JavaScript.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
        options = []
        for group, choices, _ in self.optgroups(name, [str(v) for v in selected], attrs):
            rows = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (
                        o["value"] if o["value"] is not None else "",
                        " selected" if o["selected"] else "",
                        o["label"],
                    )
                    for o in choices
                ),
            )
            options.append(format_html('<optgroup label="{}">{}</optgroup>', group, rows) if group else rows)
        return format_html(
            "<select{}>{}</select>", flatatt(final), format_html_join("", "{}", ((o,) for o in options))
        )


class StaffForm(forms.Form):
    """Staff forms render with plain widgets: the Wagtail admin styles them, not GOV.UK classes."""

    default_renderer = DjangoTemplates


class StatusForm(StaffForm):
    to = forms.ChoiceField(
        label="New status",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the new status", "invalid_choice": "Choose the new status"},
    )
    message = forms.CharField(
        label="Message to the resident",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        help_text="Required when asking for information, resolving or rejecting: the resident sees it "
        "on their case and in the email we send them.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, moves: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(m, STAFF_LABELS[CaseStatus(m)]) for m in moves]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("to") in MESSAGE_REQUIRED_FOR and not cleaned.get("message", "").strip():
            self.add_error("message", "Enter a message to the resident explaining the change")
        return cleaned


class NoteForm(StaffForm):
    message = forms.CharField(
        label="Internal note",
        help_text="Only staff see notes. The resident is not told.",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the note"},
    )


class OfficerMessageForm(StaffForm):
    message = forms.CharField(
        label="Message to the resident",
        help_text="The resident sees this on their case and we email it to them.",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the message to the resident"},
    )


class SupportNeedsStaffForm(StaffForm):
    """The support needs an officer heard about: the same choices residents have on their profile."""

    needs = forms.MultipleChoiceField(
        label="What extra support does the person need?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Clear them all, and the details, to remove the record.",
        error_messages={"invalid_choice": "Select the support from the list"},
    )
    language = forms.CharField(
        label="If they need an interpreter, which language?",
        required=False,
        max_length=100,
        help_text="For example, Polish or Urdu",
        error_messages={"max_length": "The language must be 100 characters or fewer"},
    )
    details = forms.CharField(
        label="Details (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, the name of the person who acts for them, or the best time to call. "
        "Write only what officers need to help them.",
        error_messages={"max_length": "The details must be 1000 characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = SUPPORT_NEED_STAFF_CHOICES

    def clean(self):
        cleaned = super().clean()
        if SupportNeed.INTERPRETER in cleaned.get("needs", []) and not cleaned.get("language", "").strip():
            self.add_error("language", "Enter the language they need an interpreter for")
        return cleaned


def case_workers():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name__in=[CASE_OFFICERS, SERVICE_MANAGERS])
        .distinct()
        .order_by("full_name", "email")
    )


class BulkForm(StaffForm):
    """What to do with the cases ticked in the queue."""

    ACTIONS = [("assign", "Assign"), ("status", "Change status")]
    action = forms.ChoiceField(
        label="Action",
        choices=ACTIONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to do with the selected cases"},
    )
    assignee = forms.ModelChoiceField(
        label="Officer",
        queryset=None,
        required=False,
        empty_label="Keep the current officer",
        widget=FastSelect,
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.all(),
        required=False,
        empty_label="Keep the current team",
        widget=FastSelect,
    )
    to = forms.ChoiceField(
        label="New status",
        required=False,
        widget=FastSelect,
        choices=[("", "Choose a status")] + [(s.value, STAFF_LABELS[s]) for s in CaseStatus],
    )
    message = forms.CharField(
        label="Message to the residents",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when asking for information, resolving or rejecting.",
    )
    cases = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": "Select at least one case",
            "invalid_choice": "Select cases from the list",
        },
    )

    def __init__(self, *args, cases_queryset, **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")  # the queue's filters use the same field names
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = case_workers()
        self.fields["cases"].queryset = cases_queryset

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "assign" and not cleaned.get("assignee") and not cleaned.get("team"):
            self.add_error("assignee", "Choose an officer or a team to assign the cases to")
        if action == "status" and not cleaned.get("to"):
            self.add_error("to", "Choose the new status")
        if action == "status" and cleaned.get("to") in MESSAGE_REQUIRED_FOR and not cleaned.get("message"):
            self.add_error("message", "Enter a message to the residents explaining the change")
        return cleaned


class TeamForm(WagtailAdminModelForm):
    """A team and its officers: only staff who work cases can be members."""

    class Meta:
        model = Team
        fields = ["name", "email", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = case_workers()
        self.fields["members"].help_text = "Case officers in this team see and work its cases."
