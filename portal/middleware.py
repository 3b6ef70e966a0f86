import logging
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.utils.functional import empty
from django.utils.http import url_has_allowed_host_and_scheme

from wagtail.search.backends.base import FieldError, FilterError

from portal.lib.uploads import declared_length, limits_for_view, size_text

logger = logging.getLogger(__name__)


class AdminContentSecurityPolicyMiddleware:
    """Give the Wagtail and Django admins their own CSP.

    They ship inline scripts that the public site's strict policy would block.
    Listed after Django's CSP middleware, so it marks the response before that
    middleware writes the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.ADMIN_PATH_PREFIXES):
            response._csp_config = settings.ADMIN_CSP
        elif getattr(request, "is_preview", False):
            # Wagtail's preview: the page, or a snippet's preview, rendered for a request made up
            # at its public URL (or "/") and shown in the editor's preview panel, a frame of the
            # admin. The site's own policy, except that the admin may frame it.
            response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}
        return response


# Hostile input ----------------------------------------------------------------------------------

# The early error pages have no scripts; they get a policy of their own, as they are answered
# before Django's CSP middleware runs.
_PLAIN_PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; frame-ancestors 'none'"
)


def _unreadable(data: bytes) -> bool:
    """A NUL byte, or bytes that are not UTF-8 (Python's decoder also refuses encoded surrogates)."""
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


_UNREADABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _unreadable_text(text: str) -> bool:
    return _UNREADABLE_CHARACTER.search(text) is not None


def _raw_bytes(value: str) -> bytes:
    """WSGI and ASGI hand the query string over as its raw bytes decoded as latin-1."""
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def _path_unreadable(request) -> bool:
    """Django has already decoded the path, re-escaping bytes that are not UTF-8 as ``%XX``
    (an ASGI server may instead hand over a lone surrogate): undo that escaping and look."""
    path = request.path_info
    return _unreadable_text(path) or _unreadable(unquote_to_bytes(path))


def _query_bytes(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


# Lone surrogates and NUL written as JSON escapes: valid JSON, but no database stores them.
_JSON_BAD_ESCAPE = re.compile(
    rb"\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _plain_page(template: str, status: int, context: dict | None = None) -> HttpResponse:
    response = HttpResponse(render_to_string(template, context), status=status)
    response["Content-Security-Policy"] = _PLAIN_PAGE_CSP
    return response


def bad_input_response() -> HttpResponse:
    return _plain_page("400.html", 400)


def _back_url(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


# What a packaged view raises when a query parameter or form field is not the shape it assumed:
# "abc" or 10**30 for an id, a missing form field, an unknown filter, a name that does not reverse.
_INPUT_ERRORS = (
    ValueError,
    TypeError,
    OverflowError,
    KeyError,
    AttributeError,
    ValidationError,
    NoReverseMatch,
    DataError,
    FieldError,
    FilterError,
)
_VENDOR_PACKAGES = frozenset({"wagtail", "django", "allauth", "rest_framework", "modelcluster", "taggit"})


def _is_vendor_view(view_func) -> bool:
    module = getattr(view_func, "__module__", None) or ""
    return module.partition(".")[0] in _VENDOR_PACKAGES


class RequestInputMiddleware:
    """Refuse input no page can use, before any of it reaches a view or the database.

    - A path, query string or form body with a NUL byte, a lone surrogate or bytes that are not
      UTF-8 gets 400 and a plain page. PostgreSQL cannot store NUL in text, and views that pass
      such values on (lookups, redirects, filters) would otherwise fail with a 500.
    - A request whose declared size (``Content-Length``) is more than the view it is for can
      take (``portal.lib.uploads``) gets 413 without its body being read.

    Listed first after ``SecurityMiddleware``: the path and query string are checked before a
    session is loaded, and ``process_view`` runs before the CSRF check reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _path_unreadable(request) or _unreadable(
            _query_bytes(_raw_bytes(request.META.get("QUERY_STRING", "")))
        ):
            return bad_input_response()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.portal_vendor_view = _is_vendor_view(view_func)
        declared = declared_length(request)
        if not declared:
            return None
        limits = limits_for_view(request, view_func, view_args, view_kwargs)
        request.upload_limits = limits
        if declared > limits.request_bytes:
            logger.warning(
                "Refused a %s-byte request to %s: the most it takes is %s",
                declared,
                request.path,
                limits.request_bytes,
            )
            return _plain_page(
                "413.html",
                413,
                {
                    "files": limits.files,
                    "file_size": size_text(limits.file_bytes) if limits.file_bytes else "",
                    "back_url": _back_url(request),
                },
            )
        if self._body_unreadable(request):
            return bad_input_response()
        return None

    def process_exception(self, request, exception):
        """A packaged view (Wagtail's admin and API, allauth, Django's admin) that fails on the
        shape of what it was sent gets 400, not 500: such views trust ids, page numbers and
        filters in the query string that a person can change. Our own views get no such
        pass: they must check what they are sent (tests/portal/test_hostile_input.py).
        """
        if not getattr(request, "portal_vendor_view", False) or not isinstance(exception, _INPUT_ERRORS):
            return None
        if not (request.META.get("QUERY_STRING") or declared_length(request)):
            return None  # nothing was sent that could be at fault: a real error
        logger.error(
            "Bad request to %s: %s could not use what it was sent",
            request.path,
            getattr(request.resolver_match, "view_name", "a packaged view"),
            exc_info=exception,
        )
        return bad_input_response()

    @staticmethod
    def _body_unreadable(request) -> bool:
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            return _unreadable(_query_bytes(request.body))
        if content_type == "multipart/form-data":
            fields = [text for key, values in request.POST.lists() for text in (key, *values)]
            fields += [upload.name or "" for uploads in request.FILES.lists() for upload in uploads[1]]
            return any(_unreadable_text(text) for text in fields)
        if content_type == "application/json" or content_type.endswith("+json"):
            return _unreadable(request.body) or _JSON_BAD_ESCAPE.search(request.body) is not None
        return False


# Headers on every response -----------------------------------------------------------------------


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class ResponseHeadersMiddleware:
    """``Permissions-Policy`` on every response, and ``Cache-Control: private, no-store`` on every
    response that may carry someone's own information: to anyone signed in, and on the account,
    sign-in, tracking, payment, form and admin pages whoever asks (a half-finished sign-in or an
    anonymous form draft is personal too). Browsers and shared caches then keep no copy that the
    next person at the same computer could bring back with the Back button.

    Outermost, so the early error pages and every other middleware's responses get them.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.permissions_policy)
        if request.path_info.startswith(settings.PORTAL_PRIVATE_PATH_PREFIXES) or _signed_in(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _signed_in(request) -> bool:
    """Whether the response went to someone signed in. A user nobody looked at while making the
    response is not looked up now: that response cannot be about them, and the lookup would add
    a query (or fail, with the database down) to responses such as /healthz."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", user) is empty:
        return False
    return bool(user.is_authenticated)
