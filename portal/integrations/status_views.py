"""The status API: back-office systems read a case and send its updates (status, a message to
the resident, an internal note, the date they expect to finish), by the portal's reference or
by their own id for it (``Delivery.remote_id``).

A key (scope ``case_updates``) reaches only the cases sent to a destination whose
``status_client`` is that key's client; any other case is "not found" (never "forbidden"), so
nothing is learnt about cases that are not theirs, and only once the case was delivered
there. Every call with a known key is audited; calls with unknown keys once a minute an
address (they are counted, and an address sending too many is refused before any key is
looked up). An ``update_id`` already used for another case is refused with 409.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from portal.cases.constants import OPEN311_STATUS, STAFF_LABELS, CaseStatus
from portal.cases.models import Case
from portal.lib.client import client_ip
from portal.lib.ratelimit import ratelimit_count, ratelimit_exceeded, ratelimit_retry_after

from .constants import ApiScope, DeliveryStatus
from .models import ApiClient, Delivery
from .services.api_keys import (
    ApiKeyError,
    api_client_authenticate,
    api_key_use_record,
)
from .services.status import (
    StatusUpdateConflict,
    StatusUpdateRefused,
    status_known,
    status_update_apply,
)

# An update is a few hundred bytes; a long message a few thousand.
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 5000
MAX_UPDATE_ID_CHARS = 120
# Calls a minute one address may make without a valid key before it is refused outright.
BAD_KEYS_PER_MINUTE = 30
ADDRESS_RATE_KEY = "back-office-api:bad-key"
# A call with an unknown key is audited once in this many seconds an address.
FIELDS = frozenset({"update_id", "status", "public_message", "internal_note", "expected_date", "updated_at"})

_CODES = {
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


class _Answer(Exception):
    """Stop and answer with ``response`` (a refusal), with ``detail`` for the audit."""

    def __init__(self, response: HttpResponse, detail: str) -> None:
        super().__init__(detail)
        self.response = response
        self.detail = detail


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"errors": [{"code": _CODES.get(status, "error"), "message": message}]}, status=status
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _field_errors(status: int, errors: list[tuple[str, str]]) -> JsonResponse:
    return JsonResponse({"errors": [{"field": f, "message": m} for f, m in errors]}, status=status)


def _keyed(methods: tuple[str, ...]) -> Callable:
    """Authenticate the key (scope ``case_updates``), call the view with the client, and audit
    the call with the status it was answered with, whatever happened (a wrong method too)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: str) -> HttpResponse:
            client: ApiClient | None = None
            response: HttpResponse
            try:
                _address_check(request)
                try:
                    client = api_client_authenticate(request, scope=ApiScope.CASE_UPDATES)
                except ApiKeyError as error:
                    if error.status == 401:
                        _address_count(request)
                    raise
                if request.method not in methods:
                    response = _error(405, f"Use {' or '.join(methods)} here", Allow=", ".join(methods))
                    raise _Answer(response, f"method {request.method} not allowed")
                response = view(request, client=client, **kwargs)
                detail = getattr(response, "audit_detail", "")
            except ApiKeyError as error:
                client = getattr(request, "api_client", None)
                headers = {"Retry_After": str(error.retry_after)} if error.status == 429 else {}
                response = _error(error.status, error.message, **headers)
                detail = error.message
            except _Answer as answer:
                response, detail = answer.response, answer.detail
            api_key_use_record(request, client=client, status_code=response.status_code, detail=detail)
            return response

        return wrapped

    return decorate


def _address(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _address_check(request: HttpRequest) -> None:
    """Refuse an address that has sent too many calls without a valid key this minute: checked
    before the key is looked up, so guessing keys costs no database reads."""
    key = f"{ADDRESS_RATE_KEY}:{_address(request)}"
    limit = getattr(settings, "BACK_OFFICE_API_BAD_KEYS_PER_MINUTE", BAD_KEYS_PER_MINUTE)
    if ratelimit_exceeded(key, limit=limit - 1):  # ``limit`` failures made: refuse the next call
        raise ApiKeyError(
            "Too many requests from this address without a valid API key",
            status=429,
            retry_after=ratelimit_retry_after(key, window_seconds=60),
        )


def _address_count(request: HttpRequest) -> None:
    ratelimit_count(f"{ADDRESS_RATE_KEY}:{_address(request)}", window_seconds=60)


def _not_found(what: str) -> _Answer:
    return _Answer(_error(404, f"No case found with {what}"), f"not found: {what}"[:300])


# A case the back office has been sent (delivered now, or once before a resend): one that is
# still on its way, or never arrived, is not theirs to read or update.
_DELIVERED = Q(deliveries__status=DeliveryStatus.DELIVERED) | Q(deliveries__delivered_at__isnull=False)


def _case_for(client: ApiClient, reference: str) -> Case:
    case = (
        Case.objects.filter(_DELIVERED, reference=reference, deliveries__destination__status_client=client)
        .distinct()
        .first()
    )
    if case is None:
        raise _not_found(f"the reference {reference}")
    return case


def _case_for_remote(client: ApiClient, remote_id: str) -> Case:
    # The most recent delivery, should a back office ever reuse an id (a later case wins).
    delivery = (
        Delivery.objects.filter(
            Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
            remote_id=remote_id,
            destination__status_client=client,
            case__isnull=False,
        )
        .select_related("case")
        .order_by("-created_at", "-pk")
        .first()
    )
    if not remote_id or delivery is None or delivery.case is None:
        raise _not_found(f"your id {remote_id}")
    return delivery.case


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "status": case.status,
        "status_label": STAFF_LABELS[CaseStatus(case.status)],
        "open311_status": OPEN311_STATUS[CaseStatus(case.status)],
        "updated_at": case.updated_at.isoformat(),
        "expected_date": case.expected_on.isoformat() if case.expected_on else None,
    }


