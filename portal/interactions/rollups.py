"""Daily rollups: the raw interaction log summarised per day, service and channel.

``rollup_build_day`` rebuilds one day's rows from scratch, so re-running a day gives
the same numbers. Measures that look ahead (an assisted contact within 7 days of a web
visit) change as later days arrive, so the job rebuilds today and the 8 days before.

Metrics written (``key`` breaks some down; totals are the sum over keys):

==========================  =================================================================
metric                      counts, for the day, service and channel
==========================  =================================================================
page_views                  ``page_view`` events
contact_page_views          ``contact_page_view`` events
web_visitors                distinct visitor keys with any web event on the service
web_visitors_all            distinct visitor keys with any web event (service 0: whole site)
searches                    ``search`` events
searches_no_results         searches whose outcome is ``no_results``
feedback                    ``page_feedback`` events
feedback_not_useful         feedback whose outcome is ``not_useful``
form_starts                 ``form_start`` events, key = form (journey)
form_steps                  ``form_step`` events, key = "form/step"
form_errors                 ``form_error`` events
form_saves                  ``form_save`` events
form_submits                ``form_submit`` events, key = form (journey)
form_abandons               ``form_abandon`` events
validation_loops            (session, form, field) with 3 or more errors on that field
payment_starts              ``payment_start`` events
payment_results             ``payment_result`` events
payment_failures            payment results with outcome failed, cancelled or error
auth                        ``auth`` events, key = outcome
case_views, case_messages   ``case_view`` and ``case_message`` events
case_views_chasing          case views flagged as likely progress chasing: a resident looking
                            again at an open case that has not changed since their last look
                            (outcome ``no_change``, set by ``portal.cases.services``)
assisted_contacts           ``assisted_contact`` events
satisfaction                ``satisfaction`` answers ("How satisfied are you with the outcome?"),
                            key = score, 1 (very dissatisfied) to 5 (very satisfied)
avoidable_contacts          assisted contacts marked avoidable, key = category
resolved_first_contact      assisted contacts resolved at first contact
transactions                form submissions plus assisted contacts that were not avoidable
contacts                    form submissions plus all assisted contacts
repeat_contacts             contacts by an account with another contact by that account on
                            the same service in the 7 days before
web_then_assisted           accounts active on the web on the service that day who made an
                            assisted contact about the same service within the next 7 days
contact_after_failure       contact-page visits by a visitor who, earlier that day, hit a
                            failure signal (no-result search, "not useful", form error,
                            abandoned form, failed payment); service = the failure's service
bot_requests                requests from bots, counted and not stored (service 0)
==========================  =================================================================
"""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .constants import (
    FOLLOW_UP_DAYS,
    PAYMENT_FAILURE_OUTCOMES,
    VALIDATION_LOOP_THRESHOLD,
    Channel,
    InteractionType,
    Outcome,
    SatisfactionScore,
)
from .measures import bot_counter_key, rollups_changed
from .models import DailyRollup, Interaction, SatisfactionComment

T = InteractionType

_SIMPLE_METRICS = {
    T.PAGE_VIEW: "page_views",
    T.CONTACT_PAGE_VIEW: "contact_page_views",
    T.SEARCH: "searches",
    T.PAGE_FEEDBACK: "feedback",
    T.FORM_ERROR: "form_errors",
    T.FORM_SAVE: "form_saves",
    T.FORM_ABANDON: "form_abandons",
    T.PAYMENT_START: "payment_starts",
    T.PAYMENT_RESULT: "payment_results",
    T.CASE_VIEW: "case_views",
    T.CASE_MESSAGE: "case_messages",
    T.ASSISTED_CONTACT: "assisted_contacts",
}
_CONTACT_TYPES = (T.FORM_SUBMIT, T.ASSISTED_CONTACT)
_SATISFACTION_KEYS = frozenset(str(score) for score in SatisfactionScore.values)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
    return start, end


class _Cells:
    def __init__(self):
        self.values: Counter = Counter()

    def add(self, service, channel, metric, key="", value=1):
        if value:
            self.values[(service or 0, channel, metric, key or "")] += value

    def rows(self, day: date) -> list[DailyRollup]:
        return [
            DailyRollup(date=day, service_code=s, channel=c, metric=m, key=k[:200], value=v)
            for (s, c, m, k), v in self.values.items()
        ]


