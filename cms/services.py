"""Things residents do with council content that change state: searching (logged) and page feedback."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import Page, Site

from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.middleware import is_bot
from portal.interactions.models import Interaction
from portal.interactions.services import InteractionError, interaction_record

from . import selectors

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
