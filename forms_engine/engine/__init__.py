"""The resident-facing engine: a FormVersion's JSON schema (``schema.py``) as Django forms.

One ``StepForm`` per step (``step_form.py``); one handler per question type
(``question_types.py``) on top of thin fields and widgets (``fields.py``, ``widgets.py``);
conditions that hide steps and questions (``conditions.py``); the order of steps for one
resident (``flow.py``); and the fee the answers owe (``fees.py``). ``parsing.py`` reads
what was typed. Other modules import from here, not from the files.
"""

from .api import ApiAnswerErrors, api_step_data
from .conditions import answer_text, condition_met, condition_text
from .fees import fee_pence, fee_quantity
from .flow import CONTACT_FIELD, CONTACT_STEP, CONTACT_STEP_ID, Flow
from .question_types import (
    HANDLERS,
    FieldErrors,
    Handler,
    PendingUpload,
    answer_display,
    handler_for,
    media_answer,
)
from .step_form import FIELDSET_TYPES, StepForm, step_data

__all__ = [
    "ApiAnswerErrors",
    "CONTACT_FIELD",
    "CONTACT_STEP",
    "CONTACT_STEP_ID",
    "FIELDSET_TYPES",
    "HANDLERS",
    "FieldErrors",
    "Flow",
    "Handler",
    "PendingUpload",
    "StepForm",
    "answer_display",
    "api_step_data",
    "answer_text",
    "condition_met",
    "condition_text",
    "fee_pence",
    "fee_quantity",
    "handler_for",
    "media_answer",
    "step_data",
]
