"""Whole-response cache for visitors without a session: council pages and the public API.

Most people reading council pages are anonymous and carry no session, and for them a
page is the same HTML every time except for two values that must be fresh per response:
the CSP nonce and the CSRF token of the feedback form. Those are cut out when a page is
stored and filled in on every hit, so the strict CSP and CSRF protection are unchanged.

Who is never served from this cache: anyone with a session (signed in, or who has
answered "Was this page useful?"), anyone with a messages cookie, htmx requests,
previews, and requests with a query string other than ``?page=``. What is never
stored: anything but a 200 from a Wagtail page, pages behind a view restriction, pages
whose type sets ``page_cache_enabled = False``, responses marked private/no-store, and
responses that started a session.

A hit is served by ``PageCacheFastPathMiddleware``, just inside the page-view log and
before the session, authentication, messages, allauth, MFA and htmx middleware, none of
which has anything to do for a visitor with no cookies: it fills in the two values,
sets the CSRF cookie, the CSP and framing headers as those middleware would, and needs
no database. ``AnonymousPageCacheMiddleware``, innermost, stores what Wagtail rendered.
While the database is unavailable an entry is served even if its content version can't
be checked (stale rather than an error).

What makes an entry stale (the versions are in ``cms.cache``). A page entry keeps the
site-wide version and the path versions of its request path and of the page that
rendered it (a route such as the home page's A to Z or a guide's part depends on its
page's path too) as they were when it was looked up; a lookup reads those versions and
the entry in one ``get_many`` (the request path and its parents up to ``_ROUTE_DEPTH``
segments up, so no database query is needed to know which page serves the path).

- Publishing page P (or saving a live page directly) bumps the paths of: P; its
  ancestors (a category lists its services, the home page its categories, news and the
  A to Z); its descendants when its title changes or it goes live (breadcrumbs); and the
  pages that link to it (Wagtail's reference index: related links, rich text, page
  choosers). ``published_page_paths`` lists them, for every site the pages are in. Other
  pages stay cached.
- Unpublishing, moving, renaming (a new slug: the old addresses must go), deleting a
  page, or changing a view restriction, an alert, the council settings, the ``Site``, an
  image, a document or a service form bumps the site-wide version: every entry is stale.
- A draft save changes nothing.
- API entries carry ``content_version()`` (site-wide and pages versions): the listings
  change on any publish.

Alerts start and end on their own clock, so an entry also expires at the next alert
start or end.
"""

import functools
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Min, Q
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse
from django.utils import timezone

from wagtail.coreutils import WAGTAIL_APPEND_SLASH
from wagtail.models import Page, ReferenceIndex, Site
from wagtail.views import serve

from portal.lib.outage import database_unavailable

from .cache import (
    CONTENT_VERSION_KEY,
    FRAGMENT_TIMEOUT,
    PAGES_VERSION_KEY,
    path_version_key,
    versions_fill,
)
from .models import Alert

NONCE_PLACEHOLDER = "__cms_page_cache_csp_nonce__"
CSRF_PLACEHOLDER = "__cms_page_cache_csrf_token__"
_CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
_QUERY_KEYS_CACHED = {"page"}
# A page's routes (the A to Z, a guide's parts) are at most this many segments below it.
_ROUTE_DEPTH = 3


def enabled() -> bool:
    return getattr(settings, "CMS_PAGE_CACHE_ENABLED", True)


def _serves_wagtail_page(request) -> bool:
    try:
        return resolve(request.path_info).func is serve
    except Resolver404:
        return False


