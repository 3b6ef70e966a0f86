"""GOV.UK Notify's callbacks: delivery receipts, authenticated by the bearer token set on Notify."""

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import notify_receipt_store

logger = logging.getLogger("portal.notifications")

# A receipt is a few hundred bytes; anything much larger is not from Notify.
MAX_RECEIPT_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def notify_receipt(request: HttpRequest) -> HttpResponse:
    """Store a delivery receipt once and answer at once; a task applies it to the outbox."""
    token = settings.NOTIFY_CALLBACK_TOKEN
    if not token:
        raise Http404("Delivery receipts are not switched on")
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        logger.warning("Notify receipt refused: missing or wrong bearer token")
        return JsonResponse({"error": "unauthorised"}, status=401)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_RECEIPT_BYTES or len(request.body) > MAX_RECEIPT_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    if not isinstance(payload, dict) or not payload.get("id") or not payload.get("status"):
        return JsonResponse({"error": "a receipt needs an id and a status"}, status=400)
    _receipt, created = notify_receipt_store(payload=payload)
    return JsonResponse({"stored": created})
