"""The client's address, as every per-client limit and the visitor key must see it.

Behind a reverse proxy or load balancer every request arrives from the proxy's address,
so keying limits on ``REMOTE_ADDR`` would put every resident in one bucket. The proxies in
front of the portal are declared, never guessed from the request:

- ``PORTAL_TRUSTED_PROXIES``: addresses or networks of the proxies (e.g. ``10.0.0.0/8``).
  ``X-Forwarded-For`` is read from the right, skipping trusted addresses; the first
  untrusted one is the client. A request that does not come from a trusted proxy is
  taken at its ``REMOTE_ADDR`` whatever its headers say.
- ``PORTAL_TRUSTED_PROXY_COUNT``: the number of proxies in front of the portal, when
  their addresses are not fixed. The client is that many hops from the right.

With neither set (the default), ``X-Forwarded-For`` is ignored: a client cannot pick its
own bucket by sending the header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "203.0.113.9:443"
        address = address.split(":", 1)[0]
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _trusted(address: IPAddress | None, networks: tuple[IPNetwork, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that made ``request``, as a normalised string ("" if unknown)."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    proxies = tuple(getattr(settings, "PORTAL_TRUSTED_PROXIES", ()) or ())
    count = int(getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 0) or 0)
    if remote is None:
        return ""
    if not proxies and count <= 0:
        return str(remote)
    forwarded = [
        _parse(part) for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    chain = [*forwarded, remote]
    if proxies:
        networks = _networks(proxies)
        if not _trusted(remote, networks):
            return str(remote)
        nearest = remote
        for address in reversed(chain):
            if address is None:
                return str(nearest)  # a malformed hop: nothing to its left can be trusted
            if not _trusted(address, networks):
                return str(address)
            nearest = address
        return str(nearest)  # every hop was a trusted proxy: the leftmost is the closest known
    # A fixed number of hops: the client is ``count`` entries from the right of the chain.
    candidate = chain[0] if len(chain) <= count else chain[-(count + 1)]
    return str(candidate) if candidate is not None else str(remote)
