from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

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
