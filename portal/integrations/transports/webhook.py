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
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ..payloads import webhook_payload
from .base import PermanentFailure, Result, http_failure
from .net import Reply, http_request

if TYPE_CHECKING:
    from ..models import Delivery, Destination

SIGNATURE_HEADER = "Portal-Signature"
USER_AGENT = "council-portal-webhooks/1"


def webhook_signature(secret: str, timestamp: int, body: bytes | str) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()


def webhook_signature_header(
    secret: str, body: bytes, *, timestamp: int | None = None, previous_secret: str = ""
) -> str:
    """``t=<time>,v1=<signature>``, with a second ``v1=`` made with ``previous_secret`` while a
    replaced secret is still honoured (receivers accept any ``v1`` that matches)."""
    t = int(time.time()) if timestamp is None else timestamp
    header = f"t={t},v1={webhook_signature(secret, t, body)}"
    if previous_secret:
        header += f",v1={webhook_signature(previous_secret, t, body)}"
    return header


def signing_secrets(destination: Destination, *, now: datetime | None = None) -> tuple[str, str]:
    """The destination's secret and, for 24 hours after it was replaced, the one before."""
    now = now or timezone.now()
    until = destination.previous_secret_until
    previous = destination.previous_secret if until is not None and until > now else ""
    return destination.secret, previous


def webhook_body(delivery: Delivery) -> bytes:
    return json.dumps(webhook_payload(delivery), cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def send(delivery: Delivery) -> Result:
    destination = delivery.destination
    if not destination.url:
        raise PermanentFailure("The destination has no URL to send to")
    body = webhook_body(delivery)
    secret, previous = signing_secrets(destination)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature_header(secret, body, previous_secret=previous),
        "Portal-Delivery": str(delivery.pk),
        "Idempotency-Key": str(delivery.pk),
    }
    response = http_request("POST", destination.url, data=body, headers=headers)
    if 300 <= response.status_code < 400:
        raise PermanentFailure(
            f"HTTP {response.status_code}: redirected to {response.headers.get('Location', '?')[:300]}; "
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


def _remote_id(response: Reply) -> str:
    """The receiver's own id for what it took, if its JSON answer gives one (``id``)."""
    try:
        answer = json.loads(response.content)
    except (ValueError, RecursionError):
        return ""
    if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
        return str(answer["id"])[:100]
    return ""
