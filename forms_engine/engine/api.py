"""Answers another app sends (Open311, an API) as the data a browser would send, so they go
through the very same question checks as a resident's (``StepForm``).

An app's answers are keyed by question name, one value per question:

* text, long text, email, phone, number, radios, select: a string (a number may be a number);
* checkboxes: a list of the options ticked (or one string);
* date: ``YYYY-MM-DD`` (a date and time is read as its date);
* address: ``{"line_1", "line_2", "town", "postcode"}``;
* location: ``{"description", "latitude", "longitude"}``;
* declaration: ``true`` (or "true", "yes", "1", "on");
* file: a link (``http(s)://...``) to the file, kept as the link (``{"media_url": ...}``): the
  file itself is not fetched.

What cannot be read in that shape is reported here (``ApiAnswerErrors``), in the same words as
the web's messages; everything else is left to the question types.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.datastructures import MultiValueDict

from .messages import subject
from .question_types import ADDRESS_PARTS, media_answer

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
_URL = URLValidator(schemes=["http", "https"])


class ApiAnswerErrors(Exception):
    """Answers an app sent in a shape that cannot be read: ``{question name: message}``."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, list | tuple):
        return _text(value[-1]) if value else ""
    return str(value)


def api_media_answer(q: dict, value: Any) -> dict[str, str] | None:
    """The stored answer for a file question given as a link; raises ``ApiAnswerErrors``."""
    media = media_answer(value)
    url = media["media_url"] if media else _text(value).strip()
    if not url:
        return None
    try:
        if len(url) > 2000:
            raise ValidationError("too long")
        _URL(url)
    except ValidationError:
        raise ApiAnswerErrors(
            {q["name"]: f"{subject(q, 'The file')} must be a link starting https://, to the file"}
        ) from None
    return {"media_url": url}


def api_step_data(step: dict, answers: dict[str, Any]) -> tuple[MultiValueDict, dict[str, Any]]:
    """What a browser would send for ``step`` given an app's ``answers`` (see the module's
    docstring), and the links given for its file questions (``{name: {"media_url": ...}}``,
    to pass to ``StepForm`` with the answers). Raises ``ApiAnswerErrors`` naming each question
    whose answer cannot be read at all."""
    data = MultiValueDict()
    media: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in step["questions"]:
        name, kind = q["name"], q["type"]
        value = answers.get(name)
        if value in (None, "", [], {}):
            continue
        try:
            if kind == "file":
                link = api_media_answer(q, value)
                if link:
                    media[name] = link
            elif kind == "checkboxes":
                items = value if isinstance(value, list | tuple) else [value]
                data.setlist(name, [_text(item) for item in items])
            elif kind == "date":
                match = _DATE.match(_text(value))
                if not match:
                    raise ApiAnswerErrors(
                        {name: f"{subject(q, 'The date')} must be a real date, in the format YYYY-MM-DD"}
                    )
                year, month, day = match.groups()
                data.update({f"{name}-day": day, f"{name}-month": month, f"{name}-year": year})
            elif kind in ("address", "location"):
                if not isinstance(value, dict):
                    raise ApiAnswerErrors({name: f"{subject(q, 'The answer')} must be given in its parts"})
                parts = (
                    [part for part, *_ in ADDRESS_PARTS]
                    if kind == "address"
                    else ["description", "latitude", "longitude"]
                )
                for part in parts:
                    if value.get(part) not in (None, ""):
                        data[f"{name}-{part}"] = _text(value[part])
            elif kind == "declaration":
                if value is True or _text(value).strip().lower() in TRUE_WORDS:
                    data[name] = "on"
            else:
                data[name] = _text(value)
        except ApiAnswerErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise ApiAnswerErrors(errors)
    return data, media
