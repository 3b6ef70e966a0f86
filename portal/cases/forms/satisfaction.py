"""The outcome question as residents answer it online, and as staff record it after a call."""

from django import forms

from portal.interactions.constants import (
    SATISFACTION_COMMENT_MAX_LENGTH,
    SATISFACTION_QUESTION,
    SatisfactionScore,
)

SCORE_MESSAGE = "Select how satisfied you are with the outcome"


def _comment_field(label: str, hint: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        required=False,
        max_length=SATISFACTION_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": f"Your comment must be {SATISFACTION_COMMENT_MAX_LENGTH} characters or fewer"
        },
    )


class SatisfactionForm(forms.Form):
    """The outcome question with an optional comment."""

    score = forms.TypedChoiceField(
        label=SATISFACTION_QUESTION,
        choices=SatisfactionScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": SCORE_MESSAGE, "invalid_choice": SCORE_MESSAGE},
    )
    comment = _comment_field(
        "Tell us more (optional)",
        "What went well, or what could we have done better? We read every comment, but we cannot "
        "reply to it. To tell us a problem was not fixed, reopen your request or contact us.",
    )
