"""A small, stateful fake of Stripe's API on 127.0.0.1, for testing the real stripe-python client.

It speaks HTTP in a thread and answers with Stripe-shaped JSON: Checkout Session create,
retrieve and expire; Refund create and list; and balance transaction lists. It honours
idempotency keys as Stripe does (the same key returns the first response; a request that
arrives while the first with its key is still being handled gets Stripe's 409
``idempotency_error``) and records every request it received (method, path, headers and
the decoded form parameters) so tests can assert exactly what the portal sent.
``create_delay`` makes session creation take that many seconds, as a slow Stripe would.
"""

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's bracketed form encoding (``a[b][0][c]=1``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            next_is_index = not last and parts[index + 1].isdigit()
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append([] if next_is_index else {})
                if last:
                    node[position] = value
                else:
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if next_is_index else {})
    return root


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    params: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("idempotency-key", "")


@dataclass
class FakeStripe:
    sessions: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    balance_transactions: list[dict] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict]] = field(default_factory=dict)
    # Set to make the next refund creations fail: "card_declined" style 402 errors, or a
    # refund object created with status "failed".
    refund_error: str = ""
    refund_status: str = "succeeded"
    create_delay: float = 0.0
    in_flight: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # --- State changes a test makes, as Stripe would after the payer acted ---------------

    def complete(self, session_id: str, *, paid: bool = True, amount: int | None = None) -> dict:
        """The payer paid (or, unpaid, used a delayed method): the session completes."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            if paid:
                self._charge(session, amount if amount is not None else session["amount_total"])
            return dict(session)

    def open_session(self, *, amount: int, metadata: dict, client_reference_id: str = "") -> dict:
        """A Checkout Session opened outside the portal's current request (e.g. an older one
        for the same payment), as if created through the API."""
        with self.lock:
            return self._session_create(
                {
                    "mode": "payment",
                    "line_items": [{"quantity": 1, "price_data": {"currency": "gbp", "unit_amount": amount}}],
                    "client_reference_id": client_reference_id or metadata.get("payment_reference"),
                    "metadata": metadata,
                }
            )

    def settle(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            self._charge(session, session["amount_total"])
            return dict(session)

    def dashboard_refund(self, session_id: str, amount: int, *, status: str = "succeeded") -> dict:
        """Someone refunded the session's charge in Stripe's dashboard: a refund the portal
        did not ask for (no metadata), now listed by ``GET /v1/refunds``."""
        with self.lock:
            session = self.sessions[session_id]
            refund = {
                "id": f"re_{secrets.token_hex(10)}",
                "object": "refund",
                "amount": amount,
                "currency": "gbp",
                "payment_intent": session["payment_intent"],
                "status": status,
                "metadata": {},
                "created": int(time.time()),
            }
            if status == "failed":
                refund["failure_reason"] = "expired_or_canceled_card"
            self.refunds[refund["id"]] = refund
            return dict(refund)

    def _charge(self, session: dict, amount: int) -> None:
        charge_id = f"ch_{secrets.token_hex(8)}"
        self.balance_transactions.append(
            {
                "id": f"txn_{secrets.token_hex(8)}",
                "object": "balance_transaction",
                "type": "charge",
                "amount": amount,
                "currency": "gbp",
                "created": int(time.time()),
                "source": {
                    "id": charge_id,
                    "object": "charge",
                    "payment_intent": session["payment_intent"],
                    "metadata": dict(session["metadata"]),
                },
            }
        )

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, headers: dict, params: dict) -> tuple[int, dict]:
        key = headers.get("idempotency-key") if method == "POST" else None
        with self.lock:
            self.requests.append(Received(method, path, query, headers, params))
            if key and key in self.idempotent:
                return self.idempotent[key]
            if key and key in self.in_flight:
                return 409, {
                    "error": {
                        "type": "idempotency_error",
                        "message": "There is currently another in-progress request using this Idempotent Key "
                        "(that probably means you submitted twice, and the other request is still going "
                        "through): " + key,
                    }
                }
            if key:
                self.in_flight.add(key)
        try:
            if self.create_delay and method == "POST" and path == "/v1/checkout/sessions":
                time.sleep(self.create_delay)
            with self.lock:
                status, body = self._route(method, path, query, params)
                if key:
                    self.idempotent[key] = (status, body)
                return status, body
        finally:
            if key:
                with self.lock:
                    self.in_flight.discard(key)

    def _route(self, method: str, path: str, query: dict, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._session_create(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)(/expire)?", path)
        if match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return _error(404, "resource_missing", f"No such checkout.session: '{match.group(1)}'")
            if match.group(2) and method == "POST":
                if session["status"] != "open":
                    return _error(400, "checkout_session_not_open", "Only open sessions can be expired")
                session["status"] = "expired"
            return 200, dict(session)
        if method == "POST" and path == "/v1/refunds":
            return self._refund_create(params)
        if method == "GET" and path == "/v1/refunds":
            return 200, self._refund_list(query)
        if method == "GET" and path == "/v1/balance_transactions":
            return 200, self._balance_list(query)
        return _error(404, "resource_missing", f"Unrecognized request URL ({method}: {path})")

    def _session_create(self, params: dict) -> dict:
        session_id = f"cs_test_{secrets.token_hex(12)}"
        item = params["line_items"][0]
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)),
            "currency": item["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "customer_email": params.get("customer_email"),
            "payment_intent": f"pi_{secrets.token_hex(12)}",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return dict(session)

    def _refund_create(self, params: dict) -> tuple[int, dict]:
        if self.refund_error:
            return _error(400, self.refund_error, "This charge cannot be refunded")
        intent = params.get("payment_intent")
        session = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
        if session is None:
            return _error(400, "resource_missing", f"No such payment_intent: '{intent}'")
        amount = int(params.get("amount") or session["amount_total"])
        refunded = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent and r["status"] in ("succeeded", "pending")
        )
        if refunded + amount > session["amount_total"]:
            return _error(400, "charge_already_refunded", "Refund amount is greater than unrefunded amount")
        refund_id = f"re_{secrets.token_hex(10)}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": "gbp",
            "payment_intent": intent,
            "status": self.refund_status,
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        if self.refund_status == "failed":
            refund["failure_reason"] = "expired_or_canceled_card"
        self.refunds[refund_id] = refund
        if self.refund_status != "failed":
            self.balance_transactions.append(
                {
                    "id": f"txn_{secrets.token_hex(8)}",
                    "object": "balance_transaction",
                    "type": "refund",
                    "amount": -amount,
                    "currency": "gbp",
                    "created": int(time.time()),
                    "source": dict(refund),
                }
            )
        return 200, dict(refund)

    def _refund_list(self, query: dict) -> dict:
        intent = query.get("payment_intent")
        data = [dict(r) for r in self.refunds.values() if intent is None or r["payment_intent"] == intent]
        data.sort(key=lambda r: r["created"], reverse=True)
        return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": data}

    def _balance_list(self, query: dict) -> dict:
        created = query.get("created", {})
        gte, lt = int(created.get("gte", 0)), int(created.get("lt", 2**62))
        data = [t for t in self.balance_transactions if gte <= t["created"] < lt]
        if "data.source" not in (query.get("expand") or []):
            data = [{**t, "source": t["source"]["id"]} for t in data]
        return {"object": "list", "url": "/v1/balance_transactions", "has_more": False, "data": data}

    # --- Webhook bodies ----------------------------------------------------------------------

    def event(self, type: str, obj: dict, *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "id": event_id or f"evt_{secrets.token_hex(12)}",
                "object": "event",
                "api_version": "2026-10-28.endive",
                "type": type,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj},
            }
        )


def _error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"type": "invalid_request_error", "code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def log_message(self, *args):  # keep test output quiet
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.fake.handle(
            method, parts.path, decode_form(parts.query), headers, decode_form(body)
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")


class FakeStripeServer:
    """``with FakeStripeServer() as fake: ...``: serves ``fake.url`` until the block ends."""

    def __init__(self):
        self.fake = FakeStripe()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.fake.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
