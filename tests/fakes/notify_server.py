"""A fake GOV.UK Notify API: a real HTTP server on 127.0.0.1, for the official client to talk to.

It checks every request's JWT as Notify does (HS256, signed with the API key's secret, ``iss``
the service id, ``iat`` within 30 seconds), answers Notify-shaped JSON, and records what it
took. Switches make the next request fail (``fail_next``) or answer late (``hang_next``).
``post_receipt`` and ``post_inbound`` call the portal back as Notify does, with a delivery
receipt or a text message a resident sent.

The ``fake_notify`` fixture starts it and points the portal's settings at it.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-4d48-b7b3-4d5e0e7c9c4e"
API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE_ID = "8f5bc1a7-9d4c-4a0e-9c59-1f0b4e3d2c11"
LETTER_TEMPLATE_ID = "5c1b4d8e-3a2f-4e6b-8d7c-9a0b1c2d3e4f"
CLOCK_BOUND_SECONDS = 30

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ONE = re.compile(r"^/v2/notifications/([0-9a-f-]{36})$")
_ERROR_NAMES = {400: "BadRequestError", 403: "AuthError", 404: "NoResultFound", 429: "RateLimitError"}


@dataclass
class Received:
    """One request Notify answered: its method, path, JSON body and status."""

    method: str
    path: str
    json: dict[str, Any] | None
    status: int


@dataclass
class Sent:
    """One notification the fake took (answered 201): the path it came to and its JSON."""

    path: str
    json: dict[str, Any]
    id: str
    type: str
    status: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))


class FakeNotify:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.requests: list[Received] = []
        # Received texts posted back to the portal (post_inbound), as sent.
        self.inbound: list[dict[str, Any]] = []
        self._failures: deque[int] = deque()
        self._hangs: deque[float] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeNotify:
        handler = type("Handler", (_Handler,), {"notify": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-notify", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` requests (once past the JWT check) with ``status``, as Notify errs."""
        with self._lock:
            self._failures.extend([status] * times)

    def hang_next(self, seconds: float) -> None:
        """Take the next notification, then wait ``seconds`` before answering (the client times out)."""
        with self._lock:
            self._hangs.append(seconds)

    def set_status(self, notification_id: str, status: str) -> None:
        """What GET /v2/notifications/<id> reports from now on (for polling tests)."""
        self.by_id(notification_id).status = status

    def by_id(self, notification_id: str) -> Sent:
        return next(sent for sent in self.sent if sent.id == notification_id)

    def post_receipt(
        self, portal_url: str, notification_id: str, status: str, token: str, *, reference: str | None = None
    ) -> tuple[int, bytes]:
        """POST a delivery receipt for ``notification_id`` to the portal, shaped as Notify's
        callbacks are, with ``Authorization: Bearer <token>``. Returns the status and body."""
        try:
            sent: Sent | None = self.by_id(notification_id)
        except StopIteration:
            sent = None
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        body = sent.json if sent else {}
        payload = {
            "id": notification_id,
            "reference": reference if reference is not None else body.get("reference"),
            "to": body.get("email_address") or body.get("phone_number") or "",
            "status": status,
            "created_at": sent.created_at if sent else now,
            "completed_at": now
            if status not in ("created", "sending", "accepted", "pending-virus-check")
            else None,
            "sent_at": now,
            "notification_type": sent.type if sent else "email",
            "template_id": body.get("template_id"),
            "template_version": 1,
        }
        if sent:
            sent.status = status
        url = portal_url.rstrip("/") + "/notifications/callbacks/notify/receipts/"
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def post_inbound(
        self,
        portal_url: str,
        source_number: str,
        message: str,
        token: str,
        *,
        notify_id: str | None = None,
        date_received: datetime | None = None,
        destination_number: str = "07700900000",
    ) -> tuple[int, bytes]:
        """POST a received text message to the portal, shaped as Notify's callback for them is
        (``source_number`` international, without the +), with ``Authorization: Bearer
        <token>``. The same ``notify_id`` again is Notify retrying. Returns the status and body."""
        digits = re.sub(r"\D", "", source_number)
        if digits.startswith("0"):
            digits = "44" + digits[1:]
        when = (date_received or datetime.now(UTC)).astimezone(UTC)
        payload = {
            "id": notify_id or str(uuid.uuid4()),
            "source_number": digits,
            "destination_number": destination_number,
            "message": message,
            "date_received": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        self.inbound.append(payload)
        url = portal_url.rstrip("/") + "/notifications/callbacks/notify/inbound/"
        return _post_json(url, payload, token)

    # --- used by the handler ---

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _next_hang(self) -> float:
        with self._lock:
            return self._hangs.popleft() if self._hangs else 0.0


def _post_json(url: str, payload: dict[str, Any], token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _error(status: int, message: str, name: str | None = None) -> dict[str, Any]:
    error = name or _ERROR_NAMES.get(status, "Exception" if status >= 500 else "BadRequestError")
    return {"errors": [{"error": error, "message": message}], "status_code": status}


class _Handler(BaseHTTPRequestHandler):
    notify: FakeNotify
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, payload, hang = self._answer(method, body)
        self.notify.requests.append(Received(method=method, path=self.path, json=body, status=status))
        if hang:
            time.sleep(hang)
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (hang_next)

    def _answer(self, method: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any], float]:
        auth_error = self._auth_error()
        if auth_error:
            return 403, _error(403, auth_error, "AuthError"), 0.0
        failure = self.notify._next_failure()
        if failure:
            message = "Internal server error" if failure >= 500 else f"Fake failure {failure}"
            return failure, _error(failure, message), 0.0
        url = urlsplit(self.path)
        if method == "POST" and url.path in (
            "/v2/notifications/email",
            "/v2/notifications/sms",
            "/v2/notifications/letter",
        ):
            kind = url.path.rsplit("/", 1)[1]
            problem = _invalid(kind, body or {})
            if problem:
                return 400, _error(400, problem, "ValidationError"), 0.0
            return 201, self._take(kind, url.path, body or {}), self.notify._next_hang()
        if method == "GET" and url.path == "/v2/notifications":
            reference = parse_qs(url.query).get("reference", [None])[0]
            found = [s for s in self.notify.sent if reference is None or s.json.get("reference") == reference]
            return 200, {"notifications": [self._notification(s) for s in reversed(found)], "links": {}}, 0.0
        match = _ONE.match(url.path)
        if method == "GET" and match:
            try:
                return 200, self._notification(self.notify.by_id(match.group(1))), 0.0
            except StopIteration:
                return 404, _error(404, "No result found"), 0.0
        return 404, _error(404, "The requested URL was not found on the server."), 0.0

    def _auth_error(self) -> str:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(
                token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"], "verify_iat": False}
            )
        except jwt.InvalidTokenError:
            return "Invalid token: signature, api token not found"
        if claims["iss"] != SERVICE_ID:
            return "Invalid token: service not found"
        if abs(time.time() - int(claims["iat"])) > CLOCK_BOUND_SECONDS:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return ""

    def _take(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        sent = Sent(
            path=path,
            json=body,
            id=str(uuid.uuid4()),
            type=kind,
            status="accepted" if kind == "letter" else "created",
        )
        self.notify.sent.append(sent)
        personalisation = body.get("personalisation") or {}
        content: dict[str, Any] = {"body": personalisation.get("body", "")}
        if kind == "email":
            content |= {
                "subject": personalisation.get("subject", ""),
                "from_email": "council@notifications.service.gov.uk",
            }
        elif kind == "sms":
            content |= {"from_number": "COUNCIL"}
        else:
            content |= {"subject": personalisation.get("subject", "")}
        answer = {
            "id": sent.id,
            "reference": body.get("reference"),
            "content": content,
            "uri": f"{self.notify.url}/v2/notifications/{sent.id}",
            "template": {
                "id": body["template_id"],
                "version": 1,
                "uri": f"{self.notify.url}/services/{SERVICE_ID}/templates/{body['template_id']}",
            },
        }
        if kind == "letter":
            answer |= {"scheduled_for": None, "postage": "second"}
        return answer

    def _notification(self, sent: Sent) -> dict[str, Any]:
        body = sent.json
        personalisation = body.get("personalisation") or {}
        answer = {
            "id": sent.id,
            "reference": body.get("reference"),
            "email_address": body.get("email_address"),
            "phone_number": body.get("phone_number"),
            "type": sent.type,
            "status": sent.status,
            "template": {"id": body["template_id"], "version": 1, "uri": ""},
            "body": personalisation.get("body", ""),
            "subject": personalisation.get("subject"),
            "created_at": sent.created_at,
            "created_by_name": None,
            "sent_at": None,
            "completed_at": None,
        }
        for n in range(1, 8):
            answer[f"line_{n}"] = personalisation.get(f"address_line_{n}")
        return answer


def _invalid(kind: str, body: dict[str, Any]) -> str:
    """Notify's own checks on a request, as far as the portal's messages can fall foul of them."""
    if not _UUID.match(str(body.get("template_id", ""))):
        return "template_id is not a valid UUID"
    if kind == "email" and "@" not in str(body.get("email_address", "")):
        return "email_address Not a valid email address"
    if kind == "sms":
        digits = re.sub(r"\D", "", str(body.get("phone_number", "")))
        if len(digits) < 10:
            return "phone_number Not enough digits"
        if len(digits) > 15:
            return "phone_number Too many digits"
    if kind == "letter":
        personalisation = body.get("personalisation") or {}
        lines = [personalisation.get(f"address_line_{n}") for n in range(1, 8)]
        if sum(1 for line in lines if line) < 3:
            return "Address must be at least 3 lines"
    return ""


@pytest.fixture
def fake_notify(settings):
    """A running fake Notify, with the portal's Notify settings pointed at it."""
    server = FakeNotify().start()
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = server.url
    settings.NOTIFY_TIMEOUT_SECONDS = 2
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE_ID
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE_ID
    settings.NOTIFY_LETTER_TEMPLATE_ID = LETTER_TEMPLATE_ID
    yield server
    server.stop()
