"""The front door under load: the portal's main pages against a bare Django view, same run.

The baseline is a bare Django project (``bench/bare_site``: one view returning 2 KB through
Django's default middleware). Each server is gunicorn with 2 sync workers; the load is
``wrk`` with 8 connections for ``seconds`` per URL (Debian's ``wrk``; without it, a Python
client with 8 threads). Prints requests per second, the ratio to the bare view, and the
target for each:

* an anonymous council page from the page cache, page-view logging on: >= 0.5x bare;
* page-view logging overhead on a cached page (logging off / on): <= 1.05;
* an uncached council page (page cache off): >= 0.1x bare;
* My account and a case page, signed in: >= 0.1x bare;
* site search (``/search/``, not in the page cache): a repeated query, served from the
  cached search, and a stream of distinct queries, each searched for the first time
  (``wrk`` rotates over realistic queries through a Lua script written to the run's temp
  directory): >= 0.2x bare each.

PostgreSQL (``DATABASE_URL``, a ``<name>_bench`` database beside it) and Redis
(``REDIS_URL``) as in production; the demo content is loaded first.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/front_door.py [seconds]
"""

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _setup import ROOT

sys.path.insert(0, str(ROOT))

from content_pages import _postgres_bench_database

from tests.servers import portal_server, run_manage

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 Safari/537.36"
CONNECTIONS = 8
WRK_THREADS = 2

# What residents type into a council's search box. Each is asked in several ways ("how do
# I ...", with a question mark), each a query of its own to the search cache, so the stream
# of distinct queries below searches afresh every time (about 1,300 of them).
SEARCHES = [
    "bins",
    "bin collection",
    "missed bin",
    "bin day",
    "new bin",
    "wheelie bin",
    "rubbish",
    "bulky waste",
    "sofa collection",
    "garden waste",
    "green bin",
    "recycling",
    "tip opening times",
    "recycling centre",
    "council tax",
    "pay council tax",
    "council tax band",
    "single person discount",
    "ctax",
    "moving home",
    "parking permit",
    "parking fine",
    "pcn",
    "blue badge",
    "pothole",
    "report a pothole",
    "street light",
    "fly tipping",
    "gritting",
    "snow",
    "library",
    "library opening hours",
    "renew library books",
    "planning permission",
    "planning application",
    "homeless",
    "housing",
    "pay a bill",
    "pay an invoice",
    "contact",
    "phone number",
    "complaint",
]
ASKED = [
    "{}", "how do i {}", "how can i {}", "how to {}", "how do you {}", "where is {}",
    "where is my {}", "where do i {}", "where can i {}", "what is {}", "what is the {}",
    "when is my {}", "when is the {}", "why is my {}", "who do i ask about {}", "can i {}",
    "can you {}", "is there {}", "is there a {}", "what about {}", "my {}", "the {}", "a {}",
    "{}?", "how do i {}?", "what is {}?", "where is {}?", "can i {}?", "{} for me", "{} for my",
    "{} in my",
]  # fmt: skip


