"""How a delivery reaches its destination: one module per kind, each with ``send(delivery)``.

``send`` returns a ``Result`` when the other end took the submission, or raises
``TemporaryFailure`` (worth trying again: a timeout, a refused connection, HTTP 5xx or 429)
or ``PermanentFailure`` (trying again would fail the same way: HTTP 4xx other than 408/429, a
destination with no address). ``deliveries.delivery_attempt`` records either in the attempt
log; anything else a transport raises is caught there too, and counted as temporary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..constants import DestinationKind
from . import email, open311, webhook
from .base import DeliveryFailure, PermanentFailure, Result, TemporaryFailure, http_failure

if TYPE_CHECKING:
    from ..models import Delivery

__all__ = [
    "DeliveryFailure",
    "PermanentFailure",
    "Result",
    "TemporaryFailure",
    "http_failure",
    "transport_for",
]

_SENDERS: dict[str, Callable[[Delivery], Result]] = {
    DestinationKind.EMAIL: email.send,
    DestinationKind.WEBHOOK: webhook.send,
    DestinationKind.OPEN311: open311.send,
}


def transport_for(kind: str) -> Callable[[Delivery], Result]:
    """The ``send`` function for a destination kind."""
    try:
        return _SENDERS[kind]
    except KeyError:
        raise PermanentFailure(f"Unknown destination kind {kind!r}") from None
