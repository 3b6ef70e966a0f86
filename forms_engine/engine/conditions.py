"""Conditions that show or hide steps and questions, and answers as one line of text.

A condition is ``{"field", "operator": "equals"|"contains", "value"}``. A hidden question is
never required and its answer is never kept (``Flow.prune``).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from .parsing import normalise


def answer_text(value: Any) -> str:
    """An answer as one line of text, for conditions and exports."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def condition_met(condition: dict | None, answers: dict) -> bool:
    """Whether a question or step with ``condition`` is shown, given the answers so far.

    ``equals`` compares whole answers, ignoring case and extra spaces (and as numbers when
    both are numbers); for a checkbox answer it means "this box was ticked". ``contains``
    looks for the value inside the answer (or inside any ticked box's text). A question
    not answered (or hidden) matches nothing.
    """
    if not condition or not condition.get("field"):
        return True
    answer = answers.get(condition["field"])
    if answer in (None, "", [], {}):
        return False
    wanted = normalise(condition.get("value") or "")
    contains = condition.get("operator") == "contains"
    if isinstance(answer, list):
        items = [normalise(item) for item in answer]
        return any(wanted in item for item in items) if contains else wanted in items
    text = normalise(answer_text(answer))
    if contains:
        return wanted in text
    if text == wanted:
        return True
    try:
        return Decimal(text) == Decimal(wanted)
    except (InvalidOperation, ValueError):
        return False


def condition_text(condition: dict | None, source: dict | None = None) -> str:
    """A condition in words, e.g. "Only if the answer to ‘Bin type’ is ‘Garden waste’"."""
    if not condition:
        return ""
    label = source["label"] if source else condition["field"]
    verb = "includes" if condition.get("operator") == "contains" else "is"
    return f"Only if the answer to ‘{label}’ {verb} ‘{condition.get('value', '')}’"
