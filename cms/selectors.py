"""Reads of council content that views, the API and the admin share."""

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import Resolver404, resolve
from django.utils import timezone

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import Page, Site
from wagtail.permissions import policy_registry
from wagtail.search.query import And, Or, PlainText
from wagtail.search.utils import normalise_query_string

from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction

from .cache import content_version
from .models import (
    AlertDelivery,
    AlertSending,
    AlertSubscription,
    BasePage,
    ContactPage,
    FeedbackHandled,
    HomePage,
    ServicePage,
)

if TYPE_CHECKING:
    from wagtail.query import PageQuerySet
    from wagtail.search.query import SearchQuery

    from accounts.models import User

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8

# Words that only make a search stricter: "how do I pay council tax" searches for
# "pay council tax". Kept short on purpose; service words ("bin", "tax") never appear.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "there",
        "this",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def public_pages(*, site: Site | None) -> "PageQuerySet":
    """Live pages anyone may see on a site: never drafts, never pages behind a view restriction."""
    pages = Page.objects.live().public()
    if site is None:
        return pages.none()
    return pages.descendant_of(site.root_page, inclusive=True)


def public_page_get(*, site: Site | None, page_id: int | str | None) -> Page | None:
    """One live public page (specific), or None: for ids a browser sends back to us."""
    if page_id is None:
        return None
    try:
        page_id = int(page_id)
    except (TypeError, ValueError):
        return None
    return public_pages(site=site).filter(pk=page_id).specific().first()


# --- search -------------------------------------------------------------------------------


def search_terms(query: str) -> list[str]:
    """The words of a query worth searching for, lower case, without punctuation.

    Tokenising here (rather than passing the raw string on) keeps characters that mean
    something to the full-text engines (quotes, ``*``, ``-``) out of the query.
    """
    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) <= 40]
    terms = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def term_variants(term: str) -> list[str]:
    """The term and its singular, so "bins" finds "bin" on SQLite (no stemming there)."""
    variants = [term]
    if len(term) > 4 and term.endswith("ies"):
        variants.append(term[:-3] + "y")
    elif len(term) > 4 and term.endswith(("ches", "shes", "sses", "xes")):
        variants.append(term[:-2])
    elif len(term) > 3 and term.endswith("s") and not term.endswith("ss"):
        variants.append(term[:-1])
    return variants


def _search_query(terms: list[str], operator: str) -> "SearchQuery":
    parts = []
    for term in terms:
        variants = term_variants(term)
        parts.append(PlainText(variants[0]) if len(variants) == 1 else Or([PlainText(v) for v in variants]))
    if len(parts) == 1:
        return parts[0]
    return And(parts) if operator == "and" else Or(parts)


@dataclass
class PageSearch:
    results: Any  # Wagtail SearchResults (untyped): sliceable, with .count()
    terms: list[str]
    all_words: bool  # False when no page had every word and any-word results are shown


def page_search(*, site: Site | None, query: str) -> PageSearch:
    """Full-text search over live public pages (Wagtail's search backend).

    Pages with every word come first; when no page has them all, pages with any of
    them are returned instead (``all_words`` is then False).
    """
    terms = search_terms(query[:MAX_QUERY_LENGTH])
    pages = public_pages(site=site).specific()
    if not terms:
        return PageSearch(results=pages.none(), terms=[], all_words=True)
    results = pages.search(_search_query(terms, "and"))
    if len(terms) > 1 and not results.count():
        return PageSearch(results=pages.search(_search_query(terms, "or")), terms=terms, all_words=False)
    return PageSearch(results=results, terms=terms, all_words=True)


def _vocabulary(site: Site | None) -> list[str]:
    """Words editors used in live page titles and service keywords, for "did you mean"."""
    key = f"cms:search-vocabulary:{site.pk if site else 0}:{content_version()}"
    words = cache.get(key)
    if words is None:
        text = " ".join(public_pages(site=site).values_list("title", flat=True))
        keywords = ServicePage.objects.filter(pk__in=public_pages(site=site).values("pk"))
        text += " " + " ".join(keywords.values_list("keywords", flat=True))
        words = sorted(set(re.findall(r"[^\W\d_]{3,}", text.lower())))
        cache.set(key, words, 60 * 60)
    return words


