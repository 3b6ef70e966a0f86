"""Reads of council content that views, the API and the admin share."""

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import Page, Site
from wagtail.permissions import policy_registry
from wagtail.search.query import And, Or, PlainText
from wagtail.search.utils import normalise_query_string

from .cache import content_version
from .models import BasePage, ContactPage, HomePage, ServicePage

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