@_keyed(("GET",))
def case_detail(request: HttpRequest, *, client: ApiClient, reference: str) -> HttpResponse:
    """A case's status as the back office may read it."""
    case = _case_for(client, reference)
    response = JsonResponse(_case_json(case))
    response.audit_detail = f"read {case.reference}"  # type: ignore[attr-defined]
    return response


@_keyed(("POST",))
def case_update(request: HttpRequest, *, client: ApiClient, reference: str) -> HttpResponse:
    """An update to a case, by the portal's reference."""
    update = _update_read(request)
    return _apply(client, _case_for(client, reference), update)


@_keyed(("POST",))
def remote_update(request: HttpRequest, *, client: ApiClient, remote_id: str) -> HttpResponse:
    """An update to a case, by the back office's own id for it."""
    update = _update_read(request)
    return _apply(client, _case_for_remote(client, remote_id), update)


def _apply(client: ApiClient, case: Case, update: dict[str, Any]) -> HttpResponse:
    try:
        row = status_update_apply(source=f"client:{client.pk}", case=case, by_label=client.name, **update)
    except StatusUpdateConflict as conflict:
        raise _Answer(
            _field_errors(409, [(conflict.field, conflict.message)]),
            f"{case.reference} update {update['update_id']}: conflict: update_id used for another case",
        ) from conflict
    except StatusUpdateRefused as refused:
        raise _Answer(
            _field_errors(422, [(refused.field, refused.message)]),
            f"{case.reference} update {update['update_id']}: refused: {refused.message}",
        ) from refused
    case.refresh_from_db(fields=["status"])
    response = JsonResponse({"case_reference": case.reference, "status": case.status, "outcome": row.outcome})
    response.audit_detail = f"{case.reference} update {row.update_id}: {row.outcome}"  # type: ignore[attr-defined]
    return response


def _update_read(request: HttpRequest) -> dict[str, Any]:
    """The update in the request's JSON body, checked, as ``status_update_apply``'s arguments.

    Refuses (``_Answer``) a body over ``MAX_BODY_BYTES`` with 413, and a body that is not a
    JSON object, or has missing, unknown or malformed fields, with 400 and one error a field.
    """
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise _Answer(_error(413, f"The body must be {MAX_BODY_BYTES // 1024} KB or less"), "body too large")
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        body = None
    if not isinstance(body, dict):
        raise _bad([("body", "The body must be a JSON object")])
    errors: list[tuple[str, str]] = [
        (name, f"{name} is not a field of an update") for name in sorted(set(body) - FIELDS)
    ]
    update_id = body.get("update_id")
    if isinstance(update_id, int) and not isinstance(update_id, bool):
        update_id = str(update_id)
    if not isinstance(update_id, str) or not update_id.strip():
        errors.append(("update_id", "Enter update_id, your id for this update (a string)"))
    elif len(update_id.strip()) > MAX_UPDATE_ID_CHARS:
        errors.append(("update_id", f"update_id must be {MAX_UPDATE_ID_CHARS} characters or fewer"))
    texts: dict[str, Any] = {}
    for name in ("status", "public_message", "internal_note"):
        value = body.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append((name, f"{name} must be a string"))
        elif len(value) > MAX_MESSAGE_CHARS:
            errors.append((name, f"{name} must be {MAX_MESSAGE_CHARS} characters or fewer"))
        texts[name] = value
    if isinstance(texts["status"], str) and not status_known(texts["status"]):
        errors.append(
            ("status", "Enter a status the portal knows, such as in_progress, resolved or rejected")
        )
    expected_on = _date(body.get("expected_date"), errors)
    remote_time = _datetime(body.get("updated_at"), errors)
    if not errors and not (
        texts["status"].strip()
        or texts["public_message"].strip()
        or texts["internal_note"].strip()
        or expected_on
    ):
        errors.append(("body", "Send at least one of status, public_message, internal_note or expected_date"))
    if errors:
        raise _bad(errors)
    assert isinstance(update_id, str)
    return {
        "update_id": update_id.strip(),
        "status": texts["status"],
        "public_message": texts["public_message"],
        "internal_note": texts["internal_note"],
        "expected_on": expected_on,
        "remote_time": remote_time,
    }


def _bad(errors: list[tuple[str, str]]) -> _Answer:
    return _Answer(_field_errors(400, errors), "bad request: " + "; ".join(f for f, _ in errors))


def _date(value: Any, errors: list[tuple[str, str]]) -> date | None:
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors.append(("expected_date", "Enter expected_date as a date, like 2027-01-12"))
        return None


def _datetime(value: Any, errors: list[tuple[str, str]]) -> datetime | None:
    """``updated_at``: when the back office made the update (ISO 8601; without an offset it
    is taken as the council's local time)."""
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.append(("updated_at", "Enter updated_at as a date and time, like 2027-01-12T09:30:00Z"))
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
