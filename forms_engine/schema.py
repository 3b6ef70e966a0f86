"""A form definition as plain JSON: what a FormVersion freezes and what the engine reads.

Shape::

    {"slug", "title", "service_code", "intro", "sign_in",
     "fee": {"type", "amount_pence", "field", "description", "vat"},
     "case": {"creates_case", "reference_prefix", "team_id", "sla_working_days",
              "confirmation_text", "next_steps"},
     "steps": [{"id", "title", "intro", "condition",
                "questions": [{"id", "type", "name", "label", "hint", "required",
                               "condition", "options": {...}}]}]}

``condition`` is ``None`` or ``{"field": name, "operator": "equals"|"contains", "value": str}``.
``options`` holds the type's own settings (choices, min/max, allowed types...).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

COMMON_KEYS = {"label", "name", "hint", "required", "condition"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):  # lists, ListBlock values
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _condition(value) -> dict | None:
    if not value or not value.get("field"):
        return None
    return {
        "field": value["field"],
        "operator": value.get("operator") or "equals",
        "value": value.get("value") or "",
    }


def schema_build(form) -> dict:
    """The JSON schema of ``form`` as it stands (the caller decides which revision)."""
    steps = []
    for step in form.steps:
        questions = []
        for question in step.value["questions"]:
            value = question.value
            questions.append(
                {
                    "id": question.id,
                    "type": question.block_type,
                    "name": value["name"],
                    "label": value["label"],
                    "hint": value.get("hint") or "",
                    "required": bool(value.get("required")),
                    "condition": _condition(value.get("condition")),
                    "options": {k: _plain(v) for k, v in value.items() if k not in COMMON_KEYS},
                }
            )
        steps.append(
            {
                "id": step.id,
                "title": step.value["title"],
                "intro": step.value.get("intro") or "",
                "condition": _condition(step.value.get("condition")),
                "questions": questions,
            }
        )
    return {
        "slug": form.slug,
        "title": form.title,
        "service_code": form.service_id,
        "intro": form.intro,
        "sign_in": form.sign_in,
        "fee": {
            "type": form.fee_type,
            "amount_pence": form.fee_amount_pence or 0,
            "field": form.fee_field,
            "description": form.fee_description or form.title,
            "vat": form.fee_vat,
        },
        "case": {
            "creates_case": form.creates_case,
            "reference_prefix": form.reference_prefix,
            "team_id": form.team_id,
            "sla_working_days": form.sla_working_days,
            "confirmation_text": form.confirmation_text,
            "next_steps": form.next_steps,
        },
        "steps": steps,
    }


def schema_errors(form) -> dict[str, str]:
    """Problems an editor must fix before saving: duplicate names, conditions and fees
    pointing at questions that do not exist earlier in the form."""
    errors: dict[str, str] = {}
    seen: dict[str, str] = {}
    problems: list[str] = []
    for step in form.steps:
        condition = _condition(step.value.get("condition"))
        if condition and condition["field"] not in seen:
            problems.append(
                f"Step '{step.value['title']}' depends on '{condition['field']}', "
                "which is not a question on an earlier step"
            )
        for question in step.value["questions"]:
            name = question.value["name"]
            condition = _condition(question.value.get("condition"))
            if condition and condition["field"] not in seen:
                problems.append(
                    f"'{question.value['label']}' depends on '{condition['field']}', "
                    "which is not an earlier question"
                )
            if name in seen:
                problems.append(f"Two questions are named '{name}': give each question its own name")
            seen[name] = question.block_type
    if problems:
        errors["steps"] = "; ".join(problems)
    if form.fee_type == "per_answer":
        if not form.fee_field:
            errors["fee_field"] = "Choose the number question the fee is counted from"
        elif seen.get(form.fee_field) != "number":
            errors["fee_field"] = f"'{form.fee_field}' is not a number question on this form"
    if form.fee_type != "none" and not form.fee_amount_pence:
        errors["fee_amount_pence"] = "Enter the fee in pounds and pence, like 85 or 85.50"
    return errors
