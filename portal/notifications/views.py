"""GOV.UK Notify's callbacks: delivery receipts and received text messages, each authenticated
by the bearer token set for it on Notify."""

import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .inbound import inbound_text_store
from .services import notify_receipt_store

logger = logging.getLogger("portal.notifications")

# A receipt is a few hundred bytes; anything much larger is not from Notify.
MAX_RECEIPT_BYTES = 64 * 1024
# A received text is at most a few fragments long, with Notify's few fields around it.
MAX_INBOUND_BYTES = 64 * 1024


def _callback_payload(
    request: HttpRequest, token: str, what: str, limit: int
) -> dict[str, Any] | JsonResponse:
    """The callback's JSON object, or the answer refusing it: 401 without the right bearer
    token, 413 when too large, 400 when not a JSON object."""
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        logger.warning("Notify %s refused: missing or wrong bearer token", what)
        return JsonResponse({"error": "unauthorised"}, status=401)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit or len(request.body) > limit:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "not a JSON object"}, status=400)
    return payload


@csrf_exempt
@require_POST
def notify_receipt(request: HttpRequest) -> HttpResponse:
    """Store a delivery receipt once and answer at once; a task applies it to the outbox."""
    token = settings.NOTIFY_CALLBACK_TOKEN
    if not token:
        raise Http404("Delivery receipts are not switched on")
    payload = _callback_payload(request, token, "receipt", MAX_RECEIPT_BYTES)
    if isinstance(payload, HttpResponse):
        return payload
    if not payload.get("id") or not payload.get("status"):
        return JsonResponse({"error": "a receipt needs an id and a status"}, status=400)
    _receipt, created = notify_receipt_store(payload=payload)
    return JsonResponse({"stored": created})


@csrf_exempt
@require_POST
def notify_inbound(request: HttpRequest) -> HttpResponse:
    """Store a received text message once and answer at once; a task acts on it."""
    token = settings.NOTIFY_INBOUND_CALLBACK_TOKEN or settings.NOTIFY_CALLBACK_TOKEN
    if not token:
        raise Http404("Received text messages are not switched on")
    payload = _callback_payload(request, token, "received text", MAX_INBOUND_BYTES)
    if isinstance(payload, HttpResponse):
        return payload
    if (
        not payload.get("id")
        or not payload.get("source_number")
        or not isinstance(payload.get("message"), str)
    ):
        return JsonResponse(
            {"error": "a received text needs an id, a source_number and a message"}, status=400
        )
    _text, created = inbound_text_store(payload=payload)
    return JsonResponse({"stored": created})
