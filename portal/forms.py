"""GOV.UK Frontend markup for every Django form in the portal, allauth's included."""

from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

_INPUT_CLASSES = {
    "text": "govuk-input",
    "email": "govuk-input",
    "password": "govuk-input govuk-password-input__input govuk-js-password-input-input",
    "number": "govuk-input",
    "url": "govuk-input",
    "tel": "govuk-input",
    "date": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "checkbox": "govuk-checkboxes__input",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


class GovukBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        # GOV.UK: labels and hints carry the meaning; placeholders vanish as you type.
        attrs.pop("placeholder", None)
        (widget or self.field.widget).attrs.pop("placeholder", None)
        base = _INPUT_CLASSES.get(self.widget_type)
        if base:
            own = (widget or self.field.widget).attrs.get("class", "")
            classes = [base, *own.split(), *attrs.get("class", "").split()]
            first = base.split()[0]
            if self.errors and first in _ERROR_CLASSES:
                classes.append(_ERROR_CLASSES[first])
            attrs["class"] = " ".join(dict.fromkeys(c for c in classes if c))
        return attrs


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "components/forms/form.html"
    field_template_name = "components/forms/field.html"
    bound_field_class = GovukBoundField