def anonymous_request(request) -> bool:
    """A GET/HEAD by a visitor with no session: the only requests served from the cache."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if (
        settings.SESSION_COOKIE_NAME in cookies
        or getattr(settings, "MESSAGE_COOKIE_NAME", "messages") in cookies
    ):
        return False
    if "HTTP_AUTHORIZATION" in request.META or request.headers.get("HX-Request"):
        return False
    return set(request.GET) <= _QUERY_KEYS_CACHED


def _key(kind: str, request) -> str:
    return f"cms:page-cache:{kind}:{request.get_host()}:{request.get_full_path()}"


def _path_chain(path: str) -> list[str]:
    """The path and its parents up to ``_ROUTE_DEPTH`` segments up (a route's page is one of them)."""
    chain = [path]
    while len(chain) <= _ROUTE_DEPTH and path not in ("", "/"):
        path = path.rstrip("/").rpartition("/")[0] + "/"
        chain.append(path)
    return chain


def _version_keys(kind: str, request) -> list[str]:
    if kind == "api":
        return [CONTENT_VERSION_KEY, PAGES_VERSION_KEY]
    return [CONTENT_VERSION_KEY, *(path_version_key(path) for path in _path_chain(request.path_info))]


def _current(entry: dict, versions: dict) -> bool:
    kept = entry.get("versions")
    return bool(kept) and all(versions.get(key) == version for key, version in kept.items())


def _lookup(kind: str, request) -> tuple[str, dict, dict | None]:
    """One cache round trip for the versions the entry may depend on, and the entry.

    An entry whose versions are not all the current ones is stale: it is still served while
    the database is unavailable (``database_unavailable``), rather than an error page.
    """
    key = _key(kind, request)
    version_keys = _version_keys(kind, request)
    found = cache.get_many([*version_keys, key])
    entry = found.pop(key, None)
    if entry is not None and not _current(entry, found) and not database_unavailable():
        entry = None
    if entry is None:
        found = versions_fill(found, version_keys)
    return key, found, entry


def _script_relative(path: str) -> str:
    prefix = get_script_prefix()
    return path[len(prefix) - 1 :] if prefix != "/" and path.startswith(prefix) else path


def page_path(page: Page, request=None) -> str | None:
    """The page's URL path on the request's site (or its own), as ``request.path_info`` has it."""
    parts = page.get_url_parts(request)
    if parts is None or parts[2] is None:
        return None
    return _script_relative(parts[2])


def _site_paths(url_paths: set[str]) -> set[str]:
    """Wagtail ``url_path`` values as URL paths, on every site they are in."""
    paths = set()
    roots = Site.get_site_root_paths()
    for url_path in url_paths:
        for root in roots:
            if not url_path.startswith(root.root_path):
                continue
            try:
                path = reverse("wagtail_serve", args=(url_path[len(root.root_path) :],))
            except NoReverseMatch:
                continue
            if not WAGTAIL_APPEND_SLASH and path != "/":
                path = path.rstrip("/")
            paths.add(_script_relative(path))
    return paths


def published_page_paths(page: Page, *, with_descendants: bool) -> set[str]:
    """The URL paths whose cached responses may show ``page`` (see the module docstring).

    Its ancestors' ``url_path`` values are the prefixes of its own; its descendants and the
    pages that link to it (Wagtail's reference index) take a query each. References from
    objects that are not pages are left out: what shows them bumps on its own save.
    """
    url_paths = {"/", page.url_path}
    segments = page.url_path.strip("/").split("/")
    url_paths.update("/" + "/".join(segments[:n]) + "/" for n in range(1, len(segments)))
    if with_descendants:
        url_paths.update(Page.objects.descendant_of(page).values_list("url_path", flat=True))
    referrers = (
        ReferenceIndex.get_references_to(page)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
    )
    ids = {int(pk) for pk in referrers if str(pk).isdigit()}
    if ids:
        url_paths.update(Page.objects.filter(pk__in=ids).values_list("url_path", flat=True))
    return _site_paths(url_paths)


def _timeout() -> int:
    """Until the next alert starts or ends (alerts are part of every page), at most a day."""
    now = timezone.now()
    upcoming = Alert.objects.filter(Q(starts_at__gt=now) | Q(ends_at__gt=now)).aggregate(
        start=Min("starts_at", filter=Q(starts_at__gt=now)), end=Min("ends_at", filter=Q(ends_at__gt=now))
    )
    times = [t for t in upcoming.values() if t is not None]
    if not times:
        return FRAGMENT_TIMEOUT
    return max(1, min(FRAGMENT_TIMEOUT, int((min(times) - now).total_seconds())))


def _cacheable_page_response(request, response) -> Page | None:
    if response.status_code != 200 or response.streaming or getattr(request, "is_preview", False):
        return None
    page = (getattr(response, "context_data", None) or {}).get("page")
    if not isinstance(page, Page) or not getattr(page, "page_cache_enabled", True):
        return None
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return None
    session = getattr(request, "session", None)
    if session is not None and (session.modified or session.session_key):
        return None
    if page.get_view_restrictions().exists():
        return None
    return page


def _cut_out_per_response_values(request, html: str) -> str:
    nonce = get_nonce(request)
    if nonce:  # a LazyNonce is true once it has been used
        html = html.replace(f'nonce="{nonce}"', f'nonce="{NONCE_PLACEHOLDER}"')
    for token in set(_CSRF_VALUE.findall(html)):
        html = html.replace(token, CSRF_PLACEHOLDER)
    return html


def _fill_in_per_response_values(request, html: str) -> str:
    if NONCE_PLACEHOLDER in html:
        html = html.replace(NONCE_PLACEHOLDER, str(get_nonce(request)))
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return html


class PageCacheFastPathMiddleware:
    """Serve a page-cache hit before the rest of the middleware stack (see module docstring).

    Sits just inside ``InteractionLogMiddleware`` (so the hit is logged as a page view) and
    after the security, input and static-file middleware (so their headers and checks
    apply). It does for the hit exactly what the skipped middleware would: the CSRF
    cookie (``CsrfViewMiddleware``), the CSP header with this response's nonce
    (``ContentSecurityPolicyMiddleware``), ``X-Frame-Options`` and ``Content-Length``.
    A miss goes down the stack as before, carrying the lookup so it is not repeated.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.csp = ContentSecurityPolicyMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        if not enabled() or not anonymous_request(request) or not _serves_wagtail_page(request):
            return self.get_response(request)
        lookup = _lookup("page", request)
        entry = lookup[2]
        if entry is None:
            request._page_cache_lookup = lookup
            return self.get_response(request)
        self.csrf.process_request(request)
        self.csp.process_request(request)
        response = _hit_response(request, entry)
        response = self.csrf.process_response(request, response)
        response = self.csp.process_response(request, response)
        response = self.xframe.process_response(request, response)
        response["Content-Length"] = str(len(response.content))
        return response


def _hit_response(request, entry: dict) -> HttpResponse:
    if entry.get("service_code"):
        request.interaction_service_code = entry["service_code"]
    if entry.get("interaction_type"):
        request.interaction_type = entry["interaction_type"]
    response = HttpResponse(
        _fill_in_per_response_values(request, entry["html"]), content_type=entry["content_type"]
    )
    response["Vary"] = "Cookie"
    return response


class AnonymousPageCacheMiddleware:
    """Serve council pages to visitors without a session from the cache (see module docstring).

    Innermost in ``MIDDLEWARE``: the CSP, CSRF, session and interaction-log middleware
    all still run around every hit, so headers, cookies and the page-view log are the
    same as for a rendered page (the page's service code is stored with the entry).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or not anonymous_request(request) or not _serves_wagtail_page(request):
            return self.get_response(request)
        lookup = getattr(request, "_page_cache_lookup", None) or _lookup("page", request)
        request._page_cache_lookup = lookup  # the fragments' versions (cms_content_version)
        key, found, entry = lookup
        if entry is not None:
            return _hit_response(request, entry)
        response = self.get_response(request)
        page = _cacheable_page_response(request, response)
        versions = _page_entry_versions(request, page, found) if page is not None else None
        if versions is not None:
            html = response.content.decode(response.charset)
            entry = {
                "versions": versions,
                "html": _cut_out_per_response_values(request, html),
                "content_type": response["Content-Type"],
                "service_code": getattr(page, "interaction_service_code", None),
                "interaction_type": getattr(page, "interaction_type", None),
            }
            cache.set(key, entry, _timeout())
        return response


def _page_entry_versions(request, page: Page, found: dict) -> dict | None:
    """The versions a page entry depends on, or None when its page's path was not looked up
    (a route deeper than ``_ROUTE_DEPTH``: such a response is not stored)."""
    keys = {CONTENT_VERSION_KEY, path_version_key(request.path_info)}
    own = page_path(page, request)
    if own is not None:
        keys.add(path_version_key(own))
    if not keys <= found.keys():
        return None
    return {key: found[key] for key in keys}


def cached_api_view(view):
    """The same cache for the public API's JSON (no per-response values to fill in)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        wants_json = "text/html" not in request.headers.get("Accept", "") and request.GET.get("format") in (
            None,
            "json",
        )
        anonymous = (
            settings.SESSION_COOKIE_NAME not in request.COOKIES and "HTTP_AUTHORIZATION" not in request.META
        )
        if not enabled() or not wants_json or request.method != "GET" or not anonymous:
            return view(request, *args, **kwargs)
        key, found, entry = _lookup("api", request)
        if entry is not None:
            hit = HttpResponse(entry["body"], content_type=entry["content_type"])
            hit["Vary"] = "Accept, Cookie"
            return hit
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        renderer = getattr(response, "accepted_renderer", None)
        if response.status_code == 200 and getattr(renderer, "format", "json") == "json":
            entry = {
                "versions": {k: found[k] for k in (CONTENT_VERSION_KEY, PAGES_VERSION_KEY)},
                "body": response.content,
                "content_type": response["Content-Type"],
            }
            cache.set(key, entry, FRAGMENT_TIMEOUT)
        return response

    return wrapped
