"""A JSON webhook to a back-office URL, signed as Stripe signs its webhooks (docs/webhooks.md).

``Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the
destination's secret>``. The timestamp is signed with the body, so a receiver that refuses
old timestamps cannot be fed a captured request again later. ``Idempotency-Key`` and
``Portal-Delivery`` carry the delivery's id: every retry and resend of one delivery has the
same id, so a receiver that keeps the ids it has seen takes each submission once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

import requests

from django.core.serializers.json import DjangoJSONEncoder

from ..payloads import webhook_payload
from .base import PermanentFailure, Result, TemporaryFailure, http_failure, http_timeout

if TYPE_CHECKING:
    from ..models import Delivery

SIGNATURE_HEADER = "Portal-Signature"
USER_AGENT = "council-portal-webhooks/1"


def webhook_signature(secret: str, timestamp: int, body: bytes | str) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()


def webhook_signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={webhook_signature(secret, t, body)}"


def webhook_body(delivery: Delivery) -> bytes:
    return json.dumps(webhook_payload(delivery), cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def send(delivery: Delivery) -> Result:
    destination = delivery.destination
    if not destination.url:
        raise PermanentFailure("The destination has no URL to send to")
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature_header(destination.secret, body),
        "Portal-Delivery": str(delivery.pk),
        "Idempotency-Key": str(delivery.pk),
    }
    try:
        response = requests.post(
            destination.url, data=body, headers=headers, timeout=http_timeout(), allow_redirects=False
        )
    except requests.Timeout:
        raise TemporaryFailure(f"No answer within {http_timeout():g} seconds") from None
    except requests.ConnectionError as exc:
        raise TemporaryFailure(f"Could not connect: {_reason(exc)}") from None
    except requests.RequestException as exc:
        raise PermanentFailure(f"The request could not be made: {_reason(exc)}") from None
    if 300 <= response.status_code < 400:
        raise PermanentFailure(
            f"HTTP {response.status_code}: redirected to {response.headers.get('Location', '?')}; "
            "set the destination's URL to where it points",
            status_code=response.status_code,
        )
    if response.status_code >= 400:
        raise http_failure(response.status_code, response.text)
    return Result(
        remote_id=_remote_id(response),
        status_code=response.status_code,
        detail=f"HTTP {response.status_code}",
    )


def _remote_id(response: requests.Response) -> str:
    """The receiver's own id for what it took, if its JSON answer gives one (``id``)."""
    try:
        answer = response.json()
    except ValueError:
        return ""
    if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
        return str(answer["id"])[:100]
    return ""


def _reason(exc: Exception) -> str:
    return str(exc.args[0] if exc.args else exc)[:300]
