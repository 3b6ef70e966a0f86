"""The question types editors put on a form's steps, and the step itself.

Each question has a *name*: a short, stable key (``item_count``) that conditions and
per-answer fees refer to and that answers are stored under. Publishing turns these
blocks into a plain JSON schema (``schema.py``) that the resident-facing engine reads,
so a published version never depends on the blocks' code or on later edits.
"""

import re

from django.core.exceptions import ValidationError

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from .engine.formats import FORMAT_CHOICES, pattern_error

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

UPLOAD_TYPES = [
    ("pdf", "PDF document"),
    ("jpg", "JPEG photo"),
    ("png", "PNG image"),
    ("heic", "HEIC photo (iPhone)"),
    ("docx", "Word document (.docx)"),
    ("odt", "OpenDocument text (.odt)"),
]

PREFILL_CHOICES = [
    ("", "Nothing"),
    ("full_name", "Full name"),
    ("email", "Email address"),
    ("phone", "Phone number"),
]


class ConditionBlock(blocks.StructBlock):
    """Show a question or a step only when an earlier answer matches."""

    field = blocks.CharBlock(
        required=False,
        max_length=40,
        label="Only show when the answer to",
        help_text="The name of an earlier question, e.g. 'bin_type'. Leave empty to always show.",
    )
    operator = blocks.ChoiceBlock(
        choices=[("equals", "equals"), ("contains", "contains")], default="equals", required=False
    )
    value = blocks.CharBlock(required=False, max_length=200, help_text="e.g. 'Garden waste'")

    class Meta:
        icon = "view"
        collapsed = True
        form_classname = "struct-block condition-block"


def _question_blocks(**extra) -> list[tuple[str, blocks.Block]]:
    return [
        ("label", blocks.CharBlock(max_length=200, help_text="The question, e.g. 'How many items?'")),
        (
            "name",
            blocks.RegexBlock(
                regex=NAME_RE.pattern,
                max_length=40,
                error_messages={"invalid": "Use lower-case letters, digits and underscores, e.g. item_count"},
                help_text="A short key for reports and conditions, e.g. item_count. Keep it once published.",
            ),
        ),
        ("hint", blocks.CharBlock(required=False, max_length=300)),
        ("required", blocks.BooleanBlock(required=False, default=True)),
        *extra.items(),
        (
            "error_message",
            blocks.CharBlock(
                required=False,
                max_length=200,
                label="Error message if not answered (optional)",
                help_text="e.g. 'Enter your vehicle registration'. "
                "Leave empty to make one from the question.",
            ),
        ),
        (
            "error_name",
            blocks.CharBlock(
                required=False,
                max_length=100,
                label="Name of the answer in error messages (optional)",
                help_text="e.g. 'your date of birth' gives 'Your date of birth must be in the past'. "
                "Leave empty to use the question.",
            ),
        ),
        ("condition", ConditionBlock(required=False)),
    ]


class QuestionBlock(blocks.StructBlock):
    field_type = ""

    class Meta:
        icon = "form"


class TextRulesMixin:
    """A custom format needs a pattern that works."""

    def clean(self, value):
        value = super().clean(value)
        if value.get("format") == "custom":
            pattern = value.get("format_pattern") or ""
            problem = pattern_error(pattern) if pattern else "Enter the pattern answers must match"
            if problem:
                raise StructBlockValidationError(block_errors={"format_pattern": ValidationError(problem)})
        return value


class DateLimitBlock(blocks.StructBlock):
    """A date limit relative to the day the resident answers: "6 months ago", "30 days from today"."""

    amount = blocks.IntegerBlock(required=False, min_value=0, max_value=1000, label="Number")
    unit = blocks.ChoiceBlock(
        choices=[("days", "days"), ("months", "months"), ("years", "years")], default="days", required=False
    )
    direction = blocks.ChoiceBlock(
        choices=[("ago", "ago"), ("ahead", "from today")], default="ago", required=False
    )

    class Meta:
        icon = "date"
        form_classname = "struct-block date-limit-block"


def _question(field_type: str, icon: str, label: str, base=(), **extra) -> type[QuestionBlock]:
    meta = type("Meta", (), {"icon": icon, "label": label})
    attrs = dict(_question_blocks(**extra))
    attrs.update({"field_type": field_type, "Meta": meta, "__module__": __name__})
    return type(f"{field_type.title().replace('_', '')}QuestionBlock", (*base, QuestionBlock), attrs)


def _choices_block():
    # Wagtail shows a list's items without a <label>: name each answer's input for screen
    # readers (and axe-core). An attribute of the widget, so the block's definition (and so
    # the migrations) do not change.
    answer = blocks.CharBlock(max_length=200)
    answer.field.widget.attrs["aria-label"] = "Answer option"
    return blocks.ListBlock(answer, min_num=1, help_text="One answer per line.")


