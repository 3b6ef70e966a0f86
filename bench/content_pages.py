"""Content pages under a real app server: home page, a service page and an API list call,
each against a minimal Django view on the same server in the same run.

The minimal view is ``/healthz`` (one ``SELECT 1`` through Django's full middleware stack,
no template). The portal runs under gunicorn (``portal.wsgi``, one sync worker) with the
test settings on a throwaway database: a file SQLite database in a temporary directory
(WAL mode unless ``BENCH_SQLITE_WAL=0``), or, when ``DATABASE_URL`` points at PostgreSQL,
a ``<name>_bench`` database beside it (created and dropped here). ``REDIS_URL`` is
honoured for the cache. The demo content (``cms.demo``, 20+ services) is loaded first.

Requests are sequential over loopback, interleaved in rounds so drift affects every URL
equally, and bounded (``rounds`` x ``per_round`` per URL). Prints requests per second and
p50/p95 latency, and the ratio of each to the minimal view. Target: within 3x.

Requests carry no cookies, like most visitors', so pages and API calls come from the
anonymous page cache after the first (``cms.page_cache``); ``CMS_PAGE_CACHE_ENABLED=0``
measures full rendering (fragment caches only) instead.

    .venv/bin/python bench/content_pages.py [per-round] [rounds]
"""

import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from _setup import ROOT

sys.path.insert(0, str(ROOT))

from tests.servers import portal_server, run_manage

TARGET = 3.0
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 Safari/537.36"


def _postgres_bench_database(url: str):
    """A fresh ``<name>_bench`` database beside DATABASE_URL's; returns (url, drop)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "portal"
    bench_name = f"{name}_bench"
    admin_url = parts._replace(path="/postgres").geturl()

    def execute(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
    execute(f'CREATE DATABASE "{bench_name}"')
    return parts._replace(path=f"/{bench_name}").geturl(), lambda: execute(
        f'DROP DATABASE IF EXISTS "{bench_name}"'
    )


def _get(base: str, path: str) -> tuple[float, int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    accept = "application/json" if path.startswith("/api/") else "text/html,application/xhtml+xml,*/*;q=0.8"
    started = time.perf_counter()
    conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, response.status, body


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main(per_round: int = 100, rounds: int = 5) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    drop = None
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url, drop = _postgres_bench_database(database_url)
    else:
        # WAL and synchronous=NORMAL, as SQLite should run behind a web server (each page
        # view's log INSERT commits); BENCH_SQLITE_WAL=0 keeps SQLite's rollback journal.
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        if os.environ.get("BENCH_SQLITE_WAL", "1") != "0":
            database_url += "?init_command=PRAGMA+journal_mode%3DWAL%3BPRAGMA+synchronous%3DNORMAL"
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_KEY_PREFIX": f"bench-{os.getpid()}",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    try:
        for args in (
            ("migrate", "--noinput", "-v0"),
            ("createcachetable",),
            ("shell", "-c", "from cms.demo import demo_content_load; demo_content_load()"),
        ):
            result = run_manage(*args, env=env, timeout=600)
            if result.returncode:
                raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        with portal_server(env) as base:
            _, status, body = _get(base, "/api/v2/services/?limit=1")
            assert status == 200, body[:500]
            service_path = urlsplit(json.loads(body)["items"][0]["meta"]["html_url"]).path
            urls = {
                "minimal view (/healthz)": "/healthz",
                "home page": "/",
                f"service page ({service_path})": service_path,
                "API list (/api/v2/pages/?limit=20)": "/api/v2/pages/?limit=20",
            }
            for path in urls.values():  # warm up: caches filled, connections opened
                for _ in range(10):
                    _, status, body = _get(base, path)
                    assert status == 200, (path, status, body[:300])
            samples: dict[str, list[float]] = {label: [] for label in urls}
            wall: dict[str, float] = dict.fromkeys(urls, 0.0)
            for _ in range(rounds):
                for label, path in urls.items():
                    started = time.perf_counter()
                    for _ in range(per_round):
                        elapsed, status, _ = _get(base, path)
                        assert status == 200, (path, status)
                        samples[label].append(elapsed)
                    wall[label] += time.perf_counter() - started
        baseline = next(iter(urls))
        base_rps = len(samples[baseline]) / wall[baseline]
        base_p50 = statistics.median(samples[baseline])
        database = database_url.split(":", 1)[0] + (" (WAL)" if "WAL" in database_url else "")
        cache_backend = "redis" if env.get("REDIS_URL") else "database cache"
        page_cache = (
            "off" if os.environ.get("CMS_PAGE_CACHE_ENABLED", "1").lower() in ("0", "false", "no") else "on"
        )
        print(
            f"gunicorn, 1 sync worker, {database}, {cache_backend}, anonymous page cache {page_cache}, "
            f"{rounds} x {per_round} requests per URL"
        )
        print(f"{'':40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10} {'req/s ratio':>12}")
        worst = 0.0
        for label in urls:
            rps = len(samples[label]) / wall[label]
            p50 = statistics.median(samples[label])
            p95 = _percentile(samples[label], 95)
            ratio = p50 / base_p50
            if label != baseline:
                worst = max(worst, ratio, base_rps / rps)
            figures = f"{rps:8.1f} {p50 * 1000:8.2f} {p95 * 1000:8.2f} {ratio:10.2f} {base_rps / rps:12.2f}"
            print(f"{label:40} {figures}")
        verdict = "OK" if worst <= TARGET else "OVER"
        print(f"worst ratio against the minimal view: {worst:.2f} (target <= {TARGET}) {verdict}")
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
