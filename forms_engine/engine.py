"""The resident-facing engine: a FormVersion's JSON schema (``schema.py``) as Django forms.

One ``StepForm`` per step. Every question type has a handler that says which Django
fields it needs (an address is four inputs, a date three), how to turn what was typed
into the answer that is stored (plain JSON), how to turn a stored answer back into what
the inputs show, and how to display it on "Check your answers".

Validation is deliberately forgiving about format and strict about meaning: spaces in
phone numbers and postcodes, "Jan" for a month or "1,000" for a number are fine; a
date that does not exist is not. Every problem is a field error with a GOV.UK-style
message, never an exception, and the inputs always keep what the person typed.

Conditions (``{"field", "operator": "equals"|"contains", "value"}``) hide steps and
questions. A hidden question is never required and its answer is never kept
(``Flow.prune``). A question whose condition depends on another question on the *same*
step is shown with a note (the page works without JavaScript) and checked against what
was sent with it.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from accounts.validation import phone_display, phone_normalise, postcode_normalise

from .uploads import types_text, upload_check

# The reference goes to this address when nobody is signed in and the form asks no email question.
CONTACT_STEP_ID = "contact-email"
CONTACT_FIELD = "_contact_email"
CONTACT_STEP = {
    "id": CONTACT_STEP_ID,
    "title": "Your email address",
    "intro": "",
    "condition": None,
    "questions": [
        {
            "id": "contact-email-question",
            "type": "email",
            "name": CONTACT_FIELD,
            "label": "Email address",
            "hint": "We will send your reference number, and updates about your request, to this address.",
            "required": True,
            "condition": None,
            "options": {"prefill": "email"},
        }
    ],
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"^[0-9]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
NUMBER_LIMIT = Decimal("1000000000000")
TEXT_MAX = 1000
LONG_TEXT_MAX = 10000

MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    MONTHS[calendar.month_name[_number].lower()] = _number
    MONTHS[calendar.month_abbr[_number].lower()] = _number
MONTHS["sept"] = 9
del _number


def _text(value: Any, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    value = _CONTROL.sub("", str(value))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


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
    wanted = _norm(condition.get("value") or "")
    contains = condition.get("operator") == "contains"
    if isinstance(answer, list):
        items = [_norm(item) for item in answer]
        return any(wanted in item for item in items) if contains else wanted in items
    text = _norm(answer_text(answer))
    if contains:
        return wanted in text
    if text == wanted:
        return True
    try:
        return Decimal(text) == Decimal(wanted)
    except (InvalidOperation, ValueError):
        return False


# Fields: thin holders for what was typed. All validation happens in the handlers below,
# so every type has the same rules for "required", conditions and messages.


class TextField(forms.Field):
    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}) if multiline else forms.TextInput)
        super().__init__(**kwargs)

    def to_python(self, value):
        return _text(value, multiline=self.multiline)


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
        return [_text(item) for item in value if _text(item)]


class DatePartsWidget(forms.Widget):
    """Three boxes named ``<name>-day``, ``<name>-month`` and ``<name>-year`` (GOV.UK date input)."""

    parts = ("day", "month", "year")

    def value_from_datadict(self, data, files, name):
        return {part: _text(data.get(f"{name}-{part}", "")) for part in self.parts}

    def value_omitted_from_data(self, data, files, name):
        return all(f"{name}-{part}" not in data for part in self.parts)


class DatePartsField(forms.Field):
    widget = DatePartsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not isinstance(value, dict):
            return {"day": "", "month": "", "year": ""}
        return {part: _text(value.get(part, "")) for part in DatePartsWidget.parts}


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


class FieldErrors(Exception):
    """Errors for one question, keyed by Django field name."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class PendingUpload:
    """A new file that passed its checks; the view stores it and records its id as the answer."""

    file: Any
    content_type: str
    extension: str


# Handlers, one per question type.


