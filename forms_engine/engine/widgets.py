"""The engine's own widgets: the GOV.UK date input as three boxes."""

from django import forms

from .parsing import clean_text


class DatePartsWidget(forms.Widget):
    """Three boxes named ``<name>-day``, ``<name>-month`` and ``<name>-year`` (GOV.UK date input)."""

    parts = ("day", "month", "year")

    def value_from_datadict(self, data, files, name):
        return {part: clean_text(data.get(f"{name}-{part}", "")) for part in self.parts}

    def value_omitted_from_data(self, data, files, name):
        return all(f"{name}-{part}" not in data for part in self.parts)
