"""Reads of council content that views, the API and the admin share."""

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.functions import Coalesce
from django.urls import Resolver404, resolve
from django.utils import timezone

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import Page, PageViewRestriction, Site
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
    SynonymGroup,
    synonym_phrases,
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

# How many of the backend's best matches are ranked (and cached) per query. Pages past these
# are listed after them in the backend's own order: a 21st page of results is rarely opened.
MAX_RANKED = 200
SEARCH_CACHE_SECONDS = 60 * 60

# Where a word of the query is found on a page, best first (``_page_score``). Each word (or
# phrase of a synonym group) scores once, in the best place it is found; a page with the
# searcher's words in order in its title gets SCORE_TITLE_PHRASE on top. A page that has a
# word only in its body scores nothing for it: the backend found it, and its own rank breaks
# the tie.
SCORE_TITLE_PHRASE = 1000
SCORE_TITLE = 100
SCORE_KEYWORDS = 30
SCORE_SUMMARY = 10
# A synonym found counts a little less than the word the searcher typed.
SYNONYM_SHARE = 0.8
# A word or phrase (its words folded singular) -> the phrases of its synonym group.
Synonyms = dict[tuple[str, ...], tuple[str, ...]]


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


def _fold(word: str) -> str:
    return term_variants(word)[-1]


def _folded(text: str) -> tuple[str, ...]:
    """The words of ``text``, lower case and singular, in order."""
    return tuple(_fold(w) for w in re.findall(r"\w+", (text or "").lower()))


def _phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase's words as a search uses them: lower case, without stop words (as ``search_terms``)."""
    words = re.findall(r"\w+", phrase.lower())
    return tuple([w for w in words if w not in STOP_WORDS] or words)


