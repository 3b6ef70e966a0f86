"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new
``redis.Redis`` for every cache operation. The connection comes from a shared pool, but the
client's own set-up (its table of about 170 response callbacks) runs each time: on a page
served from the page cache that set-up cost more than the Redis round trip itself. A
``redis.Redis`` is safe to share between threads (each command takes a connection from the
pool), so one per pool is kept and reused. Everything else is Django's backend unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[bool, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # One for writes, one for reads (with read replicas, each process keeps to one).
        client = self._clients.get(write)
        if client is None:
            client = self._clients[write] = super().get_client(key, write=write)
        return client


class PortalRedisCache(RedisCache):
    """``CACHES`` backend: Django's ``RedisCache`` reusing its Redis clients."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
