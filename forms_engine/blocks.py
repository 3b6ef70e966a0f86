"""The question types editors put on a form's steps, and the step itself.

Each question has a *name*: a short, stable key (``item_count``) that conditions and
per-answer fees refer to and that answers are stored under. Publishing turns these
blocks into a plain JSON schema (``schema.py``) that the resident-facing engine reads,
so a published version never depends on the blocks' code or on later edits.
"""

import re

from wagtail import blocks

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
        ("condition", ConditionBlock(required=False)),
    ]


class QuestionBlock(blocks.StructBlock):
    field_type = ""

    class Meta:
        icon = "form"


def _question(field_type: str, icon: str, label: str, **extra) -> type[QuestionBlock]:
    meta = type("Meta", (), {"icon": icon, "label": label})
    attrs = dict(_question_blocks(**extra))
    attrs.update({"field_type": field_type, "Meta": meta, "__module__": __name__})
    return type(f"{field_type.title().replace('_', '')}QuestionBlock", (QuestionBlock,), attrs)


def _choices_block():
    return blocks.ListBlock(blocks.CharBlock(max_length=200), min_num=1, help_text="One answer per line.")


TextQuestionBlock = _question(
    "text",
    "pilcrow",
    "Text (one line)",
    prefill=blocks.ChoiceBlock(choices=PREFILL_CHOICES, required=False, help_text="Fill in from the profile"),
    max_length=blocks.IntegerBlock(required=False, min_value=1, max_value=1000),
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
        choices=[("any", "Any date"), ("past", "Today or in the past"), ("future", "Today or in the future")],
        default="any",
    ),
    min_days_ahead=blocks.IntegerBlock(
        required=False, help_text="Earliest date, in days from today (e.g. 2 for bookings)"
    ),
    max_days_ahead=blocks.IntegerBlock(required=False, help_text="Latest date, in days from today"),
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
