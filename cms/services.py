"""Things residents do with council content that change state: searching (logged) and page feedback."""

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.log_actions import log
from wagtail.models import Page, Site
from wagtail.search.utils import normalise_query_string

from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.middleware import is_bot
from portal.interactions.models import Interaction
from portal.interactions.services import InteractionError, interaction_record

from . import selectors
from .models import FeedbackHandled, ServicePage

if TYPE_CHECKING:
    from accounts.models import User

RESULTS_PER_PAGE = 10


# --- search -------------------------------------------------------------------------------


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` HTML-escaped, with words that start with a search term wrapped in ``<mark>``.

    The text is split on the matches first and every piece escaped on its own, so
    nothing an editor or a searcher typed can become markup.
    """
    stems = sorted({v for t in terms for v in selectors.term_variants(t)}, key=len, reverse=True)
    if not text or not stems:
        return escape(text or "")
    pattern = re.compile(r"\b((?:" + "|".join(re.escape(s) for s in stems) + r")\w*)", re.IGNORECASE)
    out = []
    for n, piece in enumerate(pattern.split(text)):
        out.append(f'<mark class="portal-search__mark">{escape(piece)}</mark>' if n % 2 else escape(piece))
    return mark_safe("".join(out))  # every piece was escaped above


@dataclass
class SearchHit:
    page: Page
    url: str
    title: SafeString
    summary: SafeString
    kind: str


@dataclass
class SiteSearch:
    query: str
    count: int = 0
    results: PaginatorPage | None = None
    hits: list[SearchHit] = field(default_factory=list)
    promotions: list[SearchPromotion] = field(default_factory=list)
    suggestion: str | None = None
    all_words: bool = True


def _hit(page: Page, terms: list[str], request: HttpRequest) -> SearchHit:
    summary = getattr(page, "summary", "") or page.search_description
    return SearchHit(
        page=page,
        url=page.get_url(request) or "",
        title=highlight(page.title, terms),
        summary=highlight(summary, terms),
        kind=str(page._meta.verbose_name).capitalize(),
    )


def site_search_run(*, request: HttpRequest, query: str, page_number: int | str | None = 1) -> SiteSearch:
    """Search the site's live public pages and record the search in the interaction log.

    The first results page of each query records one ``search`` interaction with the
    query and result count (``no_results`` when nothing at all was found); later
    results pages are the same search and are not recorded again. Searches by bots
    are never recorded. Zero results get a "did you mean" suggestion when one finds pages.

    The search is recorded with a ``service_code`` when editors tied the query to one
    service: a search promotion for the query pointing at a page with a service code, or
    a service page keyword whose words all appear in the query (the exact rule is
    ``selectors.search_service_code``). A resident who then follows a result is recorded
    by the page-view log with ``extras.from_search`` (the log's middleware).
    """
    query = " ".join(query.split())[: selectors.MAX_QUERY_LENGTH]
    search = SiteSearch(query=query)
    if not query:
        return search
    site = Site.find_for_request(request)
    found = selectors.page_search(site=site, query=query)
    search.all_words = found.all_words
    search.results = Paginator(found.results, RESULTS_PER_PAGE).get_page(page_number)
    search.count = search.results.paginator.count
    search.hits = [_hit(page, found.terms, request) for page in search.results.object_list]
    first_page = search.results.number == 1
    if first_page:
        search.promotions = selectors.search_promotions_for(site=site, query=query)
    if not search.count:
        search.suggestion = selectors.search_suggestion(site=site, query=query)
    if first_page and not is_bot(request.META.get("HTTP_USER_AGENT", "")):
        found_anything = search.count or search.promotions
        interaction_record(
            type=InteractionType.SEARCH,
            request=request,
            outcome=Outcome.RESULTS if found_anything else Outcome.NO_RESULTS,
            service_code=selectors.search_service_code(site=site, query=query, promotions=search.promotions),
            extras={"query": query, "count": search.count},
        )
    return search


# --- page feedback ------------------------------------------------------------------------

FEEDBACK_SESSION_KEY = "cms_page_feedback"
MAX_FEEDBACK_PATHS = 50


class FeedbackReason:
    """Why a page was not useful. Codes go into the interaction log's ``reason_code``."""

    CHOICES = [
        ("not_found", "I could not find the information I needed"),
        ("unclear", "The information was hard to understand"),
        ("out_of_date", "The information was wrong or out of date"),
        ("service_failed", "The online service did not work"),
        ("other", "Something else"),
    ]
    CODES = frozenset(code for code, _ in CHOICES)


_PERSONAL = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email removed]"),
    (re.compile(r"(?:\+?\d[\d\s-]{8,}\d)"), "[number removed]"),
]


def _without_personal_data(text: str) -> str:
    """We ask for no personal data; anything that looks like an email or phone number is dropped."""
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


def feedback_key(path: str) -> str:
    return path.split("?", 1)[0][:500]


def page_feedback_state(*, session: SessionBase | None, path: str) -> dict[str, Any] | None:
    """What this session already said about a page: None, or {"useful": bool, "id": int, "reason": bool}."""
    if session is None:
        return None
    return (session.get(FEEDBACK_SESSION_KEY) or {}).get(feedback_key(path))


def page_feedback_record(
    *, request: HttpRequest, page: Page | None, path: str, useful: bool
) -> Interaction | None:
    """Record "Was this page useful?" as a ``page_feedback`` interaction.

    The service code comes from the page (looked up by the caller from the id the form
    sent back; never from the browser). One answer per page per session: a second answer
    is ignored and None returned.
    """
    key = feedback_key(path)
    answers = dict(request.session.get(FEEDBACK_SESSION_KEY) or {})
    if key in answers:
        return None
    interaction = interaction_record(
        type=InteractionType.PAGE_FEEDBACK,
        request=request,
        path=key,
        service_code=getattr(page, "interaction_service_code", None) if page is not None else None,
        outcome=Outcome.USEFUL if useful else Outcome.NOT_USEFUL,
        extras={"page_id": page.pk} if page is not None else {},
    )
    if len(answers) >= MAX_FEEDBACK_PATHS:
        answers.pop(next(iter(answers)))
    answers[key] = {"useful": useful, "id": interaction.pk, "reason": False}
    request.session[FEEDBACK_SESSION_KEY] = answers
    return interaction


@transaction.atomic
def page_feedback_add_reason(
    *, request: HttpRequest, path: str, reason_code: str, comment: str
) -> Interaction | None:
    """Add "what went wrong" to this session's "not useful" answer for the page.

    Updates that same interaction (so the page still counts once as not useful). Only
    once, and only after "No" in this session; otherwise nothing is recorded.
    """
    if reason_code and reason_code not in FeedbackReason.CODES:
        raise InteractionError("Choose a reason from the list")
    key = feedback_key(path)
    answers = dict(request.session.get(FEEDBACK_SESSION_KEY) or {})
    answer = answers.get(key)
    if not answer or answer["useful"] or answer["reason"]:
        return None
    interaction = Interaction.objects.filter(pk=answer["id"], type=InteractionType.PAGE_FEEDBACK).first()
    answers[key] = {**answer, "reason": True}
    request.session[FEEDBACK_SESSION_KEY] = answers
    if interaction is None:
        return None
    comment = _without_personal_data(comment.strip())[:1000]
    if not reason_code and not comment:
        return interaction
    interaction.reason_code = reason_code
    extras = dict(interaction.extras or {})
    if comment:
        extras["comment"] = comment
    interaction.extras = extras
    interaction.save(update_fields=["reason_code", "extras"])
    return interaction


# --- "What to fix" (Reports) --------------------------------------------------------------

FEEDBACK_HANDLED_ACTION = "cms.feedback_handled"
SEARCH_TERM_ADDED_ACTION = "cms.search_term_added"


class WhatToFixError(ValueError):
    """An editor's action on the "What to fix" report that cannot be done; the message says why."""


def _keywords_with(keywords: str, term: str) -> str | None:
    """``keywords`` with ``term`` appended (comma separated), or None if it is already there."""
    existing = [k.strip() for k in keywords.split(",") if k.strip()]
    if any(normalise_query_string(k) == term for k in existing):
        return None
    return ", ".join([*existing, term])


@transaction.atomic
def search_term_add(*, user: "User", page: "ServicePage", query: str) -> str:
    """Make a failed search find ``page``: returns "keyword" or "promotion", saying which was done.

    - When ``user`` may publish the page, and it has no unpublished changes, no workflow in
      progress and no lock by someone else: the query is appended to the page's
      ``keywords`` in a new revision, which is published. Search indexes keywords, so the
      query now finds the page, and the keyword also attributes the search to the
      page's service.
    - Otherwise (an editor who may not publish, or a page with someone's draft in
      progress, which publishing would either discard or push live): a Wagtail search
      promotion of the page for that exact query, which editors may add. The search then
      shows the page as a promoted result and is no longer recorded as "no results".

    Either way the change is in Wagtail's history (page history, or the log of the promotion).
    """
    term = normalise_query_string(" ".join(query.split())[: selectors.MAX_QUERY_LENGTH])
    if not term:
        raise WhatToFixError("Enter the search term to add")
    if not page.permissions_for_user(user).can_edit():
        raise WhatToFixError("You cannot edit that page: choose one of the pages listed")
    page = page.specific_deferred if not isinstance(page, ServicePage) else page
    page.refresh_from_db()
    can_publish = page.permissions_for_user(user).can_publish()
    busy = page.has_unpublished_changes or page.workflow_in_progress or page.get_lock() is not None
    keywords = _keywords_with(page.keywords, term)
    if can_publish and not busy and keywords is not None:
        field_length = ServicePage._meta.get_field("keywords").max_length or 0
        if len(keywords) <= field_length:
            page.keywords = keywords
            revision = page.save_revision(user=user, log_action=True)
            revision.publish(user=user)
            log(
                instance=page,
                action=SEARCH_TERM_ADDED_ACTION,
                user=user,
                data={"term": term, "via": "keyword"},
            )
            return "keyword"
    if not user.has_perm("wagtailsearchpromotions.add_searchpromotion"):
        raise WhatToFixError(
            "You cannot publish this page or add promoted search results: ask a moderator to add the term"
        )
    search_query = Query.get(term)
    promotion = SearchPromotion.objects.filter(query=search_query, page=page).first()
    if promotion is None:
        last = SearchPromotion.objects.filter(query=search_query).order_by("-sort_order").first()
        promotion = SearchPromotion.objects.create(
            query=search_query,
            page=page,
            sort_order=(last.sort_order or 0) + 1 if last else 0,
            description="",
        )
        log(instance=promotion, action="wagtail.create", user=user)
    log(instance=page, action=SEARCH_TERM_ADDED_ACTION, user=user, data={"term": term, "via": "promotion"})
    return "promotion"


@transaction.atomic
def page_feedback_handle(*, user: "User", interaction: Interaction) -> FeedbackHandled:
    """Mark a "not useful" answer's comment as dealt with (once; a second mark changes nothing).

    Only editors who may edit the page the answer is about (any editor for an answer
    whose page is gone). Logged in the page's history in Wagtail.
    """
    if interaction.type != InteractionType.PAGE_FEEDBACK or interaction.outcome != Outcome.NOT_USEFUL:
        raise WhatToFixError("Only a 'not useful' answer can be marked as handled")
    page_id = (interaction.extras or {}).get("page_id")
    page = Page.objects.filter(pk=page_id).first() if isinstance(page_id, int) else None
    if page is not None and not page.permissions_for_user(user).can_edit():
        raise WhatToFixError("You cannot edit the page this comment is about")
    handled, created = FeedbackHandled.objects.get_or_create(
        interaction=interaction, defaults={"handled_by": user}
    )
    if created:
        log(
            instance=page if page is not None else handled,
            action=FEEDBACK_HANDLED_ACTION,
            user=user,
            data={"interaction_id": interaction.pk, "path": interaction.path},
        )
    return handled