TextQuestionBlock = _question(
    "text",
    "pilcrow",
    "Text (one line)",
    base=(TextRulesMixin,),
    prefill=blocks.ChoiceBlock(choices=PREFILL_CHOICES, required=False, help_text="Fill in from the profile"),
    max_length=blocks.IntegerBlock(required=False, min_value=1, max_value=1000),
    format=blocks.ChoiceBlock(
        choices=FORMAT_CHOICES,
        required=False,
        label="Answer format",
        help_text="Check the answer is in this format, e.g. a UK vehicle registration",
    ),
    format_pattern=blocks.CharBlock(
        required=False,
        max_length=200,
        label="Custom pattern",
        help_text="Only for 'Custom pattern': a regular expression the whole answer must match, "
        "e.g. [A-Z]{2}[0-9]{6}",
    ),
    format_description=blocks.CharBlock(
        required=False,
        max_length=200,
        label="Format in words (for the error message)",
        help_text="Follows 'Enter' in the error message, e.g. 'a permit number in the correct format, "
        "like AB123456'. Leave empty for the format's own words.",
    ),
)
LongTextQuestionBlock = _question(
    "long_text",
    "doc-full",
    "Long text",
    max_length=blocks.IntegerBlock(required=False, min_value=1, max_value=10000, default=2000),
)
EmailQuestionBlock = _question(
    "email",
    "mail",
    "Email address",
    prefill=blocks.ChoiceBlock(choices=PREFILL_CHOICES, required=False, default="email"),
)
PhoneQuestionBlock = _question(
    "phone",
    "mobile-alt",
    "UK phone number",
    prefill=blocks.ChoiceBlock(choices=PREFILL_CHOICES, required=False, default="phone"),
)
NumberQuestionBlock = _question(
    "number",
    "order",
    "Number",
    min_value=blocks.DecimalBlock(required=False),
    max_value=blocks.DecimalBlock(required=False),
    whole_number=blocks.BooleanBlock(required=False, default=True),
    suffix=blocks.CharBlock(required=False, max_length=20, help_text="e.g. 'items', 'kg'"),
)
DateQuestionBlock = _question(
    "date",
    "date",
    "Date",
    when=blocks.ChoiceBlock(
        choices=[
            ("any", "Any date"),
            ("past", "Today or in the past"),
            ("past_strict", "In the past (not today)"),
            ("future", "Today or in the future"),
            ("future_strict", "In the future (not today)"),
        ],
        default="any",
    ),
    earliest=DateLimitBlock(
        required=False,
        label="Earliest date (optional)",
        help_text="e.g. 6 months ago, for 'within the last 6 months'",
    ),
    latest=DateLimitBlock(
        required=False,
        label="Latest date (optional)",
        help_text="e.g. 30 days from today, for 'not more than 30 days in the future'",
    ),
    min_days_ahead=blocks.IntegerBlock(
        required=False,
        label="Earliest date, in days from today (optional)",
        help_text="e.g. 2 for bookings; a negative number for days ago",
    ),
    max_days_ahead=blocks.IntegerBlock(
        required=False,
        label="Latest date, in days from today (optional)",
        help_text="A negative number for days ago",
    ),
)
RadiosQuestionBlock = _question("radios", "radio-full", "Choose one (radios)", choices=_choices_block())
CheckboxesQuestionBlock = _question(
    "checkboxes", "tasks", "Choose any (checkboxes)", choices=_choices_block()
)
SelectQuestionBlock = _question("select", "list-ul", "Choose one (drop-down)", choices=_choices_block())
AddressQuestionBlock = _question(
    "address",
    "home",
    "UK address",
    prefill_from_profile=blocks.BooleanBlock(required=False, default=True),
)
FileQuestionBlock = _question(
    "file",
    "doc-full-inverse",
    "File upload",
    allowed_types=blocks.MultipleChoiceBlock(choices=UPLOAD_TYPES, default=["pdf", "jpg", "png"]),
    max_size_mb=blocks.IntegerBlock(min_value=1, max_value=20, default=10),
)
LocationQuestionBlock = _question(
    "location",
    "site",
    "Location",
    ask_coordinates=blocks.BooleanBlock(
        required=False, default=True, help_text="Let people give a map position too (optional for them)"
    ),
)
DeclarationQuestionBlock = _question(
    "declaration",
    "tick-inverse",
    "Declaration",
    statement=blocks.TextBlock(
        help_text="What the person confirms, e.g. 'The information I have given is true'"
    ),
)

QUESTION_BLOCKS: list[tuple[str, type[QuestionBlock]]] = [
    ("text", TextQuestionBlock),
    ("long_text", LongTextQuestionBlock),
    ("email", EmailQuestionBlock),
    ("phone", PhoneQuestionBlock),
    ("number", NumberQuestionBlock),
    ("date", DateQuestionBlock),
    ("radios", RadiosQuestionBlock),
    ("checkboxes", CheckboxesQuestionBlock),
    ("select", SelectQuestionBlock),
    ("address", AddressQuestionBlock),
    ("file", FileQuestionBlock),
    ("location", LocationQuestionBlock),
    ("declaration", DeclarationQuestionBlock),
]


class StepBlock(blocks.StructBlock):
    """One page of the form. GOV.UK pattern: one question, or a few closely related ones."""

    title = blocks.CharBlock(max_length=200, help_text="The page heading, often the question itself")
    intro = blocks.TextBlock(required=False, help_text="Optional guidance above the questions")
    questions = blocks.StreamBlock([(name, block()) for name, block in QUESTION_BLOCKS], min_num=1)
    condition = ConditionBlock(required=False, label="Only show this step when")

    class Meta:
        icon = "list-ol"
        label = "Step"
