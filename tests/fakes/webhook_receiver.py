"""A back office's webhook endpoint: a real HTTP server on 127.0.0.1 that takes the portal's
signed JSON deliveries.

It checks each request's ``Portal-Signature`` itself, as a receiver following
docs/webhooks.md would (its own HMAC code, not the portal's), and records every request with
whether the signature held. Switches make the next requests fail (``fail_next``), answer late
(``hang_next``), or ``stop`` it so connections are refused (an outage).

The ``webhook_receiver`` fixture starts one; give it a secret with ``.secret = destination.secret``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOLERANCE_SECONDS = 300


@dataclass
class Received:
    """One request the receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


def signature_valid(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """docs/webhooks.md, written independently: ``t=<unix>,v1=<hex>``; HMAC-SHA256 over
    ``<t>.<body>`` keyed with the secret; ``t`` within 5 minutes of now."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


class WebhookReceiver:
    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.received: list[Received] = []
        # What a 2xx answer says (``{"id": ...}`` gives the portal their reference).
        self.answer: dict[str, Any] = {"ok": True}
        self._failures: deque[int] = deque()
        self._hangs: deque[float] = deque()
        # The next answer's body: (bytes in all, seconds between bytes), for ``big_answer_next``
        # and ``trickle_next``; ``sent_bytes`` is how much of the last such body was written.
        self._bodies: deque[tuple[int, float]] = deque()
        self.sent_bytes = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hooks/portal"

    def start(self) -> WebhookReceiver:
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-webhook", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: connections are refused until ``start`` again (on the same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def hang_next(self, seconds: float) -> None:
        """Wait ``seconds`` before answering the next request (the portal times out)."""
        with self._lock:
            self._hangs.append(seconds)

    def big_answer_next(self, size: int) -> None:
        """Answer the next request 200 with a body of ``size`` bytes (written as fast as taken)."""
        with self._lock:
            self._bodies.append((size, 0.0))

    def trickle_next(self, size: int, every: float) -> None:
        """Answer the next request 200 with ``size`` bytes, one every ``every`` seconds: each
        read gets something in time, the whole answer takes ``size * every`` seconds."""
        with self._lock:
            self._bodies.append((size, every))

    def _body(self) -> tuple[int, float] | None:
        with self._lock:
            return self._bodies.popleft() if self._bodies else None

    @property
    def valid(self) -> list[Received]:
        """The requests taken: signed correctly and answered 2xx."""
        return [r for r in self.received if r.signature_ok and r.status < 300]

    def _next(self) -> tuple[int | None, float]:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            hang = self._hangs.popleft() if self._hangs else 0.0
        return failure, hang


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ok = signature_valid(self.receiver.secret, self.headers.get("Portal-Signature", ""), body)
        failure, hang = self.receiver._next()
        if not ok:
            status, answer = 401, {"error": "bad signature"}
        elif failure:
            status, answer = failure, {"error": f"fake failure {failure}"}
        else:
            status, answer = 200, self.receiver.answer
        self.receiver.received.append(
            Received(path=self.path, headers=dict(self.headers), body=body, status=status, signature_ok=ok)
        )
        if hang:
            time.sleep(hang)
        special = self.receiver._body() if ok and not failure else None
        if special is not None:
            self._write_body(*special)
            return
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the portal gave up waiting (hang_next)

    def _write_body(self, size: int, every: float) -> None:
        self.receiver.sent_bytes = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            step = 1 if every else 64 * 1024
            while self.receiver.sent_bytes < size:
                chunk = b"x" * min(step, size - self.receiver.sent_bytes)
                self.wfile.write(chunk)
                self.wfile.flush()
                self.receiver.sent_bytes += len(chunk)
                if every:
                    time.sleep(every)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the portal stopped reading
        self.close_connection = True


@pytest.fixture
def webhook_receiver():
    """A running webhook receiver; set ``.secret`` to the destination's secret."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