def search_suggestion(*, site: Site | None, query: str) -> str | None:
    """A corrected query ("did you mean"), or None.

    Wagtail's database backend offers no spelling suggestions (the search_promotions
    contrib app gives promoted results, not corrections), so each unknown word is
    matched with difflib against the words in live page titles and service keywords.
    A suggestion is only offered when it finds pages.
    """
    terms = search_terms(query[:MAX_QUERY_LENGTH])
    if not terms:
        return None
    vocabulary = _vocabulary(site)
    known = set(vocabulary)
    corrected = []
    for term in terms:
        if term in known or term.isdigit():
            corrected.append(term)
            continue
        match = difflib.get_close_matches(term, vocabulary, n=1, cutoff=0.75)
        corrected.append(match[0] if match else term)
    if corrected == terms:
        return None
    suggestion = " ".join(corrected)
    if not page_search(site=site, query=suggestion).results.count():
        return None
    return suggestion


def search_promotions_for(*, site: Site | None, query: str) -> list[SearchPromotion]:
    """Editors' promoted results for this query (Wagtail's search_promotions), live public pages only."""
    normalised = normalise_query_string(query[:MAX_QUERY_LENGTH])
    if not normalised:
        return []
    promotions = list(
        SearchPromotion.objects.filter(query__query_string=normalised)
        .select_related("page")
        .order_by("sort_order")
    )
    page_ids = [p.page_id for p in promotions if p.page_id]
    visible = (
        set(public_pages(site=site).filter(pk__in=page_ids).values_list("pk", flat=True))
        if page_ids
        else set()
    )
    return [p for p in promotions if (p.page_id in visible) or (not p.page_id and p.external_link_url)]


def search_next_steps(*, site: Site | None) -> dict[str, Page | None]:
    """What a zero-result search offers instead: the home page's top tasks (and its A to Z)
    and the contact page."""
    if site is None:
        return {"home": None, "contact_page": None}
    home = site.root_page.specific
    contact = ContactPage.objects.live().public().descendant_of(site.root_page).order_by("path").first()
    return {"home": home if isinstance(home, HomePage) else None, "contact_page": contact}


# --- content review -----------------------------------------------------------------------


def pages_due_for_review(*, on: date | None = None) -> "PageQuerySet":
    """Live pages whose "review by" date is today or past, oldest first.

    ``review_by`` lives on each page type's own table (``BasePage`` is abstract), so it
    is read through the page's one-to-one link to each type and annotated as
    ``review_by``. Pages of other types (none yet) have no date and never appear.
    """
    on = on or timezone.localdate()
    models = review_page_models()
    if not models:
        return Page.objects.none()
    dates = [F(f"{m._meta.model_name}__review_by") for m in models]
    review_by = Coalesce(*dates) if len(dates) > 1 else dates[0]
    return (
        Page.objects.live()
        .annotate(review_by=review_by)
        .filter(review_by__lte=on)
        .order_by("review_by", "path")
    )


def pages_due_for_review_for(user: "User") -> "PageQuerySet":
    """Pages due for review that this user may edit (an editor's own part of the tree)."""
    editable = policy_registry.get_by_type(Page).instances_user_has_any_permission_for(
        user, ["change", "publish"]
    )
    return pages_due_for_review().filter(pk__in=editable.values("pk"))


def review_page_models() -> list[type[BasePage]]:
    """Every concrete page type with a "review by" date (subclasses of ``BasePage``)."""
    return [
        m
        for m in apps.get_models()
        if issubclass(m, BasePage)
        and not m._meta.abstract
        and not m._meta.proxy
        and m._meta.parents.get(Page)
    ]


# --- search attribution -------------------------------------------------------------------


def _word_stems(text: str) -> frozenset[str]:
    """The words of ``text``, lower case and singular ("bins" -> "bin"), as a set."""
    return frozenset(term_variants(w)[-1] for w in re.findall(r"\w+", text.lower()))


