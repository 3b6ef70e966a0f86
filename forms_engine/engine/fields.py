"""Django fields for the step form: thin holders for what was typed.

All validation happens in the question types (``question_types.py``), so every type has the
same rules for "required", conditions and messages.
"""

from django import forms

from .parsing import clean_text
from .widgets import DatePartsWidget


class TextField(forms.Field):
    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}) if multiline else forms.TextInput)
        super().__init__(**kwargs)

    def to_python(self, value):
        return clean_text(value, multiline=self.multiline)


class ListField(forms.Field):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [clean_text(item) for item in value if clean_text(item)]


class DatePartsField(forms.Field):
    widget = DatePartsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not isinstance(value, dict):
            return {"day": "", "month": "", "year": ""}
        return {part: clean_text(value.get(part, "")) for part in DatePartsWidget.parts}


class BooleanField(forms.BooleanField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class UploadField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "The selected file could not be read: choose it again",
                "missing": "The selected file could not be read: choose it again",
                "empty": "The selected file is empty",
                "contradiction": "Choose a file, or remove the one you uploaded",
            },
        )
        super().__init__(**kwargs)

    def to_python(self, data):
        if data in self.empty_values or isinstance(data, str | list | dict):
            return None
        return super().to_python(data)
