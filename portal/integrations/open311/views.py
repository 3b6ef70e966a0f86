"""The Open311 GeoReport v2 server's addresses: parse the call, check the key (or the public
rate), call one service, render JSON or XML (``render.py``). The rules are in
``portal.integrations.services.open311_inbound``.

Reading is public (no key, no personal data): a read that carries a key that will not do
(unknown, revoked, not allowed, over its rate) is answered as a public read. Filing a report
(POST requests) needs a key with the ``open311_report`` scope. Every call is first held to the
per-address rate (so made-up keys cannot get round it), then its key checked. Every call that
carries a key is audited (``ApiKeyUse``), refused or not, except that a key nobody was given is
audited at most once a minute per address (a flood of them would otherwise fill the audit).
Nothing personal is cached: reads say ``no-store`` apart from the service list and definitions.
Every error, a wrong method (405) included, is in the spec's format.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from portal.lib.client import client_ip
from portal.lib.ratelimit import ratelimit_hit, ratelimit_retry_after

from ..constants import ApiScope
from ..models import ApiClient
from ..openapi import openapi_document
from ..services import open311_inbound as o311
from ..services.api_keys import ApiKeyError, api_client_authenticate, api_key_use_record, request_api_key
from .render import error_response, open311_response

# Calls a minute from one address (reads are public, but not unlimited; keyed calls count too).
PUBLIC_RATE_PER_MINUTE = 300
# An unknown key's call is audited once in this many seconds per address.


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _public_rate_check(request: HttpRequest) -> None:
    limit = getattr(settings, "OPEN311_PUBLIC_RATE_PER_MINUTE", PUBLIC_RATE_PER_MINUTE)
    key = f"open311:public:{client_ip(request) or 'unknown'}"
    if ratelimit_hit(key, limit=limit, window_seconds=60):
        raise ApiKeyError(
            "Too many requests from this address",
            status=429,
            retry_after=ratelimit_retry_after(key, window_seconds=60),
        )


def _audit(request: HttpRequest, response: HttpResponse, fmt: str, *, detail: str = "") -> None:
    """Record a keyed call (``api_key_use_record``, which keeps an unknown key's once a minute)."""
    client = getattr(request, "api_client", None)
    if not detail and response.status_code >= 400:
        detail = _first_error(response, fmt)
    api_key_use_record(request, client=client, status_code=response.status_code, detail=detail)


def _answer(
    request: HttpRequest,
    fmt: str,
    kind: str,
    read: Callable[[ApiClient | None], Any],
    *,
    key_required: bool = False,
    cacheable: bool = False,
) -> HttpResponse:
    """Run ``read`` (given the caller's API client, if it sent a key that will do) and render
    its answer or its error in the spec's format, auditing any call that carried a key.

    ``key_required`` (filing a report): a key that will not do is refused. Otherwise (reads)
    such a key is ignored and the call answered as anyone's, its audit saying why."""
    client: ApiClient | None = None
    keyed = bool(request_api_key(request))
    ignored = ""
    try:
        _public_rate_check(request)
        o311.jurisdiction_check(_params(request))
        if keyed or key_required:
            try:
                client = api_client_authenticate(request, scope=ApiScope.OPEN311_REPORT)
            except ApiKeyError as exc:
                if key_required:
                    raise
                ignored = f"Read as public: {exc.message}"
        response = open311_response(kind, read(client), fmt, status=200)
    except ApiKeyError as exc:
        # Open311 names one status for a key that will not do: 403 (missing, unknown or revoked).
        status = 403 if exc.status == 401 else exc.status
        response = error_response(status, [exc.message], fmt, retry_after=exc.retry_after)
    except o311.Open311Error as exc:
        response = error_response(exc.status, exc.descriptions, fmt)
    if keyed or key_required:
        _audit(request, response, fmt, detail=ignored)
    response["Cache-Control"] = (
        "public, max-age=300" if cacheable and response.status_code == 200 else "no-store"
    )
    return response


def _first_error(response: HttpResponse, fmt: str) -> str:
    if fmt != "json":
        return f"HTTP {response.status_code}"
    try:
        return str(json.loads(response.content)[0]["description"])
    except (ValueError, LookupError, TypeError):
        return f"HTTP {response.status_code}"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/open311/v2/").rstrip("/")


def _methods(*allowed: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Like ``require_http_methods``, but a wrong method gets the spec's error list (405, in
    the address's format) with ``Allow``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in allowed or (request.method == "HEAD" and "GET" in allowed):
                return view(request, *args, **kwargs)
            fmt = kwargs.get("fmt", "json")
            response = error_response(
                405, [f"Method not allowed: use {' or '.join(allowed)}"], fmt if fmt == "xml" else "json"
            )
            response["Allow"] = ", ".join(allowed)
            response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorator


@_methods("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(
        request, fmt, "discovery", lambda _c: o311.open311_discovery(_base_url(request)), cacheable=True
    )


@_methods("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(request, fmt, "services", lambda _c: o311.open311_service_list(), cacheable=True)


@_methods("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _answer(
        request, fmt, "service_definition", lambda _c: o311.open311_service_definition(code), cacheable=True
    )


@csrf_exempt
@_methods("GET", "POST")
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: search public requests; POST: file one (a key with ``open311_report`` needed)."""
    if request.method == "POST":

        def create(client: ApiClient | None) -> Any:
            assert client is not None  # key_required
            return o311.open311_request_create(
                params=request.POST,
                client=client,
                idempotency_key=request.headers.get("Idempotency-Key", ""),
            )

        return _answer(request, fmt, "requests", create, key_required=True)
    return _answer(request, fmt, "requests", lambda _c: o311.open311_requests(request.GET))


@_methods("GET")
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    return _answer(request, fmt, "requests", lambda _c: o311.open311_request(request_id))


@_methods("GET")
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(request, fmt, "updates", lambda _c: o311.open311_updates(request.GET))


@_methods("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of the Open311 server and the back-office status API."""
    response = HttpResponse(
        json.dumps(openapi_document(), ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /open311/v2/: the spec's 404, in XML when it asked for XML."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(404, ["Not found: see discovery.json for this server's addresses"], fmt)