def _service_keywords(site: Site | None) -> list[tuple[frozenset[str], int]]:
    """Every service keyword on the site's live public service pages: (its words, service code).

    In tree order of the pages, then the order the editor wrote the keywords in. Cached
    with the content version, so a published keyword counts from the next search on.
    """
    key = f"cms:service-keywords:{site.pk if site else 0}:{content_version()}"
    index = cache.get(key)
    if index is None:
        pages = (
            ServicePage.objects.filter(pk__in=public_pages(site=site).values("pk"), service__isnull=False)
            .exclude(keywords="")
            .order_by("path")
            .values_list("keywords", "service_id")
        )
        index = []
        for keywords, code in pages:
            for keyword in keywords.split(","):
                words = _word_stems(keyword)
                if words:
                    index.append((words, code))
        cache.set(key, index, 60 * 60)
    return index


def search_service_code(
    *, site: Site | None, query: str, promotions: list[SearchPromotion] | None = None
) -> int | None:
    """The one service a search is attributed to, or None.

    A search belongs to a service when an editor tied the query to it:

    1. a search promotion for this query (``promotions``, in the editors' order) whose
       page has a service code: the first such;
    2. otherwise a keyword of a live service page (``ServicePage.keywords``, separated by
       commas) whose words all appear in the query. Words are compared lower case and
       singular, ignoring punctuation and word order: the keyword "bin day" matches "when
       is my bin day?" and "bins day", but not "bin". Of several matching keywords the
       one with most words wins (the most specific), then the first page in tree order,
       then the keyword written first, so the answer never depends on the database.
    """
    promoted_ids = [p.page_id for p in promotions or [] if p.page_id]
    if promoted_ids:
        pages = {p.pk: p for p in Page.objects.filter(pk__in=promoted_ids).specific()}
        for page_id in promoted_ids:
            code = getattr(pages.get(page_id), "interaction_service_code", None)
            if code:
                return code
    words = _word_stems(query[:MAX_QUERY_LENGTH])
    if not words:
        return None
    best: tuple[int, int] | None = None
    for keyword_words, code in _service_keywords(site):
        if keyword_words <= words and (best is None or len(keyword_words) > best[0]):
            best = (len(keyword_words), code)
    return best[1] if best else None


# --- "What to fix" (Reports) --------------------------------------------------------------

NEXT_PAGE_WINDOW = timedelta(minutes=30)
MAX_FAILED_SEARCHES = 100


@dataclass
class FailedSearch:
    query: str  # normalised: lower case, single spaces (as search promotions store queries)
    count: int
    last_searched: datetime
    next_path: str = ""  # the page searchers most often went to next ("" if none)
    next_count: int = 0  # how many of the searches were followed by that page


def failed_searches(
    *, start: datetime, end: datetime, limit: int = MAX_FAILED_SEARCHES
) -> list[FailedSearch]:
    """Searches that found nothing in [start, end), grouped by normalised query, most frequent first.

    Ties go to the most recent, then alphabetical. For each query, the page a searcher
    went to next: the first page view by the same visitor (same session, or same visitor
    key) within ``NEXT_PAGE_WINDOW`` after the search, other than the search page itself
    or an error page; the most common such page is shown (ties: alphabetical).

    Reads the raw log through its (type, time) index, for one period: an editors' report
    run now and then, not a dashboard.
    """
    searches = Interaction.objects.filter(
        type=InteractionType.SEARCH, outcome=Outcome.NO_RESULTS, occurred_at__gte=start, occurred_at__lt=end
    ).values_list("extras", "occurred_at", "session_key", "visitor_key")
    groups: dict[str, list[tuple[datetime, str, str]]] = {}
    for extras, occurred_at, session_key, visitor in searches.iterator(chunk_size=2000):
        query = normalise_query_string(str((extras or {}).get("query") or ""))
        if query:
            groups.setdefault(query, []).append((occurred_at, session_key, visitor))
    ranked = sorted(groups.items(), key=lambda g: (-len(g[1]), -max(t for t, _, _ in g[1]).timestamp(), g[0]))
    rows = [
        FailedSearch(query=q, count=len(s), last_searched=max(t for t, _, _ in s)) for q, s in ranked[:limit]
    ]
    views = _page_views_after([s for q, _ in ranked[:limit] for s in groups[q]], end=end)
    for row in rows:
        followed: dict[str, int] = {}
        for occurred_at, session_key, visitor in groups[row.query]:
            path = _next_path(views, occurred_at, session_key, visitor)
            if path and _is_content_page(path):
                followed[path] = followed.get(path, 0) + 1
        if followed:
            row.next_path, row.next_count = min(followed.items(), key=lambda f: (-f[1], f[0]))
    return rows


