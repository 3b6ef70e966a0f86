"""A database outage: cached pages still served, every other page 503, nothing logged lost.

The portal runs under gunicorn (the production server) with PostgreSQL reached through a
TCP proxy the test cuts and restores, and Redis as the cache (page cache and page-view
buffer). PostgreSQL and Redis only: the SQLite run skips it.
"""

import os
import time
import urllib.error
import urllib.request
import uuid

import pytest

from django.db import connection

from portal.interactions.models import Interaction
from tests.fakes.tcp_proxy import TcpProxy
from tests.servers import portal_server

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
        reason="needs PostgreSQL and Redis (the CI's PostgreSQL run)",
    ),
]

AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156"


def _get(url: str) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"User-Agent": AGENT})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_cached_pages_stay_up_and_the_rest_says_try_again(site):
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    env = {
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CACHE_KEY_PREFIX": f"outage-{uuid.uuid4().hex[:8]}",
        "INTERACTIONS_PAGE_VIEW_BUFFER": "1",
        "INTERACTIONS_BUFFER_FLUSH_SECONDS": "0.2",
    }
    try:
        with portal_server(env) as base:
            for _ in range(2):
                assert _get(base + "/bins/missed-bin/")[0] == 200
            assert _get(base + "/healthz")[0] == 200
            before = Interaction.objects.filter(path="/bins/missed-bin/").count()

            proxy.cut()
            for _ in range(3):
                status, _, body = _get(base + "/bins/missed-bin/")
                assert status == 200 and "Report a missed bin" in body
            status, headers, body = _get(base + "/news/?page=2&x=1")  # never cached
            assert status == 503, (status, _get(base + "/healthz"), body[:3000])
            assert "Sorry, the service is unavailable" in body and "Try again" in body
            assert headers.get("Retry-After") == "30"
            assert _get(base + "/healthz")[0] == 503

            proxy.restore()
            started = time.monotonic()
            while _get(base + "/news/?page=2&x=1")[0] == 503:
                assert time.monotonic() - started < 1.0, "not recovered within a second"
                time.sleep(0.05)
            # The page views made during the outage were kept in Redis and are written now.
            deadline = time.monotonic() + 5
            while Interaction.objects.filter(path="/bins/missed-bin/").count() < before + 3:
                assert time.monotonic() < deadline, "page views made during the outage were lost"
                time.sleep(0.1)
    finally:
        proxy.close()
