"""Things residents do with council content that change state: searching (logged), page
feedback, and service alerts (subscriptions, and sending an alert when it is published); and
the statutory pages every install starts with."""

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, overload

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.base import SessionBase
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
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
from portal.lib.retry import task_enqueue
from portal.notifications.selectors import phone_digits
from portal.notifications.services import message_send, sms_opt_in

from . import selectors, statutory
from .constants import AlertChannel, AlertDeliveryOutcome, AlertSubscriptionEnd
from .models import (
    AccessibilityStatementPage,
    Alert,
    AlertDelivery,
    AlertSending,
    AlertSubscription,
    CouncilSettings,
    FeedbackHandled,
    HomePage,
    ServicePage,
    StandardPage,
    postcode_district,
)

if TYPE_CHECKING:
    from accounts.models import User

RESULTS_PER_PAGE = 10


# --- search -------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _highlight_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """The words to mark, longest first (one pattern per query, not per result)."""
    stems = sorted({v for t in terms for v in selectors.term_variants(t)}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b((?:" + "|".join(re.escape(s) for s in stems) + r")\w*)", re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` HTML-escaped, with words that start with a search term wrapped in ``<mark>``.

    The text is split on the matches first and every piece escaped on its own, so
    nothing an editor or a searcher typed can become markup.
    """
    pattern = _highlight_pattern(tuple(terms))
    if not text or pattern is None:
        return escape(text or "")
    out = []
    for n, piece in enumerate(pattern.split(text)):
        out.append(f'<mark class="portal-search__mark">{escape(piece)}</mark>' if n % 2 else escape(piece))
    return mark_safe("".join(out))  # every piece was escaped above


@dataclass
class SearchHit:
    page: selectors.RankedPage
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


class _Results:
    """The ranked results as the paginator sees them: ``count`` matches, the first
    ``MAX_RANKED`` from the cached search, any later ones asked of the backend page by page."""

    def __init__(self, found: selectors.PageSearch, *, site: Site | None, request: HttpRequest):
        self.found, self.site, self.request = found, site, request

    def __len__(self) -> int:
        return self.found.count

    def __iter__(self) -> Iterator[selectors.RankedPage]:
        return iter(self[0 : self.found.count])

    @overload
    def __getitem__(self, index: int) -> selectors.RankedPage: ...

    @overload
    def __getitem__(self, index: slice) -> list[selectors.RankedPage]: ...

    def __getitem__(self, index: int | slice) -> selectors.RankedPage | list[selectors.RankedPage]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop or self.found.count
        ranked = self.found.ranked
        hits = ranked[start:stop]
        if stop > len(ranked):
            hits += selectors.page_search_more(
                site=self.site,
                found=self.found,
                start=max(start, len(ranked)),
                stop=stop,
                request=self.request,
            )
        return hits


def _hit(page: selectors.RankedPage, words: list[str]) -> SearchHit:
    return SearchHit(
        page=page,
        url=page.url,
        title=highlight(page.title, words),
        summary=highlight(page.summary, words),
        kind=page.kind,
    )


def site_search_run(*, request: HttpRequest, query: str, page_number: int | str | None = 1) -> SiteSearch:
    """Search the site's live public pages and record the search in the interaction log.

    The results are ranked and cached by ``selectors.site_search_result``: a repeated
    search reads one cache entry and runs no search query. Words and their synonyms are
    highlighted in titles and summaries.

    The first results page of each query records one ``search`` interaction with the
    query and result count (``no_results`` when nothing at all was found); later
    results pages are the same search and are not recorded again. Searches by bots
    are never recorded. Zero results get a "did you mean" suggestion when one finds pages.
    The interaction goes through the page-view buffer when it is on
    (``portal.interactions.buffer``): written within a second, not in the request.

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
    result = selectors.site_search_result(site=site, query=query, request=request)
    found = result.found
    search.all_words = found.all_words
    search.results = Paginator(_Results(found, site=site, request=request), RESULTS_PER_PAGE).get_page(
        page_number
    )
    search.count = found.count
    words = found.highlight_words
    search.hits = [_hit(page, words) for page in search.results.object_list]
    first_page = search.results.number == 1
    if first_page:
        search.promotions = result.promotions
    if not search.count:
        search.suggestion = result.suggestion
    if first_page and not is_bot(request.META.get("HTTP_USER_AGENT", "")):
        found_anything = search.count or search.promotions
        interaction_record(
            type=InteractionType.SEARCH,
            request=request,
            outcome=Outcome.RESULTS if found_anything else Outcome.NO_RESULTS,
            service_code=result.service_code,
            extras={"query": query, "count": search.count},
            buffered=True,
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


# --- Service alerts: subscriptions and sending ---------------------------------------------

# An anonymous subscription's confirmation link works this long.
ALERT_CONFIRM_DAYS = 7
# Subscriptions sent to per transaction-and-query batch, and batches per task run (then the
# task queues itself again, so one large alert does not hold a worker for long).
ALERT_SEND_BATCH = 200
ALERT_SEND_BATCHES_PER_RUN = 25


class AlertSubscriptionError(ValueError):
    """A subscription that cannot be made; the message says why, for the resident."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def alert_unsubscribe_token(subscription: AlertSubscription) -> str:
    """The token in a subscription's unsubscribe link: derived from its nonce and the site's
    secret, so every message can carry it while only its hash is stored."""
    digest = salted_hmac("cms.alert-unsubscribe", subscription.unsubscribe_nonce, algorithm="sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def alert_unsubscribe_url(subscription: AlertSubscription) -> str:
    token = alert_unsubscribe_token(subscription)
    if _token_hash(token) != subscription.unsubscribe_token_hash:
        # The site's secret key was changed: from now on messages carry the new token
        # (links in messages sent before stop working).
        subscription.unsubscribe_token_hash = _token_hash(token)
        subscription.save(update_fields=["unsubscribe_token_hash"])
    return settings.SITE_URL + reverse("alert_unsubscribe", kwargs={"token": token})


def _is_own_address(user: "User | None", *, channel: str, email: str, phone: str) -> bool:
    """Whether the address is the account's own (signed-in residents' subscriptions to it start at once)."""
    if user is None:
        return False
    if channel == AlertChannel.EMAIL:
        return bool(email) and email.lower() in {a.lower() for a in (user.email, user.contact_email) if a}
    return bool(phone) and bool(user.phone) and phone_digits(phone) == phone_digits(user.phone)


def _confirmation_send(subscription: AlertSubscription) -> None:
    token = secrets.token_urlsafe(32)
    subscription.confirm_token_hash = _token_hash(token)
    subscription.created_at = timezone.now()  # the link's 7 days start again
    subscription.save(update_fields=["confirm_token_hash", "created_at"])
    message_send(
        key="cms/alert_subscription_confirm",
        context={
            "area": subscription.area or "all of the council area",
            "confirm_link": settings.SITE_URL + reverse("alert_confirm", kwargs={"token": token}),
        },
        channel=subscription.channel,
        email=subscription.email,
        phone=subscription.phone,
    )


@transaction.atomic
def alert_subscribe(
    *, channel: str, email: str = "", phone: str = "", area: str = "", user: "User | None" = None
) -> AlertSubscription:
    """Subscribe an address to alerts for a postcode district (``area``), or all (blank).

    A signed-in resident's subscription to their account's own email or phone starts at once.
    Otherwise a link is sent to the address and the subscription starts when it is followed
    (so nobody can sign someone else up). Asking again for what exists changes nothing (a
    pending one gets a fresh link); the caller says the same thing either way, so the form
    never tells a stranger whether an address is subscribed.
    """
    if channel not in AlertChannel.values:
        raise AlertSubscriptionError("Choose email or text message")
    email = email.strip().lower() if channel == AlertChannel.EMAIL else ""
    phone = phone.strip() if channel == AlertChannel.SMS else ""
    if not (email or phone):
        raise AlertSubscriptionError("Enter where to send the alerts")
    area = postcode_district(area) if area else ""
    own = _is_own_address(user, channel=channel, email=email, phone=phone)
    now = timezone.now()
    existing = (
        AlertSubscription.objects.select_for_update()
        .filter(channel=channel, email=email, phone=phone, area=area, ended_at__isnull=True)
        .first()
    )
    if existing is not None:
        if own:
            existing.user = user
            existing.confirmed_at = existing.confirmed_at or now
            existing.confirm_token_hash = ""
            existing.save(update_fields=["user", "confirmed_at", "confirm_token_hash"])
        elif existing.confirmed_at is None:
            _confirmation_send(existing)
        return existing
    nonce = secrets.token_urlsafe(24)
    subscription = AlertSubscription(
        user=user,
        channel=channel,
        email=email,
        phone=phone,
        area=area,
        confirmed_at=now if own else None,
        unsubscribe_nonce=nonce,
    )
    subscription.unsubscribe_token_hash = _token_hash(alert_unsubscribe_token(subscription))
    subscription.save()
    if not own:
        _confirmation_send(subscription)
    return subscription


@transaction.atomic
def alert_subscription_confirm(*, token: str) -> AlertSubscription | None:
    """Start the subscription whose confirmation link this is (within ``ALERT_CONFIRM_DAYS``)."""
    if not token:
        return None
    subscription = (
        AlertSubscription.objects.select_for_update()
        .filter(
            confirm_token_hash=_token_hash(token),
            ended_at__isnull=True,
            created_at__gte=timezone.now() - timedelta(days=ALERT_CONFIRM_DAYS),
        )
        .first()
    )
    if subscription is None:
        return None
    subscription.confirmed_at = subscription.confirmed_at or timezone.now()
    subscription.confirm_token_hash = ""
    subscription.save(update_fields=["confirmed_at", "confirm_token_hash"])
    if subscription.channel == AlertChannel.SMS:
        # The link came by text to this number: whoever follows it has the phone.
        sms_opt_in(phone=subscription.phone)
    return subscription


@transaction.atomic
def alert_subscription_end(*, subscription: AlertSubscription, reason: str) -> bool:
    """End a subscription (no more alerts). Returns False when it had already ended."""
    ended = AlertSubscription.objects.filter(pk=subscription.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_reason=reason, confirm_token_hash=""
    )
    subscription.refresh_from_db()
    return bool(ended)


def alert_unsubscribe(*, token: str) -> AlertSubscription | None:
    """Unsubscribe by a message's link: the subscription it ended (or had ended), or None."""
    subscription = selectors.alert_subscription_by_unsubscribe_token(token)
    if subscription is not None:
        alert_subscription_end(subscription=subscription, reason=AlertSubscriptionEnd.UNSUBSCRIBED)
    return subscription


@transaction.atomic
def alert_subscriptions_stop(*, phone: str) -> int:
    """A number replied STOP: end every text subscription to it. Returns how many."""
    digits = phone_digits(phone or "")
    if not digits:
        return 0
    return AlertSubscription.objects.filter(
        Q(phone=digits) | Q(phone="+" + digits), channel=AlertChannel.SMS, ended_at__isnull=True
    ).update(ended_at=timezone.now(), ended_reason=AlertSubscriptionEnd.STOP, confirm_token_hash="")


@transaction.atomic
def alert_published(*, alert: Alert) -> bool:
    """An alert was published: the first time it is live, fix its sending and queue it.

    Returns whether a sending started. Publishing again (a correction) sends nothing: the
    sending exists. Neither does publishing an alert that has already ended.
    """
    if not alert.live or (alert.ends_at and alert.ends_at <= timezone.now()):
        return False
    _sending, created = AlertSending.objects.get_or_create(alert=alert, defaults={"areas": alert.areas})
    if created:
        transaction.on_commit(partial(_alert_send_enqueue, alert.pk))
    return created


def alert_sendings_resume(*, now: datetime | None = None, idle_minutes: int = 10) -> int:
    """Queue again every alert sending left unfinished (its task was lost before it ran, or
    between batches) that started more than ``idle_minutes`` ago. Run by the housekeeping;
    queueing a sending twice sends nothing twice (``alert_send``). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(minutes=idle_minutes)
    ids = list(
        AlertSending.objects.filter(
            finished_at__isnull=True, started_at__lte=cutoff, alert__live=True
        ).values_list("alert_id", flat=True)
    )
    for alert_id in ids:
        _alert_send_enqueue(alert_id)
    return len(ids)


def _alert_send_enqueue(alert_id: int) -> None:
    from .tasks import send_alert  # imported late: cms.tasks imports this module

    task_enqueue(send_alert, alert_id)


def alert_send(
    *, alert_id: int, batch_size: int = ALERT_SEND_BATCH, max_batches: int = ALERT_SEND_BATCHES_PER_RUN
) -> dict[str, int]:
    """Send an alert to its subscribers, in batches; safe to run again or twice at once.

    Each subscription gets an ``AlertDelivery`` row, unique per alert, made in the same
    transaction as its outbox row: a run that stops part way (a crash, a deploy) leaves each
    subscription either sent (both rows) or not (neither), and the next run sends to the
    rest. Two runs at once: the second to insert a row for a subscription fails on the
    unique constraint and skips it. Stops if the alert is unpublished meanwhile. After
    ``max_batches`` the task queues itself again. Returns counts for the log.
    """
    sending = AlertSending.objects.select_related("alert").filter(alert_id=alert_id).first()
    counts = {"sent": 0, "unreachable": 0, "skipped": 0, "more": 0}
    if sending is None or sending.finished_at is not None:
        return counts
    for _batch in range(max_batches):
        alert = Alert.objects.filter(pk=alert_id).first()
        if alert is None or not alert.live:
            return counts
        batch = list(selectors.alert_recipients(sending=sending)[:batch_size])
        if not batch:
            AlertSending.objects.filter(pk=sending.pk, finished_at__isnull=True).update(
                finished_at=timezone.now()
            )
            return counts
        context = {
            "title": alert.title,
            "summary": alert.summary or alert.title,
            "area": sending.areas or "the whole council area",
        }
        for subscription in batch:
            counts[_alert_deliver(alert=alert, subscription=subscription, context=context)] += 1
    counts["more"] = 1
    _alert_send_enqueue(alert_id)
    return counts


def _alert_deliver(*, alert: Alert, subscription: AlertSubscription, context: dict[str, str]) -> str:
    try:
        with transaction.atomic():
            delivery = AlertDelivery.objects.create(
                alert=alert, subscription=subscription, outcome=AlertDeliveryOutcome.QUEUED
            )
            notification = message_send(
                key="cms/alert",
                context={**context, "unsubscribe_link": alert_unsubscribe_url(subscription)},
                user=subscription.user,
                channel=subscription.channel,
                email=subscription.email,
                phone=subscription.phone,
            )
            if notification is None:
                delivery.outcome = AlertDeliveryOutcome.UNREACHABLE
            delivery.notification = notification
            delivery.save(update_fields=["outcome", "notification"])
    except IntegrityError:  # another run sent it (the unique constraint): nothing to do
        return "skipped"
    return "sent" if notification is not None else "unreachable"


# --- the statutory pages ------------------------------------------------------------------


def _page_publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@transaction.atomic
def statutory_pages_ensure() -> int:
    """Give the default site the accessibility statement, privacy notice and cookies page it must
    have, and a footer and privacy setting that link them (run after every migrate, so a council
    that never loads the demo has them). Returns how many pages were made.

    Done once per site (``CouncilSettings.statutory_pages_made``): after that the pages are the
    editors' to rename, move or delete. Each page is made only if the home page has no child
    page with its slug (nor, for the statement, any accessibility statement), and the footer
    links and the privacy notice setting only when they are empty.
    """
    ContentType.objects.clear_cache()  # a test's flush may have renumbered them
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:  # a flushed test database: nothing to add pages to
        return 0
    home = site.root_page.specific
    if not isinstance(home, HomePage):
        return 0
    council = CouncilSettings.for_site(site)
    if council.statutory_pages_made:
        return 0
    children = home.get_children()
    made = 0

    def existing(slug: str) -> Page | None:
        page = children.filter(slug=slug).first()
        return page.specific if page is not None else None

    today = timezone.localdate()
    accessibility = existing(statutory.ACCESSIBILITY_SLUG) or AccessibilityStatementPage.objects.first()
    if accessibility is None:
        fields = statutory.accessibility_statement_fields(
            council_name=council.council_name, phone=council.phone
        )
        accessibility = _page_publish(
            home, AccessibilityStatementPage(**fields, prepared_on=today, review_by=today)
        )
        made += 1
    privacy = existing(statutory.PRIVACY_SLUG)
    if privacy is None:
        privacy = _page_publish(
            home,
            StandardPage(
                slug=statutory.PRIVACY_SLUG,
                title="Privacy notice",
                summary=f"How {council.council_name} uses the information you give us on this "
                "website, and your rights.",
                body=statutory.privacy_notice_body(council_name=council.council_name),
                review_by=today,
            ),
        )
        made += 1
    cookies = existing(statutory.COOKIES_SLUG)
    if cookies is None:
        cookies = _page_publish(
            home,
            StandardPage(
                slug=statutory.COOKIES_SLUG,
                title="Cookies",
                summary="The cookies this website uses and why. We only use cookies the website "
                "needs to work.",
                body=statutory.cookies_body(),
                review_by=today,
            ),
        )
        made += 1

    changed = ["statutory_pages_made"]
    council.statutory_pages_made = True
    if not len(council.footer_links):
        council.footer_links = statutory_footer_links(
            accessibility=accessibility, privacy=privacy, cookies=cookies
        )
        changed.append("footer_links")
    if council.privacy_page_id is None:
        council.privacy_page = privacy
        changed.append("privacy_page")
    council.save(update_fields=changed)
    return made


def statutory_footer_links(*, accessibility: Page, privacy: Page, cookies: Page) -> list[tuple[str, dict]]:
    """The footer links an install starts with (``CouncilSettings.footer_links``' stream data)."""
    return [
        ("link", {"text": "Accessibility statement", "page": accessibility}),
        ("link", {"text": "Privacy", "page": privacy}),
        ("link", {"text": "Cookies", "page": cookies}),
    ]


def statutory_page_unfinished(page: Page) -> bool:
    """Whether ``page`` is still the install's "[to complete]" version that no editor has saved
    (so ``load_demo`` may fill it in with the demo council's wording)."""
    if page.revisions.exclude(user=None).exists():
        return False
    content = page.specific.serializable_data()
    return statutory.TO_COMPLETE in str(content)
