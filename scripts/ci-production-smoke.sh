#!/usr/bin/env bash
# The README's production steps, end to end, as CI runs them: production settings on a
# fresh PostgreSQL database of its own, `migrate`, `createcachetable`, `collectstatic`,
# gunicorn on a free loopback port, then a few pages fetched through it (health check,
# home page, sign-in page, a static file from the manifest served by WhiteNoise, and the
# admin's redirect to the portal's sign-in), and `db_worker --batch`. Any failure exits
# non-zero. The database and the collected static files are removed afterwards.
#
#   CI_DATABASE_URL   PostgreSQL server to use (its database name is replaced by a
#                     scratch one; default postgres://postgres@127.0.0.1:5432/portal)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG_URL=${CI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}
PG_SERVER=${PG_URL%/*}
DB_NAME="portal_smoke_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portal-smoke.XXXXXX")
GUNICORN_PID=""

log() { printf '  - %s\n' "$*"; }
# SQL on the server's maintenance database (psycopg from .venv, so psql is not needed).
pg() {
  $PY -c 'import sys, psycopg; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])' \
    "$PG_SERVER/postgres" "$1"
}

cleanup() {
  local status=$?
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$WORK/gunicorn.log" ]; then
    echo "--- gunicorn log ---" >&2
    tail -n 80 "$WORK/gunicorn.log" >&2
  fi
  pg "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  [ "$status" -eq 0 ] || echo "Production smoke test FAILED (exit $status)" >&2
  exit "$status"
}
trap cleanup EXIT

# The environment the README's "Production" section asks for. No REDIS_URL, so the
# database cache (and `createcachetable`) is exercised; SECURE_SSL_REDIRECT stays on and
# requests carry X-Forwarded-Proto: https as the TLS-terminating proxy would send.
unset REDIS_URL TASKS_BACKEND CACHE_KEY_PREFIX
export DJANGO_SETTINGS_MODULE=portal.settings.production
export SECRET_KEY="smoke-$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
export ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="$PG_SERVER/$DB_NAME"
export SITE_URL=https://127.0.0.1
export STATIC_ROOT="$WORK/static"
# Nothing listens on the discard port: any email fails and is retried, none leaves.
export SMTP_HOST=127.0.0.1 SMTP_PORT=9
# The sandbox payment provider must be allowed explicitly in production.
export PAYMENTS_SANDBOX_TAKES_NO_MONEY=true

log "create database $DB_NAME"
pg "CREATE DATABASE \"$DB_NAME\""

log "migrate"
$PY manage.py migrate --noinput -v0
log "createcachetable"
$PY manage.py createcachetable
log "collectstatic --noinput"
$PY manage.py collectstatic --noinput -v0
test -s "$STATIC_ROOT/staticfiles.json"

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "gunicorn on 127.0.0.1:$PORT"
.venv/bin/gunicorn portal.wsgi --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!

log "fetch pages"
$PY - "http://127.0.0.1:$PORT" "$STATIC_ROOT/staticfiles.json" "$GUNICORN_PID" <<'PYTHON'
import http.client
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

base, manifest_path, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = urlsplit(base)
PROXY = {"X-Forwarded-Proto": "https"}


def get(path, headers=PROXY):
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")
    print(f"    ok  {message}")


deadline = time.monotonic() + 90
while True:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("FAILED: gunicorn exited before serving")
    try:
        status, headers, body = get("/healthz")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("FAILED: gunicorn did not answer within 90 seconds")
        time.sleep(0.25)

check(status == 200 and json.loads(body).get("database") == "ok", f"/healthz is 200 ({status})")

status, headers, _ = get("/accounts/login/", headers={})
check(
    status in (301, 302) and headers.get("Location", "").startswith("https://"),
    f"plain http is redirected to https ({status} {headers.get('Location')})",
)

status, headers, body = get("/")
check(status == 200 and b"<html" in body, f"home page / is 200 ({status})")

status, headers, login_page = get("/accounts/login/")
check(status == 200, f"/accounts/login/ is 200 ({status})")

manifest = json.load(open(manifest_path))["paths"]
css = manifest["css/portal.css"]
check(css != "css/portal.css", f"portal.css has a hashed name in the manifest ({css})")
check(f"/static/{css}".encode() in login_page, "the sign-in page links the hashed stylesheet")

status, headers, stylesheet = get(f"/static/{css}")
check(
    status == 200 and headers.get("Content-Type", "").startswith("text/css"),
    f"WhiteNoise serves /static/{css} ({status})",
)
check("immutable" in headers.get("Cache-Control", ""), "hashed static files are cached as immutable")
for url in sorted(set(re.findall(rb'url\("?([^")]+)"?\)', stylesheet))):
    if url.startswith(b"data:"):
        continue
    path = "/static/css/" + url.decode() if not url.startswith(b"/") else url.decode()
    path = os.path.normpath(path)
    status, _, _ = get(path)
    check(status == 200, f"the stylesheet's {url.decode()} is served ({status})")

status, headers, _ = get("/admin/")
location = urlsplit(headers.get("Location", ""))
check(
    status == 302 and location.path == "/accounts/login/",
    f"/admin/ redirects to the sign-in page ({status} {headers.get('Location')})",
)
status, _, _ = get(f"{location.path}?{location.query}")
check(status == 200, f"the admin's sign-in page {location.path}?{location.query} is 200 ({status})")
PYTHON

log "stop gunicorn"
kill "$GUNICORN_PID"
wait "$GUNICORN_PID" || { echo "gunicorn did not stop cleanly" >&2; exit 1; }
GUNICORN_PID=""
if grep -E "Traceback|ERROR" "$WORK/gunicorn.log" >&2; then
  echo "gunicorn logged errors (above)" >&2
  exit 1
fi

log "db_worker --batch"
timeout 300 $PY manage.py db_worker --batch >"$WORK/worker.log" 2>&1 \
  || { cat "$WORK/worker.log" >&2; exit 1; }

echo "Production smoke test passed"
