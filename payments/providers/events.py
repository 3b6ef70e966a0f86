"""Verifying and reading Stripe-shaped webhook events, which both providers send.

A delivery is accepted only if all of these hold, otherwise nothing in it is stored or
acted on (``WebhookVerificationError``, answered 400):

* Stripe's ``Stripe-Signature`` scheme verifies with the provider's secret;
* it was signed at most ``PAYMENTS_WEBHOOK_TOLERANCE`` seconds ago, and at most as far in
  the future (stripe-python only checks the past, so a signature dated ahead would stay
  replayable for as long as it is dated ahead);
* the body is an event the portal can store and read: a JSON object with a string ``id``
  and ``type`` and a ``data.object`` object, finite numbers only, and no text a database
  cannot hold (NUL characters, lone surrogates).
"""

import json
import math
import time
from typing import Any

import stripe

from .base import WebhookMalformedError, WebhookMessage, WebhookVerificationError

MAX_EVENT_ID = 255
MAX_TYPE = 100
MAX_DEPTH = 32


def _signed_at(header: str) -> int:
    """The ``t=`` timestamp of a ``Stripe-Signature`` header (already verified)."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise WebhookVerificationError("The signature has no timestamp")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not allowed")


def _check_text(value: str) -> None:
    if "\x00" in value:
        raise WebhookMalformedError("The event contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WebhookMalformedError("The event contains text that is not valid Unicode") from exc


def _check_values(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise WebhookMalformedError("The event is nested too deeply")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_values(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_values(item, depth + 1)


def event_parse(body: bytes) -> WebhookMessage:
    """A verified body as a ``WebhookMessage``; raises ``WebhookMalformedError``."""
    try:
        payload = json.loads(body, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise WebhookMalformedError(f"Not a JSON event: {str(exc)[:200]}") from exc
    if not isinstance(payload, dict):
        raise WebhookMalformedError("The event is not a JSON object")
    event_id, kind, data = payload.get("id"), payload.get("type"), payload.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID:
        raise WebhookMalformedError(f"The event has no id of up to {MAX_EVENT_ID} characters")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_TYPE:
        raise WebhookMalformedError(f"The event has no type of up to {MAX_TYPE} characters")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise WebhookMalformedError("The event has no data.object")
    _check_values(payload)
    return WebhookMessage(event_id=event_id, type=kind, payload=payload)


def event_verify(body: bytes, signature: str, *, secret: str, tolerance: int) -> WebhookMessage:
    """Verify a delivery signed with Stripe's scheme and parse it (see the module docstring)."""
    try:
        stripe.WebhookSignature.verify_header(body, signature, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise WebhookVerificationError(str(exc)) from exc
    except ValueError as exc:  # a body that is not UTF-8
        raise WebhookVerificationError(f"The body is not text: {str(exc)[:200]}") from exc
    try:
        signed_at = _signed_at(signature)
    except ValueError as exc:
        raise WebhookVerificationError("The signature's timestamp is not a number") from exc
    if tolerance and signed_at > time.time() + tolerance:
        raise WebhookVerificationError(f"The signature is dated in the future ({signed_at})")
    return event_parse(body)