@lru_cache(maxsize=2048)
def _is_content_page(path: str) -> bool:
    """Whether ``path`` is served by Wagtail (a council page), not a resident's own page: a
    tracking link, an account, a form or a payment page must never be shown to editors."""
    try:
        return resolve(path).url_name == "wagtail_serve"
    except Resolver404:
        return False


def _page_views_after(
    searches: list[tuple[datetime, str, str]], *, end: datetime
) -> dict[str, list[tuple[datetime, str, str]]]:
    """Page views by these searchers, by visitor key and by session, in time order."""
    visitors = sorted({v for _, _, v in searches if v})
    sessions = sorted({s for _, s, _ in searches if s})
    if not searches or not (visitors or sessions):
        return {}
    start = min(t for t, _, _ in searches)
    found: dict[str, list[tuple[datetime, str, str]]] = {}
    for column, keys in (("visitor_key", visitors), ("session_key", sessions)):
        for i in range(0, len(keys), 500):
            views = (
                Interaction.objects.filter(
                    type__in=[InteractionType.PAGE_VIEW, InteractionType.CONTACT_PAGE_VIEW],
                    occurred_at__gt=start,
                    occurred_at__lte=end + NEXT_PAGE_WINDOW,
                    **{f"{column}__in": keys[i : i + 500]},
                )
                .exclude(path="/search/")
                .exclude(status_code__gte=400)
                .order_by("occurred_at", "pk")
                .values_list(column, "occurred_at", "path", "pk")
            )
            for key, occurred_at, path, pk in views:
                found.setdefault(f"{column}:{key}", []).append((occurred_at, path, str(pk)))
    return found


def _next_path(
    views: dict[str, list[tuple[datetime, str, str]]], at: datetime, session_key: str, visitor: str
) -> str:
    """The first page view after ``at`` (within the window) by this session or visitor."""
    candidates = []
    for key in ([f"session_key:{session_key}"] if session_key else []) + (
        [f"visitor_key:{visitor}"] if visitor else []
    ):
        for occurred_at, path, _pk in views.get(key, []):
            if occurred_at > at:
                if occurred_at - at <= NEXT_PAGE_WINDOW:
                    candidates.append((occurred_at, path))
                break
    return min(candidates)[1] if candidates else ""


@dataclass
class FeedbackComment:
    interaction_id: int
    occurred_at: datetime
    reason_code: str
    reason: str
    comment: str
    handled: bool


@dataclass
class PageFeedbackSummary:
    page: Page | None
    path: str
    useful: int = 0
    not_useful: int = 0
    comments: list[FeedbackComment] = field(default_factory=list)

    @property
    def answers(self) -> int:
        return self.useful + self.not_useful

    @property
    def usefulness(self) -> str:
        """e.g. "75.0% (3 of 4)": one decimal, with the numerator and denominator."""
        if not self.answers:
            return "No answers"
        return f"{self.useful * 100 / self.answers:.1f}% ({self.useful} of {self.answers})"

    @property
    def title(self) -> str:
        return self.page.title if self.page is not None else self.path


