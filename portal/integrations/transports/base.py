"""What every transport returns or raises (see the package's docstring)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Result:
    """What the other end said when it took a delivery."""

    remote_id: str = ""
    status_code: int | None = None
    detail: str = ""


class DeliveryFailure(Exception):
    def __init__(self, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later (the other end is down, slow or busy)."""


class PermanentFailure(DeliveryFailure):
    """Trying again would fail the same way (refused as invalid, or our configuration is wrong)."""


# HTTP statuses that mean "later": a timeout on their side, too early, too many requests (and 5xx).
TEMPORARY_HTTP = frozenset({408, 425, 429})


def http_timeout() -> float:
    """Seconds to wait for a back office to answer before counting the attempt as timed out
    (``INTEGRATIONS_HTTP_TIMEOUT_SECONDS``, 10 unless set)."""
    return float(getattr(settings, "INTEGRATIONS_HTTP_TIMEOUT_SECONDS", 10))


def http_failure(status_code: int, body: str) -> DeliveryFailure:
    """The failure an HTTP error status means (5xx, 408, 425, 429 temporary; other 4xx permanent)."""
    text = " ".join(body.split())[:500]
    detail = f"HTTP {status_code}: {text}" if text else f"HTTP {status_code}"
    if status_code >= 500 or status_code in TEMPORARY_HTTP:
        return TemporaryFailure(detail, status_code=status_code)
    return PermanentFailure(detail, status_code=status_code)
