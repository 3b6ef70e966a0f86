import logging
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .constants import InteractionType
from .measures import bot_counter_key
from .services import interaction_record

logger = logging.getLogger(__name__)

BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|preview|monitor|uptime|"
    r"curl|wget|python-requests|python-urllib|httpclient|headless|lighthouse|pingdom",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(BOT_USER_AGENT.search(user_agent))


# The site search's address (cms.urls); the log imports no domain app, so it is named here.
SEARCH_PATH = "/search/"
MAX_FROM_SEARCH_LENGTH = 200


def from_search_query(request) -> str | None:
    """The query of this host's search results page the visitor came from, or None.

    Read from the Referer header alone (no query), so a page reached by following a
    search result can be attributed to that search. Paging through the results is not
    "following a result". Browsers send no Referer across sites by default, and none at
    all under ``no-referrer``: then this is simply None.
    """
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or request.path == SEARCH_PATH:
        return None
    parts = urlsplit(referer)
    if parts.path != SEARCH_PATH or parts.netloc != request.get_host():
        return None
    query = " ".join(" ".join(parse_qs(parts.query).get("q", [])).split())
    return query[:MAX_FROM_SEARCH_LENGTH] or None


class InteractionLogMiddleware:
    """Log a ``page_view`` (or ``contact_page_view``) for pages people see.

    Never breaks the page: any failure is logged and the response goes out unchanged.
    Costs one INSERT for a logged page and no other query. Static files, health checks,
    the admins, the API, redirects, htmx fragments and bots are not logged; bots are
    counted in the cache for the daily rollup instead.

    A page reached from this site's search results carries ``extras.from_search`` (the
    query), read from the Referer; pages served from the anonymous page cache pass
    through here too, so they are logged the same way.

    A view or page says which service a page is about with
    ``request.interaction_service_code`` or a page's ``interaction_service_code``
    attribute, and a contact page sets ``interaction_type`` to ``contact_page_view``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.excluded = tuple(settings.INTERACTIONS_EXCLUDED_PATH_PREFIXES) + (
            settings.STATIC_URL,
            settings.MEDIA_URL,
        )

    def __call__(self, request):
        response = self.get_response(request)
        if settings.INTERACTIONS_ENABLED:
            try:
                self._log(request, response)
            except Exception:
                logger.exception("Could not log the page view of %s", request.path)
        return response

    def process_template_response(self, request, response):
        page = (response.context_data or {}).get("page") if hasattr(response, "context_data") else None
        if page is not None:
            code = getattr(page, "interaction_service_code", None)
            if code and not hasattr(request, "interaction_service_code"):
                request.interaction_service_code = code
            kind = getattr(page, "interaction_type", None)
            if kind and not hasattr(request, "interaction_type"):
                request.interaction_type = kind
        return response

    def _log(self, request, response) -> None:
        if request.method not in ("GET", "HEAD") or request.path.startswith(self.excluded):
            return
        if getattr(request, "assisted", None) is not None:
            return  # staff doing a caller's business (portal.lib.assisted): not web activity
        if 300 <= response.status_code < 400:
            return
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted:
            return
        if is_bot(request.META.get("HTTP_USER_AGENT", "")):
            key = bot_counter_key(timezone.localdate())
            cache.add(key, 0, 3 * 24 * 3600)
            cache.incr(key)
            return
        query = from_search_query(request)
        interaction_record(
            type=getattr(request, "interaction_type", InteractionType.PAGE_VIEW),
            request=request,
            service_code=getattr(request, "interaction_service_code", None),
            status_code=response.status_code,
            extras={"from_search": query} if query else None,
            fetch_id=False,
            buffered=True,
        )