def _count_events(cells: _Cells, events) -> None:
    grouped = (
        events.values(
            "service_code",
            "channel",
            "type",
            "outcome",
            "journey",
            "step",
            "avoidable",
            "avoidable_category",
            "resolved_first_contact",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in grouped:
        s, c, kind, n = row["service_code"], row["channel"], row["type"], row["n"]
        if kind in _SIMPLE_METRICS:
            cells.add(s, c, _SIMPLE_METRICS[kind], value=n)
        if kind == T.SEARCH and row["outcome"] == Outcome.NO_RESULTS:
            cells.add(s, c, "searches_no_results", value=n)
        elif kind == T.PAGE_FEEDBACK and row["outcome"] == Outcome.NOT_USEFUL:
            cells.add(s, c, "feedback_not_useful", value=n)
        elif kind == T.FORM_START:
            cells.add(s, c, "form_starts", row["journey"], n)
        elif kind == T.FORM_STEP:
            cells.add(s, c, "form_steps", f"{row['journey']}/{row['step']}", n)
        elif kind == T.FORM_SUBMIT:
            cells.add(s, c, "form_submits", row["journey"], n)
            cells.add(s, c, "transactions", value=n)
            cells.add(s, c, "contacts", value=n)
        elif kind == T.CASE_VIEW and row["outcome"] == Outcome.NO_CHANGE:
            cells.add(s, c, "case_views_chasing", value=n)
        elif kind == T.PAYMENT_RESULT and row["outcome"] in PAYMENT_FAILURE_OUTCOMES:
            cells.add(s, c, "payment_failures", value=n)
        elif kind == T.AUTH:
            cells.add(s, c, "auth", row["outcome"], n)
        elif kind == T.SATISFACTION and row["outcome"] in _SATISFACTION_KEYS:
            cells.add(s, c, "satisfaction", row["outcome"], n)
        elif kind == T.ASSISTED_CONTACT:
            cells.add(s, c, "contacts", value=n)
            if row["avoidable"]:
                cells.add(s, c, "avoidable_contacts", row["avoidable_category"] or "other", n)
            else:
                cells.add(s, c, "transactions", value=n)
            if row["resolved_first_contact"]:
                cells.add(s, c, "resolved_first_contact", value=n)


def _count_visitors(cells: _Cells, events) -> None:
    web = events.filter(channel=Channel.WEB).exclude(visitor_key="")
    for row in web.values("service_code").annotate(n=Count("visitor_key", distinct=True)).order_by():
        if row["service_code"]:
            cells.add(row["service_code"], Channel.WEB, "web_visitors", value=row["n"])
    total = web.aggregate(n=Count("visitor_key", distinct=True))["n"]
    cells.add(0, Channel.WEB, "web_visitors_all", value=total)


def _count_validation_loops(cells: _Cells, events) -> None:
    errors: Counter = Counter()
    services = {}
    rows = events.filter(type=T.FORM_ERROR).values_list(
        "session_key", "visitor_key", "journey", "service_code", "channel", "extras"
    )
    for session_key, visitor, journey, service, channel, extras in rows.iterator():
        who = session_key or visitor
        for field in (extras or {}).get("fields", []):
            key = (who, journey, str(field))
            errors[key] += 1
            services[key] = (service, channel)
    for key, n in errors.items():
        if n >= VALIDATION_LOOP_THRESHOLD:
            service, channel = services[key]
            cells.add(service, channel, "validation_loops")


def _count_repeat_contacts(cells: _Cells, start: datetime, end: datetime) -> None:
    window = timedelta(days=FOLLOW_UP_DAYS)
    contacts = list(
        Interaction.objects.filter(
            occurred_at__gte=start,
            occurred_at__lt=end,
            type__in=_CONTACT_TYPES,
            user__isnull=False,
            service_code__isnull=False,
        ).values_list("user_id", "service_code", "channel", "occurred_at")
    )
    if not contacts:
        return
    earlier: dict[tuple, list] = defaultdict(list)
    for user_id, service, occurred_at in Interaction.objects.filter(
        occurred_at__gte=start - window,
        occurred_at__lt=end,
        type__in=_CONTACT_TYPES,
        user_id__in={c[0] for c in contacts},
        service_code__isnull=False,
    ).values_list("user_id", "service_code", "occurred_at"):
        earlier[(user_id, service)].append(occurred_at)
    for user_id, service, channel, occurred_at in contacts:
        if any(occurred_at - window <= t < occurred_at for t in earlier[(user_id, service)]):
            cells.add(service, channel, "repeat_contacts")


def _count_web_then_assisted(cells: _Cells, events, end: datetime) -> None:
    """An account counts when an assisted contact about the service follows any of its web
    events that day within 7 days: after the first event, and by the last event + 7 days."""
    seen: dict[tuple, list[datetime]] = {}
    for user_id, service, occurred_at in (
        events.filter(channel=Channel.WEB, user__isnull=False, service_code__isnull=False)
        .exclude(type=T.ASSISTED_CONTACT)
        .values_list("user_id", "service_code", "occurred_at")
    ):
        first_last = seen.setdefault((user_id, service), [occurred_at, occurred_at])
        first_last[0] = min(first_last[0], occurred_at)
        first_last[1] = max(first_last[1], occurred_at)
    if not seen:
        return
    window = timedelta(days=FOLLOW_UP_DAYS)
    followed = set()
    for user_id, service, occurred_at in Interaction.objects.filter(
        type=T.ASSISTED_CONTACT,
        user_id__in={u for u, _ in seen},
        service_code__in={s for _, s in seen},
        occurred_at__gt=min(first for first, _ in seen.values()),
        occurred_at__lte=end + window,
    ).values_list("user_id", "service_code", "occurred_at"):
        first_last = seen.get((user_id, service))
        if first_last is not None and first_last[0] < occurred_at <= first_last[1] + window:
            followed.add((user_id, service))
    for _, service in followed:
        cells.add(service, Channel.WEB, "web_then_assisted")


def _count_contact_after_failure(cells: _Cells, events) -> None:
    failure = (
        Q(type=T.SEARCH, outcome=Outcome.NO_RESULTS)
        | Q(type=T.PAGE_FEEDBACK, outcome=Outcome.NOT_USEFUL)
        | Q(type__in=(T.FORM_ERROR, T.FORM_ABANDON))
        | Q(type=T.PAYMENT_RESULT, outcome__in=PAYMENT_FAILURE_OUTCOMES)
    )
    failures: dict[str, list] = defaultdict(list)
    for visitor, session_key, service, occurred_at in (
        events.filter(failure, channel=Channel.WEB)
        .values_list("visitor_key", "session_key", "service_code", "occurred_at")
        .order_by("occurred_at")
    ):
        for who in (visitor, session_key):
            if who:
                failures[who].append((occurred_at, service))
    if not failures:
        return
    for visitor, session_key, occurred_at in events.filter(type=T.CONTACT_PAGE_VIEW).values_list(
        "visitor_key", "session_key", "occurred_at"
    ):
        before = [
            f for who in (visitor, session_key) if who for f in failures.get(who, ()) if f[0] < occurred_at
        ]
        if before:
            service = max(before, key=lambda failure: failure[0])[1]
            cells.add(service, Channel.WEB, "contact_after_failure")


@transaction.atomic
def rollup_build_day(*, day: date) -> int:
    """Rebuild every rollup row for ``day`` from the raw log; returns the rows written."""
    start, end = day_bounds(day)
    events = Interaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    cells = _Cells()
    _count_events(cells, events)
    _count_visitors(cells, events)
    _count_validation_loops(cells, events)
    _count_repeat_contacts(cells, start, end)
    _count_web_then_assisted(cells, events, end)
    _count_contact_after_failure(cells, events)

    bots = cache.get(bot_counter_key(day))
    if bots is None:  # the counter has expired: keep what an earlier build recorded
        bots = (
            DailyRollup.objects.filter(date=day, metric="bot_requests")
            .values_list("value", flat=True)
            .first()
        )
    cells.add(0, Channel.WEB, "bot_requests", value=bots or 0)

    DailyRollup.objects.filter(date=day).delete()
    rows = DailyRollup.objects.bulk_create(cells.rows(day), batch_size=1000)
    rollups_changed()
    return len(rows)


def rollup_build_recent(*, days: int = FOLLOW_UP_DAYS + 2, until: date | None = None) -> int:
    """Rebuild today so far and the 8 days before it (or ``days`` days up to ``until``).

    Run hourly, this keeps today's figures close to live; run daily after midnight, it
    completes yesterday and the days whose 7-day follow-up window is still open.
    """
    until = until or timezone.localdate()
    return sum(rollup_build_day(day=until - timedelta(days=n)) for n in range(days))


def interactions_purge(*, older_than_days: int) -> int:
    """Delete raw events (and the comments given with satisfaction answers) older than the
    retention period; rollups are kept."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    SatisfactionComment.objects.filter(created_at__lt=cutoff).delete()
    deleted = 0
    while True:
        batch = list(Interaction.objects.filter(occurred_at__lt=cutoff).values_list("pk", flat=True)[:10000])
        if not batch:
            return deleted
        deleted += Interaction.objects.filter(pk__in=batch).delete()[0]