def page_feedback_report(
    *, start: datetime, end: datetime, user: "User", show_handled: bool = False, reasons: dict[str, str]
) -> list[PageFeedbackSummary]:
    """ "Is this page useful?" answers in [start, end), per page, for the pages ``user`` may edit.

    Pages with most "not useful" answers come first (then lowest usefulness, then title).
    Each page lists its "not useful" answers that came with a reason or comment, newest
    first; ones marked handled only when ``show_handled``. Answers whose page no longer
    exists (or was never known) are grouped by address and shown to every editor.
    """
    answers = (
        Interaction.objects.filter(
            type=InteractionType.PAGE_FEEDBACK, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by("-occurred_at", "-pk")
        .values_list("pk", "occurred_at", "outcome", "reason_code", "extras", "path")
    )
    rows = list(answers)
    page_ids = set()
    for *_, extras, _path in rows:
        page_id = (extras or {}).get("page_id")
        if isinstance(page_id, int):
            page_ids.add(page_id)
    pages = {p.pk: p for p in Page.objects.filter(pk__in=page_ids)} if page_ids else {}
    editable = (
        set(
            policy_registry.get_by_type(Page)
            .instances_user_has_any_permission_for(user, ["change", "publish"])
            .filter(pk__in=pages)
            .values_list("pk", flat=True)
        )
        if pages
        else set()
    )
    handled = set(
        FeedbackHandled.objects.filter(interaction_id__in=[r[0] for r in rows]).values_list(
            "interaction_id", flat=True
        )
    )
    summaries: dict[str, PageFeedbackSummary] = {}
    for pk, occurred_at, outcome, reason_code, extras, path in rows:
        extras = extras or {}
        page = pages.get(extras.get("page_id"))
        if page is not None and page.pk not in editable:
            continue
        key = f"page:{page.pk}" if page is not None else f"path:{path}"
        summary = summaries.setdefault(key, PageFeedbackSummary(page=page, path=path))
        if outcome == Outcome.USEFUL:
            summary.useful += 1
        elif outcome == Outcome.NOT_USEFUL:
            summary.not_useful += 1
            comment = str(extras.get("comment") or "")
            if (reason_code or comment) and (show_handled or pk not in handled):
                summary.comments.append(
                    FeedbackComment(
                        interaction_id=pk,
                        occurred_at=occurred_at,
                        reason_code=reason_code,
                        reason=reasons.get(reason_code, reason_code),
                        comment=comment,
                        handled=pk in handled,
                    )
                )
    return sorted(
        summaries.values(),
        key=lambda s: (-s.not_useful, s.useful / s.answers if s.answers else 1, s.title.lower(), s.path),
    )


def feedback_comment_get(*, interaction_id: int | str) -> Interaction | None:
    """A "not useful" answer (the only kind the report lets editors mark handled), or None."""
    try:
        interaction_id = int(interaction_id)
    except (TypeError, ValueError):
        return None
    return Interaction.objects.filter(
        pk=interaction_id, type=InteractionType.PAGE_FEEDBACK, outcome=Outcome.NOT_USEFUL
    ).first()


def search_term_pages_for(user: "User") -> "PageQuerySet":
    """Service pages this user may edit, to add a search term to: live ones, by title."""
    editable = policy_registry.get_by_type(Page).instances_user_has_any_permission_for(
        user, ["change", "publish"]
    )
    return ServicePage.objects.live().filter(pk__in=editable.values("pk")).order_by("title", "pk")


# --- Service alerts -----------------------------------------------------------------------


def alert_recipients(*, sending: AlertSending) -> QuerySet[AlertSubscription]:
    """The subscriptions an alert's sending has still to reach, in a fixed order.

    Confirmed by the time the sending started and not ended; for an alert with areas, the
    subscriptions for those districts and the ones for every alert; for one without, all.
    Those with a delivery of this alert are left out, so each run picks up where the last stopped.
    """
    areas = [a for a in sending.areas.replace(",", " ").split() if a]
    recipients = AlertSubscription.objects.filter(
        confirmed_at__isnull=False, confirmed_at__lte=sending.started_at, ended_at__isnull=True
    )
    if areas:
        recipients = recipients.filter(Q(area="") | Q(area__in=areas))
    delivered = AlertDelivery.objects.filter(alert_id=sending.alert_id, subscription_id=OuterRef("pk"))
    return recipients.filter(~Exists(delivered)).select_related("user").order_by("pk")


def alert_subscription_by_unsubscribe_token(token: str) -> AlertSubscription | None:
    """The subscription whose unsubscribe link carries ``token`` (ended or not), or None."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return AlertSubscription.objects.filter(unsubscribe_token_hash=digest).first()


def alert_subscriptions_for(user: "User") -> QuerySet[AlertSubscription]:
    """A resident's subscriptions that have not ended (started, or waiting for their link)."""
    return AlertSubscription.objects.filter(user=user, ended_at__isnull=True).order_by("created_at", "pk")


def alert_subscription_for(*, user: "User", pk: int | str) -> AlertSubscription | None:
    """One of the resident's own current subscriptions, or None (someone else's is None too)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return alert_subscriptions_for(user).filter(pk=pk).first()
