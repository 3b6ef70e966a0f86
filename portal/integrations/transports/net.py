"""Outgoing HTTP to back offices, made safe to point anywhere a staff member can type.

A destination's URL is typed by staff, so it could name the portal's own network: the
database, the cache, a cloud's metadata service (169.254.169.254, which hands out
credentials). ``address_refusal`` resolves the host and refuses loopback, private,
link-local, shared, reserved and multicast addresses, checked when the destination is saved
(``forms.py``) and again on every send, as a name can be pointed somewhere else later.
``INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES`` (development and the tests' fake servers) allows them.
A name that resolves between our check and the connection could in theory answer
differently; redirects are never followed, so a public host cannot bounce us inward.

``http_request`` also bounds what one call may cost: a reply body is read as a stream up to a
cap (the attempt log keeps a little of it, never megabytes), and the whole call, however
slowly the other end drips its answer, ends by a total deadline well inside the delivery's
lease (``requests``' own timeout bounds each read, not the call).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from django.conf import settings

from ..constants import DELIVERY_LEASE_SECONDS
from .base import PermanentFailure, TemporaryFailure, http_timeout

# What is kept of a reply (a back office's answer is a few hundred bytes).
BODY_CAP_BYTES = 64 * 1024
CHUNK_BYTES = 8 * 1024


def private_addresses_allowed() -> bool:
    return bool(getattr(settings, "INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", False))


def attempt_deadline_seconds() -> float:
    """The most one call may take in all: a fifth of the lease, so an attempt always finishes
    (and records itself) long before ``deliveries_due_run`` would think its worker died."""
    return min(DELIVERY_LEASE_SECONDS / 5, max(http_timeout() * 3, 1.0))


def _address_unsafe(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def address_refusal(url: str) -> str:
    """Why ``url`` may not be sent to ("" when it may): its host is missing, does not resolve,
    or resolves to an address inside a private network (unless allowed by the setting)."""
    if private_addresses_allowed():
        return ""
    host = urlsplit(url).hostname or ""
    if not host:
        return "The address has no host name"
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return f"The host name {host} could not be found"
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            return f"The host {host} has an address the portal cannot check"
        if _address_unsafe(address):
            return (
                f"The host {host} is on a private, local or reserved address ({address}): "
                "the portal does not send to its own network"
            )
    return ""


@dataclass
class Reply:
    """A reply read safely: status, headers, and at most ``BODY_CAP_BYTES`` of body."""

    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def http_request(
    method: str,
    url: str,
    *,
    cap: int = BODY_CAP_BYTES,
    over_cap_error: bool = False,
    timeout: float | None = None,
    **kwargs: Any,
) -> Reply:
    """One HTTP call to a back office: address checked, no redirects, body capped, deadline.

    Raises ``PermanentFailure`` for an address the portal may not reach (before connecting)
    and ``TemporaryFailure`` for no answer (connection refused, timeout, deadline passed).
    With ``over_cap_error`` a body longer than ``cap`` is a ``PermanentFailure`` (an answer
    that must be read whole); otherwise it is cut at ``cap``. ``timeout`` (each wait, seconds)
    is ``INTEGRATIONS_HTTP_TIMEOUT_SECONDS`` unless given.
    """
    refusal = address_refusal(url)
    if refusal:
        raise PermanentFailure(refusal)
    deadline = attempt_deadline_seconds()
    started = time.monotonic()
    timeout = min(http_timeout() if timeout is None else timeout, deadline)
    # Plain bytes, so each read below returns what has arrived (a compressed body could not be
    # cut at the cap).
    kwargs["headers"] = {"Accept-Encoding": "identity", **(kwargs.get("headers") or {})}
    try:
        response = requests.request(
            method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
        )
    except requests.Timeout:
        raise TemporaryFailure(f"No answer within {timeout:g} seconds") from None
    except requests.ConnectionError as exc:
        raise TemporaryFailure(f"Could not connect: {_reason(exc)}") from None
    except requests.RequestException as exc:
        raise PermanentFailure(f"The request could not be made: {_reason(exc)}") from None
    body = bytearray()
    truncated = False
    try:
        while True:
            # ``read1`` returns whatever has arrived (up to a chunk), so a body dripped a byte at
            # a time still reaches the deadline check; each wait is bounded by the timeout.
            chunk = response.raw.read1(CHUNK_BYTES)
            if not chunk:
                break
            body += chunk
            if time.monotonic() - started > deadline:
                raise TemporaryFailure(f"The answer took longer than {deadline:g} seconds in all")
            if len(body) > cap:
                if over_cap_error:
                    raise PermanentFailure(f"The answer was larger than {cap // 1024} KB")
                truncated = True
                del body[cap:]
                break
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise TemporaryFailure(f"The answer was cut off: {_reason(exc)}") from None
    finally:
        response.close()
    return Reply(
        status_code=response.status_code,
        headers=dict(response.headers),
        content=bytes(body),
        truncated=truncated,
    )


def _reason(exc: Exception) -> str:
    return str(exc.args[0] if exc.args else exc)[:300]