def _wrk(url: str, seconds: int, cookie: str = "", script: Path | None = None) -> float:
    """Requests a second at ``url``; with ``script``, wrk's Lua script chooses each request's path."""
    if shutil.which("wrk"):
        command = [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "-H",
            f"User-Agent: {USER_AGENT}",
        ]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        if script:
            command += ["-s", str(script)]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        if "Non-2xx" in output:
            raise SystemExit(f"{url} answered errors under load:\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return _python_load(url, seconds, cookie)


def _search_paths() -> list[str]:
    """Distinct search URLs, the realistic queries asked in each way, interleaved."""
    return [f"/search/?{urlencode({'q': asked.format(q)})}" for asked in ASKED for q in SEARCHES]


def _search_stream_script(workdir: Path, paths: list[str]) -> Path:
    """A wrk script: each thread walks the paths from its own place, never asking one twice
    until every one has been asked."""
    listed = ",\n".join(f'  "{path}"' for path in paths)
    script = workdir / "search_stream.lua"
    script.write_text(
        f"""local paths = {{
{listed}
}}
local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
local next_index = nil
function request()
  if next_index == nil then next_index = first end
  local path = paths[(next_index % #paths) + 1]
  next_index = next_index + {WRK_THREADS}
  return wrk.format("GET", path)
end
"""
    )
    return script


def _python_load(url: str, seconds: int, cookie: str, paths: list[str] | None = None) -> float:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    counts = [0] * CONNECTIONS
    stop = time.monotonic() + seconds
    rotation = iter(paths * 100) if paths else None
    lock = threading.Lock()

    def run(slot: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
        while time.monotonic() < stop:
            target = path
            if rotation is not None:
                with lock:
                    target = next(rotation)
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{url}: {response.status}")
            counts[slot] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def _check(url: str, cookie: str = "") -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    for _ in range(3):  # warm: caches filled
        conn.request(
            "GET", path, headers={"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
        )
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: {response.status}\n{body[:500]!r}")


SIGNED_IN = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from portal.cases.models import Case
user = User.objects.filter(email="resident@example.com").first() or User.objects.filter(
    is_staff=False, cases__isnull=False).first()
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
case = Case.objects.filter(resident=user).order_by("-created_at").first()
print(store.session_key, case.reference if case else "")
"""


def main(seconds: int = 5) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        raise SystemExit("Run on PostgreSQL with Redis: set DATABASE_URL and REDIS_URL (see the docstring)")
    database_url, drop = _postgres_bench_database(database_url)
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_KEY_PREFIX": f"bench-{os.getpid()}",
        "INTERACTIONS_PAGE_VIEW_BUFFER": "1",
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",
    }
    try:
        for args in (("migrate", "--noinput", "-v0"), ("load_demo",)):
            result = run_manage(*args, env=env, timeout=900)
            if result.returncode:
                raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        result = run_manage("shell", "-c", SIGNED_IN, env=env)
        session_key, reference = result.stdout.split()[-2:] if result.stdout.strip() else ("", "")
        cookie = f"sessionid={session_key}"
        result = run_manage(
            "shell",
            "-c",
            "from cms.models import ServicePage; "
            "print(ServicePage.objects.live().order_by('pk').first().url)",
            env=env,
        )
        service = result.stdout.strip().splitlines()[-1]
        figures: list[tuple[str, float, float | None, str]] = []
        with portal_server({}, workers=2, app="bare_site.wsgi", cwd=ROOT / "bench") as bare:
            _check(bare + "/")
            baseline = _wrk(bare + "/", seconds)
        runs = [
            ("cached", {}, ["/", service]),
            ("cached, logging off", {"INTERACTIONS_ENABLED": "0"}, [service]),
            ("uncached", {"CMS_PAGE_CACHE_ENABLED": "0"}, [service]),
        ]
        results: dict[tuple[str, str], float] = {}
        for label, extra, paths in runs:
            with portal_server({**env, **extra}, workers=2) as base:
                for path in paths:
                    _check(base + path)
                    results[(label, path)] = _wrk(base + path, seconds)
                if label == "cached":
                    for path in ["/my-account/", f"/my-account/cases/{reference}/"]:
                        _check(base + path, cookie)
                        results[("signed in", path)] = _wrk(base + path, seconds, cookie)
                    repeated = "/search/?q=bins"
                    _check(base + repeated)
                    results[("search, repeated", repeated)] = _wrk(base + repeated, seconds)
                    search_paths = _search_paths()
                    _check(base + "/search/?q=warm+up")  # the shared caches: synonyms, scope
                    if shutil.which("wrk"):
                        stream = _wrk(
                            base + "/search/", seconds, script=_search_stream_script(workdir, search_paths)
                        )
                    else:
                        stream = _python_load(base + "/search/", seconds, "", search_paths)
                    results[("search, distinct queries", f"{len(search_paths)} queries")] = stream
                    if stream * seconds > len(search_paths):
                        asked = f"{stream * seconds:,.0f} searches"
                        print(f"note: {asked} > {len(search_paths)} distinct queries: some were repeats")
        cached = results[("cached", service)]
        logging_off = results[("cached, logging off", service)]
        targets = {
            "cached": 0.5,
            "uncached": 0.1,
            "signed in": 0.1,
            "search, repeated": 0.2,
            "search, distinct queries": 0.2,
        }
        for (label, path), rps in results.items():
            figures.append((f"{label}: {path}", rps, targets.get(label), ""))
        print(
            f"bare Django view (2 KB, default middleware): {baseline:,.0f} req/s  "
            f"(gunicorn 2 workers, wrk -c{CONNECTIONS})"
        )
        for name, rps, target, _ in figures:
            ratio = rps / baseline
            verdict = (
                "" if target is None else (f"target >= {target}x " + ("OK" if ratio >= target else "UNDER"))
            )
            print(f"{name:<55} {rps:>8,.0f} req/s  {ratio:5.3f}x bare  {verdict}")
        overhead = logging_off / cached
        print(
            f"page-view logging overhead on a cached page (off/on): {overhead:.3f}  "
            f"(target <= 1.05) {'OK' if overhead <= 1.05 else 'OVER'}"
        )
    finally:
        drop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
