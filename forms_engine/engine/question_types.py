"""One handler per question type: its inputs, checks, stored answer and display.

A handler says which Django fields a question needs (an address is four inputs, a date
three), how to turn what was typed into the answer that is stored (plain JSON), how to turn
a stored answer back into what the inputs show, and how to display it on "Check your
answers". Validation is forgiving about format and strict about meaning: spaces in phone
numbers and postcodes, "Jan" for a month or "1,000" for a number are fine; a date that does
not exist is not. Every problem is a ``FieldErrors`` with a GOV.UK-style message.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from portal.lib.uploads import upload_check
from portal.lib.validation import phone_display, phone_normalise, postcode_normalise

from .conditions import answer_text
from .fields import BooleanField, DatePartsField, ListField, TextField, UploadField
from .formats import format_check
from .messages import required_message, subject
from .parsing import (
    DIGITS,
    LONG_TEXT_MAX,
    MONTHS,
    NUMBER_LIMIT,
    NUMBER_PATTERN,
    TEXT_MAX,
    number_text,
    to_decimal,
)
from .widgets import DatePartsWidget

if TYPE_CHECKING:  # only for annotations: step_form imports this module
    from .step_form import StepForm


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
    # The verb and object of the message for an empty required answer: "Enter your postcode".
    required_verb = "Enter"
    required_object = "an answer"

    def required_message(self, q: dict) -> str:
        """The message when a required question is left empty; names the question."""
        return required_message(q, self.required_verb, self.required_object)

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

    def clean(self, q: dict, values: dict, form: StepForm) -> Any:
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
            raise _error(q, f"{subject(q, 'Your answer')} must be {limit:,} characters or fewer")
        if value and not self.multiline:
            value, problem = format_check(q.get("options") or {}, value)
            if problem:
                raise _error(q, problem)
        return value or None


class LongTextHandler(TextHandler):
    multiline = True
    default_max = 2000

    def fields(self, q):
        widget = forms.Textarea(attrs={"rows": 5, "class": "govuk-js-character-count"})
        return {q["name"]: TextField(multiline=True, widget=widget)}


class EmailHandler(Handler):
    required_object = "an email address"

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
    required_object = "a phone number"
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


class NumberHandler(Handler):
    required_object = "a number"

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
        if len(raw) > 30 or not NUMBER_PATTERN.match(raw):
            raise _error(q, f"Enter a number, {example}")
        number = Decimal(raw)
        if abs(number) >= NUMBER_LIMIT:
            raise _error(q, "Enter a smaller number")
        if whole and number != number.to_integral_value():
            raise _error(q, "Enter a whole number, like 3")
        minimum, maximum = to_decimal(options.get("min_value")), to_decimal(options.get("max_value"))
        name = subject(q, "The number")
        if minimum is not None and number < minimum:
            raise _error(q, f"{name} must be {number_text(minimum)} or more")
        if maximum is not None and number > maximum:
            raise _error(q, f"{name} must be {number_text(maximum)} or less")
        return number_text(number)

    def display(self, q, value, uploads=None):
        suffix = (q.get("options") or {}).get("suffix") or ""
        return f"{value} {suffix}".strip() if value not in (None, "") else ""


def date_display(value: date) -> str:
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def date_offset(today: date, limit: Any) -> date | None:
    """A date limit set relative to today: ``{"amount": 6, "unit": "months", "direction": "ago"}``."""
    if not isinstance(limit, dict):
        return None
    try:
        amount = int(limit.get("amount"))
    except (TypeError, ValueError):
        return None
    amount = max(0, min(amount, 1000))
    if limit.get("direction") == "ago":
        amount = -amount
    unit = limit.get("unit") or "days"
    if unit == "days":
        return today + timedelta(days=amount)
    months = amount * (12 if unit == "years" else 1)
    index = today.year * 12 + today.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        return None
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def date_limits(options: dict, today: date) -> tuple[date | None, date | None]:
    """The earliest and latest dates an answer may be, from the rules an editor set."""
    earliest, latest = [], []
    when = options.get("when") or "any"
    if when == "past":
        latest.append(today)
    elif when == "past_strict":
        latest.append(today - timedelta(days=1))
    elif when == "future":
        earliest.append(today)
    elif when == "future_strict":
        earliest.append(today + timedelta(days=1))
    for key, bucket in (("min_days_ahead", earliest), ("max_days_ahead", latest)):
        days = options.get(key)
        if isinstance(days, int) and not isinstance(days, bool) and abs(days) <= 366000:
            bucket.append(today + timedelta(days=days))
    for key, bucket in (("earliest", earliest), ("latest", latest)):
        limit = date_offset(today, options.get(key))
        if limit is not None:
            bucket.append(limit)
    return (max(earliest) if earliest else None), (min(latest) if latest else None)


class DateHandler(Handler):
    required_object = "a date"

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
        name = subject(q, "The date")
        missing = [label for label, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise _error(q, f"{name} must include a {' and '.join(missing)}")
        month_number = int(month) if DIGITS.match(month) and len(month) <= 2 else MONTHS.get(month.lower())
        if not DIGITS.match(day) or len(day) > 2 or month_number is None:
            raise _error(q, f"{name} must be a real date")
        if not DIGITS.match(year) or len(year) != 4:
            raise _error(q, "The year must include 4 numbers")
        try:
            answer = date(int(year), month_number, int(day))
        except ValueError:
            raise _error(q, f"{name} must be a real date") from None
        options = q.get("options") or {}
        today = form.today
        earliest, latest = date_limits(options, today)
        if earliest is not None and latest is not None and earliest > latest:
            return answer.isoformat()  # contradictory rules: never block a resident with them
        if (earliest is not None and answer < earliest) or (latest is not None and answer > latest):
            raise _error(q, f"{name} {self.range_text(earliest, latest, today)}")
        return answer.isoformat()

    @staticmethod
    def range_text(earliest: date | None, latest: date | None, today: date) -> str:
        """What the rules require, in GOV.UK's words for date errors."""
        if earliest is None and latest is not None:
            if latest == today:
                return "must be today or in the past"
            if latest == today - timedelta(days=1):
                return "must be in the past"
            return f"must be the same as or before {date_display(latest)}"
        if latest is None and earliest is not None:
            if earliest == today:
                return "must be today or in the future"
            if earliest == today + timedelta(days=1):
                return "must be in the future"
            return f"must be the same as or after {date_display(earliest)}"
        return f"must be between {date_display(earliest)} and {date_display(latest)}"

    def display(self, q, value, uploads=None):
        try:
            return date_display(date.fromisoformat(value))
        except (TypeError, ValueError):
            return answer_text(value)


