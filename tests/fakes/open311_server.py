"""A back office's Open311 (GeoReport v2) server: a real HTTP server on 127.0.0.1, standing in
for a highways or waste system the portal files requests into and reads updates from.

Serves, under ``/open311/v2``:

* ``POST requests.json|xml`` (form-encoded, ``api_key`` required): answers
  ``[{"service_request_id": ..., "service_notice": ..., "account_id": null}]``, or
  ``[{"token": ...}]`` while ``answer_with_token`` is set; refusals in the spec's error format.
* ``GET requests/{id}.json|xml``: the request as the spec shows it.
* ``GET servicerequestupdates.json|xml?start_date=&end_date=`` (FixMyStreet's extension):
  ``{"service_request_updates": [{"update_id", "service_request_id", "status",
  "updated_datetime", "description", "media_url"}]}``, the updates whose time is within the
  range (``add_update`` adds them).

``received`` keeps every POSTed request as a dict of its fields (a repeated field, such as
``attribute[x][]``, as a list). ``fail_next`` and ``hang_next`` make the next requests fail
or answer late; ``stop`` closes the port (an outage). Any path under ``/open311/v2/moved/``
answers 302 to the same path without ``moved/`` (a server that has moved).

The ``fake_open311`` fixture starts one.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest

API_KEY = "o311-test-key-7f3a"
SERVICE_CODE = "POT-001"
PREFIX = "/open311/v2"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Update:
    update_id: str
    service_request_id: str
    status: str
    updated_datetime: str
    description: str = ""
    media_url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "update_id": self.update_id,
            "service_request_id": self.service_request_id,
            "status": self.status,
            "updated_datetime": self.updated_datetime,
            "description": self.description,
            "media_url": self.media_url,
        }


@dataclass
class Filed:
    """A request the fake took."""

    service_request_id: str
    fields: dict[str, Any]
    status: str = "open"
    requested_datetime: str = field(default_factory=_now)


class FakeOpen311:
    def __init__(self, *, api_key: str = API_KEY, service_code: str = SERVICE_CODE) -> None:
        self.api_key = api_key
        self.service_code = service_code
        self.received: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, int]] = []  # (method, path with query, status) of every call
        self.filed: dict[str, Filed] = {}
        self.updates: list[Update] = []
        self.answer_with_token = False
        # As FixMyStreet: at most this many updates an answer (the oldest first), and a window
        # longer than ``max_window_days`` refused with 400, as GeoReport servers do.
        self.updates_limit = 1000
        self.max_window_days = 90
        self._failures: deque[int] = deque()
        self._hangs: deque[float] = deque()
        self._lock = threading.Lock()
        self._counter = 1000
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{PREFIX}"

    def start(self) -> FakeOpen311:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-open311", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def hang_next(self, seconds: float) -> None:
        with self._lock:
            self._hangs.append(seconds)

    def add_update(
        self,
        service_request_id: str,
        status: str,
        description: str = "",
        updated_datetime: str | datetime | None = None,
        update_id: str | None = None,
        media_url: str = "",
    ) -> Update:
        if isinstance(updated_datetime, datetime):
            updated_datetime = updated_datetime.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        update = Update(
            update_id=update_id or uuid.uuid4().hex[:12],
            service_request_id=str(service_request_id),
            status=status,
            updated_datetime=updated_datetime or _now(),
            description=description,
            media_url=media_url,
        )
        with self._lock:
            self.updates.append(update)
            if update.service_request_id in self.filed:
                self.filed[update.service_request_id].status = (
                    "closed"
                    if status.lower()
                    in (
                        "closed",
                        "fixed",
                        "resolved",
                    )
                    else "open"
                )
        return update

    def _next(self) -> tuple[int | None, float]:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            hang = self._hangs.popleft() if self._hangs else 0.0
        return failure, hang

    def _file(self, fields: dict[str, Any]) -> Filed:
        with self._lock:
            self._counter += 1
            filed = Filed(service_request_id=str(self._counter), fields=fields)
            self.filed[filed.service_request_id] = filed
        return filed


def _errors(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> str:
    def one(row: dict[str, Any]) -> str:
        cells = "".join(
            f"<{k}>{escape('' if v is None else str(v))}</{k}>"
            for k, v in row.items()
            if not isinstance(v, dict)
        )
        return f"<{item}>{cells}</{item}>"

    return f'<?xml version="1.0" encoding="utf-8"?><{root}>{"".join(one(r) for r in rows)}</{root}>'


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpen311
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle("POST", self.rfile.read(length) if length else b"")

    def _handle(self, method: str, raw: bytes) -> None:
        url = urlsplit(self.path)
        path = url.path
        fmt = "xml" if path.endswith(".xml") else "json"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if path.startswith(PREFIX + "/moved/"):
            # A server that has moved: 302 to the same call without ``/moved``.
            self.fake.requests.append((method, self.path, 302))
            self.send_response(302)
            self.send_header("Location", self.path.replace("/moved/", "/", 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        failure, hang = self.fake._next()
        if failure:
            status, kind, payload = failure, "errors", _errors(failure, "Fake failure")
        else:
            status, kind, payload = self._answer(method, path, query, raw)
        self.fake.requests.append((method, self.path, status))
        if hang:
            time.sleep(hang)
        if fmt == "xml":
            if kind == "errors":
                data = _xml("errors", "error", payload).encode()
            elif kind == "updates":
                data = _xml(
                    "service_request_updates", "request_update", payload["service_request_updates"]
                ).encode()
            else:
                data = _xml("service_requests", "request", payload).encode()
            content_type = "text/xml; charset=utf-8"
        else:
            data = json.dumps(payload).encode()
            content_type = "application/json; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (hang_next)

    def _answer(self, method: str, path: str, query: dict[str, str], raw: bytes) -> tuple[int, str, Any]:
        if not path.startswith(PREFIX + "/"):
            return 404, "errors", _errors(404, "Not found")
        name = path[len(PREFIX) + 1 :].rsplit(".", 1)[0]
        if method == "POST" and name == "requests":
            return self._create(raw)
        if method == "GET" and name == "servicerequestupdates":
            if query.get("api_key") not in (None, self.fake.api_key):
                return 403, "errors", _errors(403, "Invalid api_key")
            start = _parse_time(query["start_date"]) if query.get("start_date") else None
            end = _parse_time(query["end_date"]) if query.get("end_date") else None
            if start and end and end - start > timedelta(days=self.fake.max_window_days):
                return 400, "errors", _errors(400, "Dates cannot be more than 90 days apart")
            found = []
            for update in list(self.fake.updates):
                at = _parse_time(update.updated_datetime)
                if at is None or (start and at < start) or (end and at > end):
                    continue
                found.append((at, update.as_dict()))
            found.sort(key=lambda pair: pair[0])
            rows = [row for _at, row in found[: self.fake.updates_limit]]
            return 200, "updates", {"service_request_updates": rows}
        if method == "GET" and name.startswith("requests/"):
            filed = self.fake.filed.get(name.split("/", 1)[1])
            if filed is None:
                return 404, "errors", _errors(404, "No such service request")
            return 200, "requests", [self._public(filed)]
        return 404, "errors", _errors(404, "Not found")

    def _create(self, raw: bytes) -> tuple[int, str, Any]:
        if "application/x-www-form-urlencoded" not in (self.headers.get("Content-Type") or ""):
            return 400, "errors", _errors(400, "Expected a form-encoded body")
        parsed = parse_qs(raw.decode(), keep_blank_values=True)
        fields: dict[str, Any] = {
            k: (v[0] if len(v) == 1 and not k.endswith("[]") else v) for k, v in parsed.items()
        }
        self.fake.received.append(fields)
        if fields.get("api_key") != self.fake.api_key:
            return 403, "errors", _errors(403, "Invalid api_key")
        if fields.get("service_code") != self.fake.service_code:
            return 400, "errors", _errors(400, f"Service code {fields.get('service_code')!r} not found")
        if not (fields.get("lat") and fields.get("long")) and not fields.get("address_string"):
            return 400, "errors", _errors(400, "A location (lat and long, or address_string) is required")
        filed = self.fake._file(fields)
        if self.fake.answer_with_token:
            return 201, "requests", [{"token": f"tok-{filed.service_request_id}"}]
        return (
            201,
            "requests",
            [{"service_request_id": filed.service_request_id, "service_notice": "", "account_id": None}],
        )

    def _public(self, filed: Filed) -> dict[str, Any]:
        updated = [u for u in self.fake.updates if u.service_request_id == filed.service_request_id]
        return {
            "service_request_id": filed.service_request_id,
            "status": filed.status,
            "status_notes": updated[-1].description if updated else "",
            "service_name": "Potholes",
            "service_code": filed.fields.get("service_code", ""),
            "description": filed.fields.get("description", ""),
            "requested_datetime": filed.requested_datetime,
            "updated_datetime": updated[-1].updated_datetime if updated else filed.requested_datetime,
            "address": filed.fields.get("address_string", ""),
            "lat": filed.fields.get("lat", ""),
            "long": filed.fields.get("long", ""),
            "media_url": filed.fields.get("media_url", ""),
        }


@pytest.fixture
def fake_open311():
    """A running fake Open311 back office (``.url``, ``.api_key``, ``.service_code``)."""
    server = FakeOpen311().start()
    yield server
    server.stop()
