"""The portal as an Open311 (GeoReport v2) client: a submission POSTed to a back office's
``requests.json``, as FixMyStreet files its reports.

What goes: ``api_key``, ``service_code`` (the destination's code for the form),
``jurisdiction_id`` when set; ``lat``/``long`` from the first location answer with
coordinates, else ``address_string`` from a location description or an address; a
``description`` (the first long-text answer, else every answer as "question: answer"
lines); the resident's ``email``, ``first_name``, ``last_name`` and ``phone`` when known;
``attribute[<code>]`` for each question the destination maps (``attribute_map``); and
``media_url``, a signed link to the first file (Open311 takes one).

Their answer is ``[{"service_request_id": ...}]``: the id is kept on the delivery
(``remote_id``) and noted on the case. Some servers answer ``[{"token": ...}]`` first and
give the id later; the token is then kept in the attempt log, the id left empty, and the
delivery still counts as delivered (they have it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..files import file_url
from ..payloads import submission_answers_keyed, submission_labels, submission_questions, submission_uploads
from .base import PermanentFailure, Result, http_failure
from .net import Reply, http_request

if TYPE_CHECKING:
    from forms_engine.models import Submission

    from ..models import Delivery

DESCRIPTION_MAX = 4000


def _text(value: Any) -> str:
    """An answer as one line of text for a form field."""
    if isinstance(value, dict):
        if "description" in value:
            return str(value.get("description") or "")
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _location(submission: Submission) -> dict[str, str]:
    questions = submission_questions(submission)
    answers = submission.answers or {}
    address = ""
    for name, q in questions.items():
        value = answers.get(name)
        if not isinstance(value, dict):
            continue
        if q.get("type") == "location":
            if value.get("latitude") and value.get("longitude"):
                return {"lat": str(value["latitude"]), "long": str(value["longitude"])}
            address = address or str(value.get("description") or "")
        elif q.get("type") == "address":
            address = address or _text(value)
    return {"address_string": address} if address else {}


def _description(submission: Submission) -> str:
    questions = submission_questions(submission)
    answers = submission.answers or {}
    for name, q in questions.items():
        if q.get("type") == "long_text" and answers.get(name):
            return str(answers[name])[:DESCRIPTION_MAX]
    labels = submission_labels(submission)
    lines = [
        f"{labels.get(name, name)}: {_text(value)}"
        for name, value in submission_answers_keyed(submission).items()
    ]
    return "\n".join(lines)[:DESCRIPTION_MAX]


def _person(submission: Submission) -> dict[str, str]:
    user = submission.user
    case = submission.case
    name = (user.full_name if user else "") or (case.contact_name if case else "")
    first, _, last = name.strip().partition(" ")
    phone = getattr(user, "phone", "") or ""
    if not phone:
        answers = submission.answers or {}
        phone = next(
            (
                str(answers[n])
                for n, q in submission_questions(submission).items()
                if q.get("type") == "phone" and answers.get(n)
            ),
            "",
        )
    person = {
        "email": submission.contact_email,
        "first_name": first,
        "last_name": last.strip(),
        "phone": phone,
    }
    return {key: value for key, value in person.items() if value}


def request_fields(delivery: Delivery) -> list[tuple[str, str]]:
    """The form fields of the POST, in order (a checkbox answer repeats ``attribute[code][]``)."""
    destination = delivery.destination
    submission = delivery.submission
    fields: list[tuple[str, str]] = [
        ("api_key", destination.open311_api_key),
        ("service_code", destination.open311_service_code),
    ]
    if destination.open311_jurisdiction:
        fields.append(("jurisdiction_id", destination.open311_jurisdiction))
    fields += list(_location(submission).items())
    fields.append(("description", _description(submission)))
    fields += list(_person(submission).items())
    answers = submission.answers or {}
    for name, code in (destination.attribute_map or {}).items():
        if not code or name not in answers:
            continue
        value = answers[name]
        if isinstance(value, list):
            fields += [(f"attribute[{code}][]", str(v)) for v in value]
        else:
            fields.append((f"attribute[{code}]", _text(value)))
    uploads = submission_uploads(submission)
    if uploads:
        fields.append(("media_url", file_url(uploads[0])))
    return fields


def send(delivery: Delivery) -> Result:
    destination = delivery.destination
    if not destination.url:
        raise PermanentFailure("The destination has no Open311 address to send to")
    if not destination.open311_service_code:
        raise PermanentFailure("The destination has no Open311 service code for this form")
    url = destination.url.rstrip("/") + "/requests.json"
    response = http_request("POST", url, data=request_fields(delivery))
    if response.status_code >= 400:
        raise http_failure(response.status_code, _errors(response))
    if response.status_code >= 300:
        raise PermanentFailure(f"HTTP {response.status_code}: redirected", status_code=response.status_code)
    try:
        answer = json.loads(response.content)
    except (ValueError, RecursionError):
        raise PermanentFailure(
            f"HTTP {response.status_code}: the answer was not JSON", status_code=response.status_code
        ) from None
    first = answer[0] if isinstance(answer, list) and answer and isinstance(answer[0], dict) else {}
    if first.get("service_request_id"):
        remote_id = str(first["service_request_id"])[:100]
        return Result(
            remote_id=remote_id,
            status_code=response.status_code,
            detail=f"Their reference {remote_id}",
        )
    if first.get("token"):
        return Result(
            status_code=response.status_code,
            detail=f"Taken with token {first['token']} (their reference comes later)",
        )
    raise PermanentFailure(
        f"HTTP {response.status_code}: no service_request_id or token in the answer: {response.text[:300]}",
        status_code=response.status_code,
    )


def _errors(response: Reply) -> str:
    """Open311's error list (``[{"code", "description"}]``) as one line, else the body."""
    try:
        errors = json.loads(response.content)
    except (ValueError, RecursionError):
        return response.text
    if isinstance(errors, list):
        return "; ".join(
            f"{e.get('code', '')} {e.get('description', '')}".strip() for e in errors if isinstance(e, dict)
        )
    return response.text
