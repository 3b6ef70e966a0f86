"""API keys for other systems: made once and shown once, kept hashed, revocable, rate-limited,
and every use audited (``ApiKeyUse``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.lib.client import client_ip
from portal.lib.ratelimit import ratelimit_hit, ratelimit_retry_after

from ..constants import ApiScope
from ..models import ApiClient, ApiKeyUse

if TYPE_CHECKING:
    from accounts.models import User

KEY_PREFIX = "cpk_"
# A made-up key is audited at most once in this many seconds per address.
UNKNOWN_KEY_AUDIT_SECONDS = 60
# ``last_used_at`` is written at most this often per client, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(Exception):
    """A call that can't go on: ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int, retry_after: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class NewKey:
    client: ApiClient
    key: str  # shown once, never stored


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = KEY_PREFIX + secrets.token_hex(4)
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    created_by: User | None,
    rate_limit_per_minute: int = 60,
    contact_email: str = "",
) -> NewKey:
    """Make an API client and its key. The key is returned here and never again."""
    unknown = set(scopes) - set(ApiScope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {sorted(unknown)}")
    prefix, key = _new_key()
    client = ApiClient.objects.create(
        name=name,
        scopes=sorted(scopes),
        rate_limit_per_minute=rate_limit_per_minute,
        contact_email=contact_email,
        key_prefix=prefix,
        key_hash=api_key_hash(key),
        created_by=created_by,
    )
    return NewKey(client=client, key=key)


@transaction.atomic
def api_client_rotate(*, client: ApiClient) -> NewKey:
    """Give ``client`` a new key; the old one stops working at once."""
    prefix, key = _new_key()
    ApiClient.objects.filter(pk=client.pk).update(key_prefix=prefix, key_hash=api_key_hash(key))
    client.refresh_from_db()
    return NewKey(client=client, key=key)


def api_client_revoke(*, client: ApiClient, by: User | None) -> bool:
    """Stop ``client``'s key working. Returns False if it was already revoked."""
    return bool(
        ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    )


def request_api_key(request: HttpRequest) -> str:
    """The key a call carries: ``Authorization: Bearer``, ``X-Api-Key``, or (as Open311 sends
    it) an ``api_key`` form field or query parameter."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.headers.get("X-Api-Key"):
        return request.headers["X-Api-Key"].strip()
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        key = request.POST.get("api_key", "")
        if key:
            return key.strip()
    return request.GET.get("api_key", "").strip()


def api_client_authenticate(request: HttpRequest, *, scope: str) -> ApiClient:
    """The active client whose key ``request`` carries, allowed ``scope`` and within its rate.

    Raises ``ApiKeyError`` (401 no or unknown key, 403 revoked or not allowed, 429 over the
    rate). Every refusal is audited by ``api_key_use_record`` at the caller.
    """
    key = request_api_key(request)
    if not key:
        raise ApiKeyError("An API key is required", status=401)
    client = ApiClient.objects.filter(key_hash=api_key_hash(key)).first()
    if client is None or not hmac.compare_digest(client.key_hash, api_key_hash(key)):
        raise ApiKeyError("The API key is not valid", status=401)
    request.api_client = client  # type: ignore[attr-defined]  # for the audit of a refusal below
    if client.is_revoked:
        raise ApiKeyError("The API key has been revoked", status=403)
    if not client.has_scope(scope):
        raise ApiKeyError(f"The API key is not allowed to do this ({ApiScope(scope).label})", status=403)
    rate_key = f"apikey:{client.pk}"
    if ratelimit_hit(rate_key, limit=client.rate_limit_per_minute, window_seconds=60):
        raise ApiKeyError(
            "Too many requests with this API key",
            status=429,
            retry_after=ratelimit_retry_after(rate_key, window_seconds=60),
        )
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def api_key_use_record(
    request: HttpRequest, *, client: ApiClient | None, status_code: int, detail: str = ""
) -> ApiKeyUse | None:
    """Audit one call that carried a key (a call with none is not an API use, and not kept).

    A key no client has is kept at most once a minute per address: there is no client to tell,
    and each made-up key would otherwise add a row (the address's rate limit counts them all).
    """
    if client is None:
        if not request_api_key(request):
            return None
        if not cache.add(
            f"apikey:unknown-audit:{client_ip(request) or 'unknown'}", 1, UNKNOWN_KEY_AUDIT_SECONDS
        ):
            return None
    return ApiKeyUse.objects.create(
        client=client,
        method=request.method or "",
        path=request.path[:300],
        status_code=status_code,
        client_address=client_ip(request) or None,
        detail=detail[:300],
    )
