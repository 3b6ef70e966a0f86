"""The GOV.UK error summary's list for Django forms, written once for every staff and resident page."""

from __future__ import annotations

from django import forms


def error_summary(*forms_: forms.BaseForm | None, form_anchor: str = "") -> list[tuple[str, str]]:
    """(anchor, message) for each error of the bound ``forms_``, in field order, so each line of
    the summary links to the field to fix: a choice list's first option for radios and
    checkboxes. Errors about the whole form link to ``form_anchor`` (e.g. the form's id)."""
    items: list[tuple[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        items += [(form_anchor, str(error)) for error in form.non_field_errors()]
        for name, field in form.fields.items():
            if name in form.errors:
                bound = form[name]
                choices = getattr(field.widget, "input_type", "") in ("radio", "checkbox") and hasattr(
                    field, "choices"
                )
                anchor = bound.auto_id + ("_0" if choices else "")
                items += [(anchor, str(error)) for error in bound.errors]
    return items
