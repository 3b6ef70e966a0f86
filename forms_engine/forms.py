"""The forms editor's own form (Wagtail admin): plain labels, money in pounds, a chooser for
the fee question, and the key that makes saving from the add page safe to repeat.

``ServiceFormAdminForm`` is the base form of the "Forms" snippet editor (``admin_views``).
Amounts stay in pence in the database; editors only ever see and type pounds.
"""

import uuid

from django import forms
from django.core.exceptions import ValidationError

from wagtail.admin.forms import WagtailAdminModelForm

from portal.lib.money import pence_from_pounds, pounds, pounds_value

FEE_FORMAT_ERROR = "Enter the fee in pounds and pence, like 85 or 85.50"
MAX_FEE_PENCE = 10_000_000  # £100,000: far above any council fee; catches a slip of the keyboard
# What the parser reads at all (nine digits of pounds); ``MAX_FEE_PENCE`` is the rule editors see.
_MAX_TYPED_POUNDS = 999_999_999


def pence_from_pounds_text(text: str) -> int:
    """A fee typed in pounds, in pence (``portal.lib.money.pence_from_pounds``).

    Raises ``ValidationError`` with ``FEE_FORMAT_ERROR`` (the fee's own words) for anything
    the parser refuses.
    """
    try:
        return pence_from_pounds(text, max_pounds=_MAX_TYPED_POUNDS)
    except ValueError as exc:
        raise ValidationError(FEE_FORMAT_ERROR, code="invalid") from exc


class PoundsField(forms.CharField):
    """An amount typed in pounds and pence; cleans to whole pence (``85.50`` -> ``8550``).

    The stored pence are shown back in pounds (``8500`` -> ``85.00``); what was typed is shown
    back as typed when the form has errors, so nothing the editor entered is lost.
    """

    default_error_messages = {"invalid": FEE_FORMAT_ERROR}

    def __init__(self, *, max_pence: int = MAX_FEE_PENCE, **kwargs):
        self.max_pence = max_pence
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "size": 10})
        )
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return pounds_value(value)
        return value

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # already pence (an initial value)
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        return pence_from_pounds_text(text)

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= 0:
            raise ValidationError("Enter a fee of more than £0, or choose “No fee”", code="min_value")
        if value is not None and value > self.max_pence:
            raise ValidationError(f"Enter a fee of {pounds(self.max_pence)} or less", code="max_value")

    def run_validators(self, value):
        # The CharField's max_length validator would measure pence; the typed text was checked.
        return None


def number_questions(steps) -> list[tuple[str, str]]:
    """``(name, label)`` of every number question in ``steps`` (a form's StreamField value)."""
    found = []
    for step in steps or []:
        for question in step.value.get("questions") or []:
            if question.block_type == "number" and question.value.get("name"):
                found.append((question.value["name"], question.value.get("label") or question.value["name"]))
    return found


def fee_question_choices(steps, current: str = "") -> list[tuple[str, str]]:
    """The fee question chooser's options: the form's number questions by their label.

    A saved choice that is no longer a number question stays listed (marked), so the editor
    sees what it was and the form's own check says what to fix.
    """
    questions = number_questions(steps)
    labels = [label for _, label in questions]
    choices = [("", "Choose a number question")]
    for name, label in questions:
        # Two questions with the same wording are told apart by their short name.
        choices.append((name, f"{label} ({name})" if labels.count(label) > 1 else label))
    if current and current not in {name for name, _ in questions}:
        choices.append((current, f"{current} (not a number question on this form)"))
    return choices


class ServiceFormAdminForm(WagtailAdminModelForm):
    """The editor's form for a ServiceForm (the fields and their order come from its panels)."""

    fee_amount_pence = PoundsField(
        label="Fee (£)",
        required=False,
        help_text="In pounds and pence, like 85 or 85.50: the fixed fee, or the amount for each item.",
    )
    fee_field = forms.CharField(
        label="Fee counted from",
        required=False,
        max_length=40,
        widget=forms.Select,
        help_text=(
            "For a fee per item: the number question that says how many items. "
            "Only number questions on this form are listed; add one to a step first."
        ),
    )
    # Sent with every save from the add page, so a repeated save finds the form it made.
    creation_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "creation_key" in self.fields and not self.instance.pk and not self.is_bound:
            self.initial["creation_key"] = self.instance.creation_key or uuid.uuid4()
        if "fee_field" in self.fields:
            current = (
                self.data.get(self.add_prefix("fee_field"), "") if self.is_bound else self.instance.fee_field
            )
            self._fee_choices(self.instance.steps, current)

    def _fee_choices(self, steps, current: str) -> None:
        self.fields["fee_field"].widget.choices = fee_question_choices(steps, current or "")

    def clean(self):
        cleaned = super().clean()
        if "fee_field" in self.fields and cleaned.get("steps") is not None:
            # List the questions as they are now, with the steps just edited.
            self._fee_choices(cleaned["steps"], cleaned.get("fee_field") or "")
        if not self.instance.pk and cleaned.get("creation_key"):
            self.instance.creation_key = cleaned["creation_key"]
        return cleaned