class Handler:
    required_message = "Enter an answer"

    def field_names(self, q: dict) -> list[str]:
        return [q["name"]]

    def fields(self, q: dict) -> dict[str, forms.Field]:
        return {q["name"]: TextField()}

    def initial(self, q: dict, value: Any) -> dict[str, Any]:
        return {q["name"]: value}

    def prefill(self, q: dict, profile: dict) -> dict[str, Any]:
        key = (q.get("options") or {}).get("prefill") or ""
        if key and profile.get(key):
            value = phone_display(profile[key]) if key == "phone" else profile[key]
            return {q["name"]: value}
        return {}

    def clean(self, q: dict, values: dict, form: "StepForm") -> Any:
        return values.get(q["name"]) or None

    def display(self, q: dict, value: Any, uploads: dict | None = None) -> str:
        return answer_text(value)


def _error(q: dict, message: str, field: str | None = None) -> FieldErrors:
    return FieldErrors({field or q["name"]: message})


class TextHandler(Handler):
    multiline = False
    default_max = TEXT_MAX

    def max_length(self, q: dict) -> int:
        wanted = (q.get("options") or {}).get("max_length")
        try:
            wanted = int(wanted) if wanted not in (None, "") else self.default_max
        except (TypeError, ValueError):
            wanted = self.default_max
        return max(1, min(wanted, LONG_TEXT_MAX))

    def fields(self, q):
        return {q["name"]: TextField(multiline=self.multiline)}

    def clean(self, q, values, form):
        value = values.get(q["name"]) or ""
        limit = self.max_length(q)
        if len(value) > limit:
            raise _error(q, f"Your answer must be {limit:,} characters or fewer")
        return value or None


class LongTextHandler(TextHandler):
    multiline = True
    default_max = 2000

    def fields(self, q):
        widget = forms.Textarea(attrs={"rows": 5, "class": "govuk-js-character-count"})
        return {q["name"]: TextField(multiline=True, widget=widget)}


class EmailHandler(Handler):
    required_message = "Enter an email address"

    def fields(self, q):
        return {
            q["name"]: TextField(
                widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"})
            )
        }

    def clean(self, q, values, form):
        value = values.get(q["name"]) or ""
        if not value:
            return None
        try:
            if len(value) > 254:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            raise _error(q, "Enter an email address in the correct format, like name@example.com") from None
        return value