def synonym_key(phrase: str) -> tuple[str, ...]:
    """A synonym phrase as the search matches it (lower case, singular, no stop words): two
    phrases with the same key are the same to a search ("bins" and "bin")."""
    return tuple(_fold(w) for w in _phrase_words(phrase))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` occurs in ``words``, its words next to each other and in order."""
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class SearchConcept:
    """One thing the searcher asked for: a word, or a word or phrase of a synonym group with
    the group's other words and phrases. ``alternatives`` are each a tuple of words, the one
    the searcher typed first; a page matches the concept when it has any of them."""

    typed: str
    alternatives: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> list[str]:
        return list(dict.fromkeys(w for phrase in self.alternatives for w in phrase))


def synonym_index(*, version: str | None = None) -> Synonyms:
    """Editors' synonym groups (``SynonymGroup``): each word or phrase, as folded words, to
    its group's phrases. Cached with the content version, which saving a group moves on."""
    key = f"cms:search-synonyms:{version or content_version()}"
    index = cache.get(key)
    if index is None:
        index = {}
        for words in SynonymGroup.objects.order_by("pk").values_list("words", flat=True):
            phrases = tuple(synonym_phrases(words))
            for phrase in phrases:
                folded = tuple(_fold(w) for w in _phrase_words(phrase))
                if folded:
                    index.setdefault(folded, phrases)
        cache.set(key, index, SEARCH_CACHE_SECONDS)
    return index


def search_concepts(terms: list[str], synonyms: Synonyms) -> list[SearchConcept]:
    """The query's terms as concepts: a run of terms that is a synonym group's phrase (longest
    first, so "wheelie bin" before "bin") becomes one concept with the group's other phrases.
    Words are compared singular, so "bins" is in a group that has "bin"."""
    longest = max((len(key) for key in synonyms), default=1)
    concepts: list[SearchConcept] = []
    i = 0
    while i < len(terms):
        for n in range(min(longest, len(terms) - i), 0, -1):
            typed = tuple(terms[i : i + n])
            folded = tuple(_fold(t) for t in typed)
            group = synonyms.get(folded)
            if group is None and n > 1:
                continue
            others = [
                words
                for words in (_phrase_words(p) for p in group or ())
                if tuple(_fold(w) for w in words) != folded
            ]
            concepts.append(SearchConcept(typed=" ".join(typed), alternatives=(typed, *others)))
            i += n
            break
    return concepts


def _word_query(word: str) -> "SearchQuery":
    variants = term_variants(word)
    return PlainText(variants[0]) if len(variants) == 1 else Or([PlainText(v) for v in variants])


def _concept_query(concept: SearchConcept) -> "SearchQuery":
    options = []
    for words in concept.alternatives:
        parts = [_word_query(w) for w in words]
        options.append(parts[0] if len(parts) == 1 else And(parts))
    return options[0] if len(options) == 1 else Or(options)


def _search_query(concepts: list[SearchConcept], operator: str) -> "SearchQuery":
    parts = [_concept_query(c) for c in concepts]
    if len(parts) == 1:
        return parts[0]
    return And(parts) if operator == "and" else Or(parts)


@dataclass(frozen=True)
class RankedPage:
    """A search result as the results page shows it (cached with the search: no page is loaded
    again to show it)."""

    pk: int
    title: str
    summary: str
    url: str
    kind: str

    @property
    def id(self) -> int:
        return self.pk


@dataclass
class PageSearch:
    terms: list[str]
    concepts: list[SearchConcept]
    all_words: bool = True  # False when no page had every word and any-word results are shown
    count: int = 0
    ranked: list[RankedPage] = field(default_factory=list)  # the best MAX_RANKED, best first

    @property
    def highlight_words(self) -> list[str]:
        """The words to mark in results: the searcher's and their synonyms."""
        return list(dict.fromkeys(w for c in self.concepts for w in c.words)) or self.terms


def _matches(pages: "PageQuerySet", backend_query: "SearchQuery", *, start: int = 0, stop: int) -> list[int]:
    """Ids of the backend's matches from ``start`` to ``stop``, in its order of relevance."""
    return [page.pk for page in pages.search(backend_query)[start:stop]]


def _own_field(model: type[Page], name: str) -> Subquery:
    return Subquery(
        model._base_manager.filter(pk=OuterRef("pk")).order_by().values(name)[:1], output_field=TextField()
    )


def _page_rows(ids: list[int]) -> dict[int, Page]:
    """The pages with what ranking and results need, in one query: title, URL path, type, and
    the summary (and a service page's keywords) from the page type's own table.

    Each row reads only its own type's table (a CASE on the content type): a LEFT JOIN to
    every page type's table instead gives PostgreSQL a row estimate so large, before the
    tables have statistics, that it spends longer compiling the query (JIT) than running it.
    """
    models = review_page_models()
    types = ContentType.objects.get_for_models(*models)
    summary = Case(
        *(When(content_type_id=types[m].pk, then=_own_field(m, "summary")) for m in models),
        default=Value(""),
        output_field=TextField(),
    )
    keywords = Case(
        When(content_type_id=types[ServicePage].pk, then=_own_field(ServicePage, "keywords")),
        default=Value(""),
        output_field=TextField(),
    )
    rows = (
        Page.objects.filter(pk__in=ids)
        .annotate(
            search_summary=Coalesce(summary, Value(""), output_field=TextField()),
            search_keywords=Coalesce(keywords, Value(""), output_field=TextField()),
        )
        .only("id", "title", "url_path", "search_description", "content_type")
        .order_by()
    )
    return {page.pk: page for page in rows}


def _page_score(page: Page, concepts: list[SearchConcept], typed: tuple[str, ...]) -> float:
    """How well a page matches (higher is better): see SCORE_TITLE_PHRASE and the others."""
    title = _folded(page.title)
    keywords = [_folded(k) for k in page.search_keywords.split(",")]
    summary = _folded(page.search_summary or page.search_description)
    score: float = SCORE_TITLE_PHRASE if len(typed) > 1 and _contains(title, typed) else 0
    for concept in concepts:
        best: float = 0
        for n, words in enumerate(concept.alternatives):
            phrase = tuple(_fold(w) for w in words)
            if _contains(title, phrase):
                found = SCORE_TITLE
            elif any(_contains(k, phrase) for k in keywords):
                found = SCORE_KEYWORDS
            elif _contains(summary, phrase):
                found = SCORE_SUMMARY
            else:
                continue
            best = max(best, found * (1 if n == 0 else SYNONYM_SHARE))
        score += best
    return score


def _ranked_page(page: Page, *, site: Site | None, request: Any) -> RankedPage:
    model = page.specific_class
    return RankedPage(
        pk=page.pk,
        title=page.title,
        summary=page.search_summary or page.search_description,
        url=(page.get_url(request) if request is not None else page.get_url(current_site=site)) or "",
        kind=str(model._meta.verbose_name).capitalize() if model else "Page",
    )


def _rank(
    ids: list[int], *, concepts: list[SearchConcept], terms: list[str], site: Site | None, request: Any
) -> list[RankedPage]:
    """``ids`` (the backend's order) best first: by ``_page_score``, then the backend's order."""
    rows = _page_rows(ids)
    typed = tuple(_fold(t) for t in terms)
    position = {pk: n for n, pk in enumerate(ids)}
    ordered = sorted(
        (page for pk in ids if (page := rows.get(pk)) is not None),
        key=lambda page: (-_page_score(page, concepts, typed), position[page.pk]),
    )
    return [_ranked_page(page, site=site, request=request) for page in ordered]


def search_scope(*, site: Site | None, version: str | None = None) -> "PageQuerySet":
    """The pages a search may find: ``public_pages(site=site)`` without its query for view
    restrictions, which are read once per content version (a restriction moves it on)."""
    if site is None:
        return Page.objects.none()
    key = f"cms:search-scope:{site.pk}:{version or content_version()}"
    scope = cache.get(key)
    if scope is None:
        root = Page.objects.filter(pk=site.root_page_id).values_list("path", "depth").first()
        private = list(PageViewRestriction.objects.values_list("page__path", "page__depth"))
        scope = (root, private)
        cache.set(key, scope, SEARCH_CACHE_SECONDS)
    root, private = scope
    if root is None:
        return Page.objects.none()
    restricted = Q(pk__in=[])
    for path, depth in private:
        restricted |= Q(path__startswith=path, depth__gte=depth)
    return Page.objects.live().filter(path__startswith=root[0], depth__gte=root[1]).exclude(restricted)


def page_search(
    *,
    site: Site | None,
    query: str,
    request: Any = None,
    synonyms: Synonyms | None = None,
    pages: "PageQuerySet | None" = None,
) -> PageSearch:
    """Full-text search over live public pages (Wagtail's search backend), best match first.

    Each word of the query (or phrase of an editor's synonym group) also finds its synonyms.
    Pages with every word come first; when no page has them all, pages with any of them are
    returned instead (``all_words`` is then False). The backend's best ``MAX_RANKED`` matches
    are ranked by where the words are (``_page_score``: title, then a service page's keywords,
    then the summary, then the body), ties in the backend's own order. ``request`` (optional)
    makes the result URLs relative to its site, as ``Page.get_url`` does.
    """
    terms = search_terms(query[:MAX_QUERY_LENGTH])
    concepts = search_concepts(terms, synonym_index() if synonyms is None else synonyms)
    found = PageSearch(terms=terms, concepts=concepts)
    if not concepts:
        return found
    if pages is None:
        pages = search_scope(site=site)
    ids = _matches(pages, _search_query(concepts, "and"), stop=MAX_RANKED)
    if not ids and len(concepts) > 1:
        found.all_words = False
        ids = _matches(pages, _search_query(concepts, "or"), stop=MAX_RANKED)
    found.count = len(ids)
    if len(ids) == MAX_RANKED:
        found.count = pages.search(_search_query(concepts, "and" if found.all_words else "or")).count()
    found.ranked = _rank(ids, concepts=concepts, terms=terms, site=site, request=request)
    return found


def page_search_more(
    *, site: Site | None, found: PageSearch, start: int, stop: int, request: Any = None
) -> list[RankedPage]:
    """Results past the ranked ones (``start`` >= MAX_RANKED), in the backend's order."""
    pages = search_scope(site=site)
    backend_query = _search_query(found.concepts, "and" if found.all_words else "or")
    ids = _matches(pages, backend_query, start=start, stop=stop)
    rows = _page_rows(ids)
    return [_ranked_page(rows[pk], site=site, request=request) for pk in ids if pk in rows]


def _any_match(*, pages: "PageQuerySet", query: str, synonyms: Synonyms) -> bool:
    """Whether a search for ``query`` finds any page (one query: pages with any of its words)."""
    concepts = search_concepts(search_terms(query[:MAX_QUERY_LENGTH]), synonyms)
    return bool(concepts) and bool(_matches(pages, _search_query(concepts, "or"), stop=1))


def _vocabulary(site: Site | None) -> list[str]:
    """Words editors used in live page titles, service keywords and synonym groups, for "did you mean"."""
    key = f"cms:search-vocabulary:{site.pk if site else 0}:{content_version()}"
    words = cache.get(key)
    if words is None:
        text = " ".join(public_pages(site=site).values_list("title", flat=True))
        keywords = ServicePage.objects.filter(pk__in=public_pages(site=site).values("pk"))
        text += " " + " ".join(keywords.values_list("keywords", flat=True))
        text += " " + " ".join(SynonymGroup.objects.values_list("words", flat=True))
        words = sorted(set(re.findall(r"[^\W\d_]{3,}", text.lower())))
        cache.set(key, words, 60 * 60)
    return words


def search_suggestion(
    *,
    site: Site | None,
    query: str,
    synonyms: Synonyms | None = None,
    pages: "PageQuerySet | None" = None,
) -> str | None:
    """A corrected query ("did you mean"), or None.

    Wagtail's database backend offers no spelling suggestions (the search_promotions
    contrib app gives promoted results, not corrections), so each unknown word is
    matched with difflib against the words in live page titles, service keywords and
    synonym groups. A suggestion is only offered when it finds pages.
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
    if synonyms is None:
        synonyms = synonym_index()
    if pages is None:
        pages = search_scope(site=site)
    if not _any_match(pages=pages, query=suggestion, synonyms=synonyms):
        return None
    return suggestion


def search_promotions_for(
    *, site: Site | None, query: str, pages: "PageQuerySet | None" = None
) -> list[SearchPromotion]:
    """Editors' promoted results for this query (Wagtail's search_promotions), live public pages only.

    One query: a promotion's page must be one of the site's live public pages; a promotion
    without a page needs an external link.
    """
    normalised = normalise_query_string(query[:MAX_QUERY_LENGTH])
    if not normalised:
        return []
    if pages is None:
        pages = public_pages(site=site)
    shown = Q(page__in=pages.values("pk")) | (
        Q(page__isnull=True) & Q(external_link_url__isnull=False) & ~Q(external_link_url="")
    )
    return list(
        SearchPromotion.objects.filter(query__query_string=normalised)
        .filter(shown)
        .select_related("page")
        .order_by("sort_order")
    )


@dataclass
class SiteSearchResult:
    """Everything a search shows and records, for one site and query: cached as one entry."""

    found: PageSearch
    promotions: list[SearchPromotion]
    suggestion: str | None
    service_code: int | None


def site_search_result(*, site: Site | None, query: str, request: Any = None) -> SiteSearchResult:
    """The search for ``query`` on ``site``: ranked results (``page_search``), promoted results,
    "did you mean" (when nothing is found) and the service it is attributed to.

    Cached per site and query (lower case, spaces collapsed) with the content version, so a
    repeated search costs one cache read and no query, and publishing a page, or changing a
    synonym group or a promoted result, makes every cached search stale.
    """
    query = query[:MAX_QUERY_LENGTH]
    version = content_version()
    normalised = normalise_query_string(query)
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
    key = f"cms:search:{site.pk if site else 0}:{version}:{digest}"
    result = cache.get(key)
    if result is None:
        synonyms = synonym_index(version=version)
        pages = search_scope(site=site, version=version)
        found = page_search(site=site, query=query, request=request, synonyms=synonyms, pages=pages)
        promotions = search_promotions_for(site=site, query=query, pages=pages)
        suggestion = None
        if not found.count:
            suggestion = search_suggestion(site=site, query=query, synonyms=synonyms, pages=pages)
        result = SiteSearchResult(
            found=found,
            promotions=promotions,
            suggestion=suggestion,
            service_code=search_service_code(site=site, query=query, promotions=promotions),
        )
        cache.set(key, result, SEARCH_CACHE_SECONDS)
    return result


def search_next_steps(*, site: Site | None) -> dict[str, Page | None]:
    """What a zero-result search offers instead: the home page's top tasks (and its A to Z)
    and the contact page."""
    if site is None:
        return {"home": None, "contact_page": None}
    home = site.root_page.specific
    contact = ContactPage.objects.live().public().descendant_of(site.root_page).order_by("path").first()
    return {"home": home if isinstance(home, HomePage) else None, "contact_page": contact}


# --- A to Z -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AToZEntry:
    """A line of the A to Z: a service page, or a synonym that points at one ("see")."""

    title: str
    url: str
    see: str = ""  # for a synonym, the title of the page it points at


def _a_to_z_target(phrases: list[str], services: list[ServicePage]) -> ServicePage | None:
    """The service page a synonym group is about: the one whose title has most of its words or
    phrases, then whose keywords have most of them, then the first in the page tree."""
    folded = [tuple(_fold(w) for w in _phrase_words(p)) for p in phrases]
    best: tuple[int, int, str] | None = None
    target = None
    for service in services:
        title = _folded(service.title)
        keywords = [_folded(k) for k in service.keywords.split(",")]
        in_title = sum(_contains(title, phrase) for phrase in folded)
        in_keywords = sum(any(_contains(k, phrase) for k in keywords) for phrase in folded)
        if not (in_title or in_keywords):
            continue
        rank = (-in_title, -in_keywords, service.path)
        if best is None or rank < best:
            best, target = rank, service
    return target


def a_to_z_letters(*, home: HomePage, request: Any = None) -> dict[str, list[AToZEntry]]:
    """The A to Z of a home page's live public service pages, with the words of editors' synonym
    groups as "Rubbish — see Bin collection days", by first letter (A to Z, then any other).

    A group points at its "A to Z: see" page when that is live and public on this site, or
    else at the service page its words find by title, then keywords (``_a_to_z_target``). Its
    words already in that page's title, words that are a service's title, and a second form
    of the same word ("bins" after "bin") are left out.
    """
    services = list(
        ServicePage.objects.live()
        .public()
        .descendant_of(home)
        .order_by("title")
        .only("title", "url_path", "keywords", "path")
    )
    entries = [AToZEntry(title=s.title, url=s.get_url(request) or "") for s in services]
    groups = list(SynonymGroup.objects.order_by("pk"))
    chosen_ids = [g.a_to_z_page_id for g in groups if g.a_to_z_page_id]
    chosen = (
        {
            p.pk: p
            for p in Page.objects.live()
            .public()
            .descendant_of(home, inclusive=True)
            .filter(pk__in=chosen_ids)
            .only("title", "url_path")
        }
        if chosen_ids
        else {}
    )
    titles = {s.title.casefold() for s in services}
    for group in groups:
        phrases = group.phrases
        target: Page | None = chosen.get(group.a_to_z_page_id) or _a_to_z_target(phrases, services)
        if target is None:
            continue
        url = target.get_url(request) or ""
        in_title = _folded(target.title)
        seen: set[tuple[str, ...]] = set()
        for phrase in phrases:
            folded = tuple(_fold(w) for w in _phrase_words(phrase))
            if folded in seen or _contains(in_title, folded) or phrase.casefold() in titles:
                seen.add(folded)
                continue
            seen.add(folded)
            entries.append(AToZEntry(title=phrase[:1].upper() + phrase[1:], url=url, see=target.title))
    letters: dict[str, list[AToZEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.title.casefold(), e.see)):
        first = entry.title[:1].upper()
        letters.setdefault(first if "A" <= first <= "Z" else "#", []).append(entry)
    return dict(sorted(letters.items(), key=lambda item: (item[0] == "#", item[0])))


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