class ChoiceHandler(Handler):
    required_verb = "Select"

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
    required_object = "at least one option"

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
    line_1_message = "Enter address line 1, typically the building and street"

    def required_message(self, q):
        return (q.get("options") or {}).get("error_message") or self.line_1_message

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
            errors.setdefault(f"{name}-line_1", self.line_1_message)
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
    description_message = "Describe where it is, for example the street and the nearest house number"

    def required_message(self, q):
        return (q.get("options") or {}).get("error_message") or self.description_message

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
            errors[f"{name}-description"] = self.description_message
        elif len(description) > 2000:
            errors[f"{name}-description"] = "The description must be 2,000 characters or fewer"
        coordinates = {}
        if latitude or longitude:
            for key, text, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
                number = to_decimal(text) if len(text) <= 30 and NUMBER_PATTERN.match(text or "x") else None
                if not text:
                    errors[f"{name}-{key}"] = "Enter both the latitude and the longitude, or leave both empty"
                elif number is None or abs(number) > limit:
                    errors[f"{name}-{key}"] = (
                        f"Enter a {key} between -{limit} and {limit}, like {limit / 2:g}"
                    )
                else:
                    coordinates[key] = number_text(number.quantize(Decimal("0.000001"), ROUND_HALF_UP))
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
    def required_message(self, q):
        return (q.get("options") or {}).get("error_message") or "Tick the box to confirm the declaration"

    def fields(self, q):
        return {q["name"]: BooleanField()}

    def initial(self, q, value):
        return {q["name"]: bool(value)}

    def clean(self, q, values, form):
        return True if values.get(q["name"]) else None

    def display(self, q, value, uploads=None):
        return "Confirmed" if value else "Not confirmed"


class FileHandler(Handler):
    required_verb = "Select"
    required_object = "a file"

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
        if existing is None:
            # A file another app gave as a link (Open311's media_url): kept as the link.
            media = media_answer(form.answers.get(q["name"]))
            if media:
                return media
        return str(existing.pk) if existing is not None else None

    def display(self, q, value, uploads=None):
        upload = (uploads or {}).get(q["name"])
        if upload is None and media_answer(value):
            return value["media_url"]
        return upload.original_name if upload is not None else ""


def media_answer(value: Any) -> dict[str, str] | None:
    """A file question's answer given as a link by another app (``{"media_url": "https://..."}``),
    or None. Only apps set it (``services.submission_create_for_app``): a browser's answer to a
    file question is always an Upload's id, so a link is never mistaken for a stored file."""
    if isinstance(value, dict) and isinstance(value.get("media_url"), str) and value["media_url"]:
        return {"media_url": value["media_url"]}
    return None


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