class PhoneHandler(Handler):
    required_message = "Enter a phone number"
    invalid = "Enter a UK phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"

    def fields(self, q):
        return {
            q["name"]: TextField(
                widget=forms.TextInput(
                    attrs={"type": "tel", "autocomplete": "tel", "class": "govuk-input--width-20"}
                )
            )
        }

    def clean(self, q, values, form):
        value = values.get(q["name"]) or ""
        if not value:
            return None
        if len(value) > 30:
            raise _error(q, self.invalid)
        try:
            number = phone_normalise(value)
        except ValidationError:
            raise _error(q, self.invalid) from None
        if not number.startswith("0"):
            raise _error(q, self.invalid)
        return number

    def display(self, q, value, uploads=None):
        return phone_display(value)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _number_text(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class NumberHandler(Handler):
    required_message = "Enter a number"

    def fields(self, q):
        css = (
            "govuk-input--width-5"
            if (q.get("options") or {}).get("whole_number", True)
            else "govuk-input--width-10"
        )
        return {q["name"]: TextField(widget=forms.TextInput(attrs={"inputmode": "decimal", "class": css}))}

    def clean(self, q, values, form):
        raw = (values.get(q["name"]) or "").replace(",", "").replace(" ", "")
        if not raw:
            return None
        options = q.get("options") or {}
        whole = options.get("whole_number", True)
        example = "like 3" if whole else "like 3 or 12.5"
        if len(raw) > 30 or not _NUMBER.match(raw):
            raise _error(q, f"Enter a number, {example}")
        number = Decimal(raw)
        if abs(number) >= NUMBER_LIMIT:
            raise _error(q, "Enter a smaller number")
        if whole and number != number.to_integral_value():
            raise _error(q, "Enter a whole number, like 3")
        minimum, maximum = _decimal(options.get("min_value")), _decimal(options.get("max_value"))
        if minimum is not None and number < minimum:
            raise _error(q, f"The number must be {_number_text(minimum)} or more")
        if maximum is not None and number > maximum:
            raise _error(q, f"The number must be {_number_text(maximum)} or less")
        return _number_text(number)

    def display(self, q, value, uploads=None):
        suffix = (q.get("options") or {}).get("suffix") or ""
        return f"{value} {suffix}".strip() if value not in (None, "") else ""


def date_display(value: date) -> str:
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


class DateHandler(Handler):
    required_message = "Enter a date"

    def fields(self, q):
        return {q["name"]: DatePartsField()}

    def initial(self, q, value):
        try:
            parsed = date.fromisoformat(value)
        except (TypeError, ValueError):
            return {}
        return {q["name"]: {"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)}}

    def clean(self, q, values, form):
        parts = values.get(q["name"]) or {}
        day, month, year = (parts.get(p, "") for p in DatePartsWidget.parts)
        if not (day or month or year):
            return None
        missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise _error(q, f"The date must include a {' and '.join(missing)}")
        month_number = int(month) if _DIGITS.match(month) and len(month) <= 2 else MONTHS.get(month.lower())
        if not _DIGITS.match(day) or len(day) > 2 or month_number is None:
            raise _error(q, "The date must be a real date")
        if not _DIGITS.match(year) or len(year) != 4:
            raise _error(q, "The year must include 4 numbers")
        try:
            answer = date(int(year), month_number, int(day))
        except ValueError:
            raise _error(q, "The date must be a real date") from None
        options = q.get("options") or {}
        today = form.today
        when = options.get("when") or "any"
        if when == "past" and answer > today:
            raise _error(q, "The date must be today or in the past")
        if when == "future" and answer < today:
            raise _error(q, "The date must be today or in the future")
        earliest, latest = options.get("min_days_ahead"), options.get("max_days_ahead")
        if isinstance(earliest, int) and answer < today + timedelta(days=earliest):
            raise _error(q, f"The date must be on or after {date_display(today + timedelta(days=earliest))}")
        if isinstance(latest, int) and answer > today + timedelta(days=latest):
            raise _error(q, f"The date must be on or before {date_display(today + timedelta(days=latest))}")
        return answer.isoformat()

    def display(self, q, value, uploads=None):
        try:
            return date_display(date.fromisoformat(value))
        except (TypeError, ValueError):
            return answer_text(value)


class ChoiceHandler(Handler):
    required_message = "Select an answer"

    def choices(self, q) -> list[str]:
        return [str(c) for c in (q.get("options") or {}).get("choices") or []]

    def fields(self, q):
        return {q["name"]: TextField(widget=forms.RadioSelect)}

    def clean(self, q, values, form):
        value = values.get(q["name"]) or ""
        if not value:
            return None
        if value not in self.choices(q):
            raise _error(q, "Select one of the options")
        return value


class SelectHandler(ChoiceHandler):
    def fields(self, q):
        return {q["name"]: TextField(widget=forms.Select)}


class CheckboxesHandler(ChoiceHandler):
    required_message = "Select at least one option"

    def fields(self, q):
        return {q["name"]: ListField()}

    def clean(self, q, values, form):
        chosen = values.get(q["name"]) or []
        if not chosen:
            return None
        choices = self.choices(q)
        if any(item not in choices for item in chosen):
            raise _error(q, "Select from the options given")
        return [choice for choice in choices if choice in chosen]

    def display(self, q, value, uploads=None):
        return "\n".join(value) if isinstance(value, list) else answer_text(value)


ADDRESS_PARTS = (
    ("line_1", "Address line 1", "address-line1", 100, ""),
    ("line_2", "Address line 2 (optional)", "address-line2", 100, ""),
    ("town", "Town or city", "address-level2", 60, "govuk-!-width-two-thirds"),
    ("postcode", "Postcode", "postal-code", 16, "govuk-input--width-10"),
)
ADDRESS_PROFILE = {
    "line_1": "address_line_1",
    "line_2": "address_line_2",
    "town": "town",
    "postcode": "postcode",
}


class AddressHandler(Handler):
    required_message = "Enter address line 1, typically the building and street"

    def field_names(self, q):
        return [f"{q['name']}-{part}" for part, *_ in ADDRESS_PARTS]

    def fields(self, q):
        return {
            f"{q['name']}-{part}": TextField(
                label=label, widget=forms.TextInput(attrs={"autocomplete": autocomplete, "class": css})
            )
            for part, label, autocomplete, _, css in ADDRESS_PARTS
        }

    def initial(self, q, value):
        if not isinstance(value, dict):
            return {}
        return {f"{q['name']}-{part}": value.get(part, "") for part, *_ in ADDRESS_PARTS}

    def prefill(self, q, profile):
        if not (q.get("options") or {}).get("prefill_from_profile", True):
            return {}
        return {f"{q['name']}-{part}": profile.get(key, "") for part, key in ADDRESS_PROFILE.items()}

    def clean(self, q, values, form):
        name = q["name"]
        value = {part: values.get(f"{name}-{part}") or "" for part, *_ in ADDRESS_PARTS}
        if not any(value.values()):
            return None
        errors = {}
        for part, label, _, limit, _ in ADDRESS_PARTS:
            if len(value[part]) > limit:
                errors[f"{name}-{part}"] = (
                    f"{label.removesuffix(' (optional)')} must be {limit} characters or fewer"
                )
        if not value["line_1"]:
            errors.setdefault(f"{name}-line_1", self.required_message)
        if not value["town"]:
            errors.setdefault(f"{name}-town", "Enter town or city")
        if not value["postcode"]:
            errors.setdefault(f"{name}-postcode", "Enter a postcode")
        elif f"{name}-postcode" not in errors:
            try:
                value["postcode"] = postcode_normalise(value["postcode"])
            except ValidationError as exc:
                errors[f"{name}-postcode"] = exc.messages[0]
        if errors:
            raise FieldErrors(errors)
        return value

    def display(self, q, value, uploads=None):
        if not isinstance(value, dict):
            return answer_text(value)
        return "\n".join(value.get(part) for part, *_ in ADDRESS_PARTS if value.get(part))


class LocationHandler(Handler):
    required_message = "Describe where it is, for example the street and the nearest house number"

    def asks_coordinates(self, q) -> bool:
        return bool((q.get("options") or {}).get("ask_coordinates", True))

    def field_names(self, q):
        names = [f"{q['name']}-description"]
        if self.asks_coordinates(q):
            names += [f"{q['name']}-latitude", f"{q['name']}-longitude"]
        return names

    def fields(self, q):
        name = q["name"]
        fields: dict[str, forms.Field] = {
            f"{name}-description": TextField(label="Description of the location", multiline=True)
        }
        if self.asks_coordinates(q):
            coordinate = {"inputmode": "decimal", "class": "govuk-input--width-10", "spellcheck": "false"}
            fields[f"{name}-latitude"] = TextField(label="Latitude", widget=forms.TextInput(attrs=coordinate))
            fields[f"{name}-longitude"] = TextField(
                label="Longitude", widget=forms.TextInput(attrs=coordinate)
            )
        return fields

    def initial(self, q, value):
        if not isinstance(value, dict):
            return {}
        return {f"{q['name']}-{key}": value.get(key, "") for key in ("description", "latitude", "longitude")}

    def clean(self, q, values, form):
        name = q["name"]
        description = values.get(f"{name}-description") or ""
        latitude = values.get(f"{name}-latitude") or ""
        longitude = values.get(f"{name}-longitude") or ""
        if not (description or latitude or longitude):
            return None
        errors = {}
        if not description:
            errors[f"{name}-description"] = self.required_message
        elif len(description) > 2000:
            errors[f"{name}-description"] = "The description must be 2,000 characters or fewer"
        coordinates = {}
        if latitude or longitude:
            for key, text, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
                number = _decimal(text) if len(text) <= 30 and _NUMBER.match(text or "x") else None
                if not text:
                    errors[f"{name}-{key}"] = "Enter both the latitude and the longitude, or leave both empty"
                elif number is None or abs(number) > limit:
                    errors[f"{name}-{key}"] = (
                        f"Enter a {key} between -{limit} and {limit}, like {limit / 2:g}"
                    )
                else:
                    coordinates[key] = _number_text(number.quantize(Decimal("0.000001"), ROUND_HALF_UP))
        if errors:
            raise FieldErrors(errors)
        return {
            "description": description,
            "latitude": coordinates.get("latitude", ""),
            "longitude": coordinates.get("longitude", ""),
        }

    def display(self, q, value, uploads=None):
        if not isinstance(value, dict):
            return answer_text(value)
        text = value.get("description") or ""
        if value.get("latitude") and value.get("longitude"):
            text += f"\nMap position: {value['latitude']}, {value['longitude']}"
        return text


class DeclarationHandler(Handler):
    required_message = "Tick the box to confirm the declaration"

    def fields(self, q):
        return {q["name"]: BooleanField()}

    def initial(self, q, value):
        return {q["name"]: bool(value)}

    def clean(self, q, values, form):
        return True if values.get(q["name"]) else None

    def display(self, q, value, uploads=None):
        return "Confirmed" if value else "Not confirmed"


class FileHandler(Handler):
    required_message = "Select a file"

    def fields(self, q):
        accept = ",".join(f".{ext}" for ext in self.allowed(q))
        return {q["name"]: UploadField(widget=forms.FileInput(attrs={"accept": accept}))}

    def allowed(self, q) -> list[str]:
        return list((q.get("options") or {}).get("allowed_types") or ["pdf", "jpg", "png"])

    def max_bytes(self, q) -> int:
        try:
            megabytes = int((q.get("options") or {}).get("max_size_mb") or 10)
        except (TypeError, ValueError):
            megabytes = 10
        return max(1, min(megabytes, 20)) * 1024 * 1024

    def initial(self, q, value):
        return {}

    def clean(self, q, values, form):
        new = values.get(q["name"])
        if new:
            try:
                content_type, extension = upload_check(
                    new, allowed_types=self.allowed(q), max_bytes=self.max_bytes(q)
                )
            except ValidationError as exc:
                raise _error(q, exc.messages[0]) from None
            return PendingUpload(new, content_type, extension)
        existing = form.uploads.get(q["name"])
        return str(existing.pk) if existing is not None else None

    def display(self, q, value, uploads=None):
        upload = (uploads or {}).get(q["name"])
        return upload.original_name if upload is not None else ""


HANDLERS: dict[str, Handler] = {
    "text": TextHandler(),
    "long_text": LongTextHandler(),
    "email": EmailHandler(),
    "phone": PhoneHandler(),
    "number": NumberHandler(),
    "date": DateHandler(),
    "radios": ChoiceHandler(),
    "checkboxes": CheckboxesHandler(),
    "select": SelectHandler(),
    "address": AddressHandler(),
    "file": FileHandler(),
    "location": LocationHandler(),
    "declaration": DeclarationHandler(),
}


def handler_for(q: dict) -> Handler:
    return HANDLERS.get(q.get("type"), HANDLERS["text"])


def answer_display(q: dict, value: Any, uploads: dict | None = None) -> str:
    """An answer as residents and staff read it (several lines for addresses and lists)."""
    if value in (None, "", [], {}):
        return ""
    return handler_for(q).display(q, value, uploads)


# Types shown as a group of inputs under one legend (GOV.UK fieldset), rather than one labelled input.
FIELDSET_TYPES = frozenset({"radios", "checkboxes", "date", "address", "location", "declaration"})


class StepForm(forms.Form):
    """The questions of one step, bound to what the resident sent (or showing their answers).

    ``answers`` are the draft's answers so far; questions whose conditions depend on
    earlier steps are left out when those answers hide them. ``partial`` (for "Save and
    come back later") checks what was typed but requires nothing. After ``is_valid()``,
    ``step_answers`` holds this step's answers (a ``PendingUpload`` for a new file).
    """

    use_required_attribute = False

    def __init__(
        self,
        data=None,
        files=None,
        *,
        step: dict,
        answers: dict | None = None,
        uploads: dict | None = None,
        profile: dict | None = None,
        partial: bool = False,
        today: date | None = None,
        auto_id: str = "id_%s",
        preview_questions: dict[str, dict] | None = None,
    ):
        super().__init__(data, files, auto_id=auto_id)
        # In the editor's preview every question is shown, each condition explained in words.
        self.preview_questions = preview_questions
        self.step = step
        self.answers = answers or {}
        self.uploads = uploads or {}
        self.partial = partial
        self.today = today or timezone.localdate()
        self.step_answers: dict[str, Any] = {}
        names_here = {q["name"] for q in step["questions"]}
        self.questions: list[dict] = []
        self.dynamic: set[str] = set()
        for q in step["questions"]:
            condition = q.get("condition")
            if condition and (condition.get("field") in names_here or preview_questions is not None):
                self.dynamic.add(q["name"])
            elif not condition_met(condition, self.answers):
                continue
            self.questions.append(q)
            handler = handler_for(q)
            fields = handler.fields(q)
            if len(fields) == 1 and q["type"] not in FIELDSET_TYPES:
                only = next(iter(fields.values()))
                only.label = q["label"]
            self.fields.update(fields)
            value = self.answers.get(q["name"])
            if value in (None, "", [], {}):
                self.initial.update(handler.prefill(q, profile or {}))
            else:
                self.initial.update(handler.initial(q, value))

    def clean(self):
        cleaned = super().clean()
        names_here = {q["name"] for q in self.step["questions"]}
        combined = {k: v for k, v in self.answers.items() if k not in names_here}
        for q in self.questions:
            handler = handler_for(q)
            names = handler.field_names(q)
            if not condition_met(q.get("condition"), combined):
                for name in names:
                    self._errors.pop(name, None)
                continue
            if any(name in self._errors for name in names):
                continue
            try:
                value = handler.clean(q, {name: cleaned.get(name) for name in names}, self)
            except FieldErrors as exc:
                for name, message in exc.errors.items():
                    self.add_error(name, message)
                continue
            if value in (None, "", [], {}):
                if q.get("required") and not self.partial:
                    self.add_error(names[0], handler.required_message)
                continue
            self.step_answers[q["name"]] = value
            combined[q["name"]] = value
        return cleaned

    def error_names(self) -> list[str]:
        """The questions (by name) that have an error, for the ``form_error`` interaction."""
        names = []
        for q in self.questions:
            if any(name in self.errors for name in handler_for(q).field_names(q)):
                names.append(q["name"])
        if self.non_field_errors():
            names.append("__all__")
        return names

    def hint(self, q: dict) -> str:
        """The hint under a question: the editor's, what a file must be, and when to answer."""
        lines = [q.get("hint") or ""]
        if q["type"] == "file":
            handler = handler_for(q)
            megabytes = handler.max_bytes(q) // (1024 * 1024)
            lines.append(
                f"The file must be a {types_text(handler.allowed(q))} and smaller than {megabytes}MB."
            )
        if q["name"] in self.dynamic:
            condition = q["condition"]
            source = next((o for o in self.step["questions"] if o["name"] == condition["field"]), None)
            if source is None and self.preview_questions:
                source = self.preview_questions.get(condition["field"])
            lines.append(condition_text(condition, source) + ".")
        return "\n".join(line for line in lines if line)

    def rows(self) -> list[dict]:
        """What the template renders: each question with its bound fields and the ids that
        tie hints and errors to the inputs (``aria-describedby``)."""
        rows = []
        for q in self.questions:
            handler = handler_for(q)
            row = {"q": q, "fields": [self[name] for name in handler.field_names(q)], "hint": self.hint(q)}
            field = row["field"] = row["fields"][0]
            row["upload"] = self.uploads.get(q["name"])
            row["fieldset"] = q["type"] in FIELDSET_TYPES
            row["has_error"] = any(f.errors for f in row["fields"])
            # Address and location parts carry their own errors; the group is not marked as a whole.
            row["group_error"] = row["has_error"] and q["type"] not in ("address", "location")
            value = field.value()
            if q["type"] in ("radios", "select"):
                row["selected"] = [str(value)] if value not in (None, "") else []
            elif q["type"] == "checkboxes":
                items = value if isinstance(value, list | tuple) else ([value] if value else [])
                row["selected"] = [str(item) for item in items]
            elif q["type"] == "date":
                row["parts"] = value if isinstance(value, dict) else {}
            describedby = [f"{field.auto_id}_helptext"] if row["hint"] else []
            if q["type"] == "long_text":
                describedby.append(f"{field.auto_id}-info")
            if row["group_error"]:
                describedby.append(f"{field.auto_id}_error")
            row["describedby"] = " ".join(describedby)
            if not row["fieldset"]:
                field.field.widget.attrs["aria-describedby"] = row["describedby"]
                if not row["describedby"]:
                    field.field.widget.attrs.pop("aria-describedby")
            if q["type"] == "long_text":
                row["max_length"] = handler.max_length(q)
            if q["type"] in ("radios", "checkboxes", "select"):
                row["choices"] = handler.choices(q)
            rows.append(row)
        return rows


def step_data(step: dict, answers: dict) -> MultiValueDict:
    """What a browser would send to show these answers: to check saved answers again."""
    data = MultiValueDict()
    for q in step["questions"]:
        value = answers.get(q["name"])
        if value in (None, "", [], {}):
            continue
        for name, shown in handler_for(q).initial(q, value).items():
            if isinstance(shown, dict):
                for part, text in shown.items():
                    data[f"{name}-{part}"] = str(text)
            elif isinstance(shown, list):
                data.setlist(name, [str(item) for item in shown])
            elif shown is True:
                data[name] = "on"
            elif shown not in (None, False):
                data[name] = str(shown)
    return data


def condition_text(condition: dict | None, source: dict | None = None) -> str:
    """A condition in words, e.g. "Only if the answer to ‘Bin type’ is ‘Garden waste’"."""
    if not condition:
        return ""
    label = source["label"] if source else condition["field"]
    verb = "includes" if condition.get("operator") == "contains" else "is"
    return f"Only if the answer to ‘{label}’ {verb} ‘{condition.get('value', '')}’"


class Flow:
    """The order of a version's steps for one resident, given their answers so far.

    Steps are numbered from 1 in schema order; hidden steps keep their numbers. When no
    one is signed in and no email question is answered, a last step asks for an email
    address so the reference can be sent.
    """

    def __init__(self, schema: dict, *, anonymous: bool):
        self.schema = schema
        self.steps: list[dict] = list(schema.get("steps") or [])
        if anonymous:
            self.steps.append(CONTACT_STEP)
        self.questions: dict[str, dict] = {q["name"]: q for s in self.steps for q in s["questions"]}
        self.step_of: dict[str, dict] = {q["name"]: s for s in self.steps for q in s["questions"]}
        self._email_names = [
            name for name, q in self.questions.items() if q["type"] == "email" and name != CONTACT_FIELD
        ]

    def step(self, number: int) -> dict | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None

    def number_of(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps, 1) if s["id"] == step_id), None)

    def _step_visible(self, step: dict, kept: dict) -> bool:
        if step["id"] == CONTACT_STEP_ID:
            return not any(kept.get(name) for name in self._email_names)
        return condition_met(step.get("condition"), kept)

    def prune(self, answers: dict) -> dict:
        """Only the answers to questions that are shown, in form order."""
        kept: dict[str, Any] = {}
        for step in self.steps:
            if not self._step_visible(step, kept):
                continue
            for q in step["questions"]:
                if condition_met(q.get("condition"), kept) and answers.get(q["name"]) not in (
                    None,
                    "",
                    [],
                    {},
                ):
                    kept[q["name"]] = answers[q["name"]]
        return kept

    def visible_steps(self, answers: dict) -> list[tuple[int, dict]]:
        kept = self.prune(answers)
        return [(i, step) for i, step in enumerate(self.steps, 1) if self._step_visible(step, kept)]

    def visible_questions(self, step: dict, answers: dict) -> list[dict]:
        kept = self.prune(answers)
        return [q for q in step["questions"] if condition_met(q.get("condition"), kept)]

    def step_visible(self, number: int, answers: dict) -> bool:
        return any(i == number for i, _ in self.visible_steps(answers))

    def next_number(self, number: int, answers: dict) -> int | None:
        return next((i for i, _ in self.visible_steps(answers) if i > number), None)

    def previous_number(self, number: int, answers: dict) -> int | None:
        earlier = [i for i, _ in self.visible_steps(answers) if i < number]
        return earlier[-1] if earlier else None

    def first_incomplete(self, answers: dict) -> int | None:
        """The first shown step with a required question not answered, if any."""
        kept = self.prune(answers)
        for number, step in self.visible_steps(answers):
            for q in step["questions"]:
                if q.get("required") and condition_met(q.get("condition"), kept) and q["name"] not in kept:
                    return number
        return None

    def summary(self, answers: dict, uploads: dict | None = None) -> list[dict]:
        """Check-your-answers rows per shown step: ``{"number", "step", "rows": [...]}``."""
        kept = self.prune(answers)
        sections = []
        for number, step in self.visible_steps(answers):
            rows = []
            for q in step["questions"]:
                if not condition_met(q.get("condition"), kept):
                    continue
                value = kept.get(q["name"])
                rows.append(
                    {
                        "q": q,
                        "label": q["label"],
                        "value": answer_display(q, value, uploads),
                        "answered": value is not None,
                        "missing": bool(q.get("required")) and value is None,
                        "upload": (uploads or {}).get(q["name"]) if q["type"] == "file" else None,
                    }
                )
            sections.append({"number": number, "step": step, "rows": rows})
        return sections

    def invalid_step(
        self, answers: dict, uploads: dict | None = None, today: date | None = None
    ) -> int | None:
        """The first shown step whose saved answers no longer pass its checks (a required
        answer missing, or a booking date now in the past), or None when all is well."""
        kept = self.prune(answers)
        for number, step in self.visible_steps(kept):
            form = StepForm(step_data(step, kept), {}, step=step, answers=kept, uploads=uploads, today=today)
            if not form.is_valid():
                return number
        return None

    def contact_email(self, answers: dict) -> str:
        kept = self.prune(answers)
        for name in [*self._email_names, CONTACT_FIELD]:
            if kept.get(name):
                return kept[name]
        return ""

    def contact_name(self, answers: dict) -> str:
        kept = self.prune(answers)
        for name, q in self.questions.items():
            if (q.get("options") or {}).get("prefill") == "full_name" and kept.get(name):
                return str(kept[name])[:150]
        return ""


def fee_pence(schema: dict, answers: dict) -> int:
    """The fee due for these answers: fixed, or the amount times a number answer (0 when none)."""
    fee = schema.get("fee") or {}
    amount = int(fee.get("amount_pence") or 0)
    if fee.get("type") == "fixed":
        return amount
    if fee.get("type") == "per_answer":
        quantity = _decimal(answers.get(fee.get("field") or ""))
        if quantity is None or quantity <= 0:
            return 0
        return int((quantity * amount).to_integral_value(ROUND_HALF_UP))
    return 0


def fee_quantity(schema: dict, answers: dict) -> str:
    fee = schema.get("fee") or {}
    if fee.get("type") != "per_answer":
        return ""
    return str(answers.get(fee.get("field") or "") or "")


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}" if pence % 100 == 0 else f"£{pence / 100:,.2f}"
