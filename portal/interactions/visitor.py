"""Cookieless visitor keys: a keyed hash of a daily salt, the IP address and the user agent.

The salt is random, shared by every process through the cache, and forgotten after two
days, so a key cannot be linked to an IP address or to the same visitor on another day.
"""

import hashlib
import hmac
import secrets
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.lib.client import client_ip

_SALT_TTL_SECONDS = 2 * 24 * 3600
_local_salts: dict[date, str] = {}


def daily_salt(day: date | None = None) -> str:
    day = day or timezone.localdate()
    salt = _local_salts.get(day)
    if salt is None:
        cache_key = f"interactions:salt:{day.isoformat()}"
        cache.add(cache_key, secrets.token_hex(32), _SALT_TTL_SECONDS)
        salt = cache.get(cache_key)
        _local_salts.clear()  # keep only today's salt in this process
        _local_salts[day] = salt
    return salt


def visitor_key(request) -> str:
    message = f"{client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')}".encode()
    key = f"{settings.SECRET_KEY}:{daily_salt()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
