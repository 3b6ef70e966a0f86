"""Forms of the *Text messages to triage* screens: add to a case, reply by text, record a contact."""

from django import forms

from portal.cases.constants import STAFF_LABELS
from portal.interactions.constants import AvoidableCategory
from portal.interactions.models import ContactTeam, LgilInteractionType
from portal.notifications.inbound import REPLY_MAX_CHARACTERS

from .contacts import (
    NOTES_MAX_LENGTH,
    WIDTH,
    _yes_no_field,
    assisted_contact_service_choices,
    handled_by_default,
)


class TextToCaseForm(forms.Form):
    """Which of the sender's open requests the text is about."""

    case = forms.TypedChoiceField(
        label="Which request is the text about?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the request", "invalid_choice": "Choose the request"},
    )

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = {case.pk: case for case in cases}
        self.fields["case"].choices = [
            (
                case.pk,
                f"{case.reference}: {case.title} ({STAFF_LABELS.get(case.status, case.status).lower()})",
            )
            for case in cases
        ]

    @property
    def chosen_case(self):
        return self.cases.get(self.cleaned_data["case"])


class TextReplyForm(forms.Form):
    message = forms.CharField(
        label="Your reply",
        help_text="Sent by text to the number the message came from, up to "
        f"{REPLY_MAX_CHARACTERS} characters. The council's name is added at the end.",
        max_length=REPLY_MAX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter your reply",
            "max_length": f"Your reply must be {REPLY_MAX_CHARACTERS} characters or fewer",
        },
    )


class TextContactForm(forms.Form):
    """The text recorded as an inbound contact (channel SMS), as the contact measures count it."""

    handled_by = forms.ModelChoiceField(
        label="Handled by",
        help_text="The team or contact centre that dealt with the text.",
        queryset=ContactTeam.objects.none(),
        empty_label="Choose a team",
        required=False,
    )
    service_code = forms.TypedChoiceField(
        label="Service",
        coerce=int,
        widget=forms.Select(attrs={"style": WIDTH}),
        error_messages={"required": "Choose the service", "invalid_choice": "Choose the service"},
    )
    reason_code = forms.TypedChoiceField(
        label="Reason for contact",
        coerce=str,
        error_messages={
            "required": "Choose the reason for the contact",
            "invalid_choice": "Choose the reason for the contact",
        },
    )
    avoidable = _yes_no_field("Was the contact avoidable?", "Choose whether the contact was avoidable")
    avoidable_category = forms.ChoiceField(
        label="Why was it avoidable?",
        choices=AvoidableCategory.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose why the contact was avoidable"},
    )
    resolved_first_contact = _yes_no_field(
        "Was it resolved at first contact?", "Choose whether the contact was resolved at first contact"
    )
    notes = forms.CharField(
        label="Notes (optional)",
        help_text=f"A few words for colleagues, up to {NOTES_MAX_LENGTH} characters.",
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Notes must be {NOTES_MAX_LENGTH} characters or fewer"},
    )

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handled_by"].queryset = ContactTeam.objects.filter(active=True)
        if not self.is_bound:
            self.initial.setdefault("handled_by", handled_by_default(for_user))
        self.fields["service_code"].choices = assisted_contact_service_choices()
        self.fields["reason_code"].choices = [("", "Choose a reason")] + [
            (str(reason.code), reason.label) for reason in LgilInteractionType.objects.all()
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("avoidable") and not cleaned.get("avoidable_category"):
            self.add_error("avoidable_category", "Choose why the contact was avoidable")
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "service_code": data["service_code"],
            "reason_code": data["reason_code"],
            "avoidable": data["avoidable"],
            "avoidable_category": data["avoidable_category"] if data["avoidable"] else "",
            "resolved_first_contact": data["resolved_first_contact"],
            "notes": data["notes"].strip(),
            "handled_by": data.get("handled_by"),
        }
