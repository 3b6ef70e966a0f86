"""Daily rollups: the raw interaction log summarised per day, service, channel and team.

``rollup_build_day`` rebuilds one day's rows from scratch, so re-running a day gives the
same rows. Measures that look ahead or back 7 days (failed web contact, repeat contact)
change as neighbouring days change, so the job rebuilds today and the 8 days before, and
a late or corrected contact asks for the 7 days either side of it (``RollupRebuild``).

Every row counts one unit, named below; ``docs/measures.md`` has the measures built on
them. A *person* is the account's pseudonymous ``person_key`` when the resident was signed
in or linked by staff; otherwise the visitor key of that day. A visitor key that signed in
to exactly one account on a day is that account all day (so browsing before signing in is
the same person); a key shared by two accounts (a shared computer) stays anonymous.
Rollups read ``person_key``, never the account, so deleting an account changes no figure.

==========================  =================================================================
metric                      counts, for the day, service, channel (and team)
==========================  =================================================================
page_views                  ``page_view`` events
contact_page_views          ``contact_page_view`` events
web_visitors                distinct visitor keys with any web event on the service
web_visitors_all            distinct visitor keys with any web event (service 0: whole site)
web_persons_anonymous       anonymous web persons (visitor keys of the day) active on the
                            service; identifiable ones are rows of ``WebPersonDay``
searches                    ``search`` events; service = the service the search is attributed
                            to (an editor's search term matched, or a result of that service
                            was followed), else 0
searches_no_results         searches whose outcome is ``no_results``
feedback                    ``page_feedback`` events
feedback_not_useful         feedback whose outcome is ``not_useful``
form_starts                 ``form_start`` events (one per draft), key = form
form_submits                ``form_submit`` events, key = "form|start day" (the day the draft
                            was started, so a period counts only submissions of its own starts)
form_steps                  first completion of a step by a draft, key = "form/step|start day"
form_abandons               ``form_abandon`` events (one per draft), key = "form|start day"
validation_loops            drafts that got the same question wrong a 3rd time (once per
                            draft), key = "form|start day"
form_errors, form_saves     ``form_error`` and ``form_save`` events
payment_starts              ``payment_start`` events
payment_results             ``payment_result`` events
payment_failures            payment results with outcome failed, cancelled or error
transactions                ``transaction`` events: a service request completed (paid, if it
                            had a fee) or a bill paid, on the channel it was done on;
                            key = kind (form, bill)
auth                        ``auth`` events, key = outcome
case_views, case_messages   ``case_view`` and ``case_message`` events
case_views_chasing          case views flagged as likely progress chasing (outcome ``no_change``)
assisted_contacts           ``assisted_contact`` events, by team
avoidable_contacts          assisted contacts marked avoidable, key = category, by team
resolved_first_contact      assisted contacts resolved at first contact, by team
repeat_contacts             assisted contacts by an identifiable person who made another
                            assisted contact on the same service in the 7 days before
                            (0 < gap <= 7 days), by team
messages_sent               ``message_sent`` events: a message the council sent a resident
                            (proactive contact), on its channel (email, sms, letter)
messages_received           ``message_received`` events: a text message a resident sent the
                            council (a reply, or one for the contact centre to triage), sms
satisfaction                ``satisfaction`` answers, key = score 1..5
contact_after_failure       contact-page visits by a visitor who, earlier that day, hit a
                            failure signal; service = the failure's service
bot_requests                requests from bots, counted and not stored (service 0)
==========================  =================================================================
"""

import zlib
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from .buffer import page_views_flush
from .constants import (
    FOLLOW_UP_DAYS,
    PAYMENT_FAILURE_OUTCOMES,
    Channel,
    InteractionType,
    Outcome,
    SatisfactionScore,
)
from .measures import bot_counter_key, rollups_changed
from .models import (
    DailyRollup,
    Interaction,
    MonthlyRollup,
    PersonNumber,
    RollupRebuild,
    SatisfactionComment,
    WebPersonDay,
    WebPersonSet,
)

T = InteractionType

_SIMPLE_METRICS = {
    T.PAGE_VIEW: "page_views",
    T.CONTACT_PAGE_VIEW: "contact_page_views",
    T.SEARCH: "searches",
    T.PAGE_FEEDBACK: "feedback",
    T.FORM_ERROR: "form_errors",
    T.FORM_SAVE: "form_saves",
    T.PAYMENT_START: "payment_starts",
    T.PAYMENT_RESULT: "payment_results",
    T.CASE_VIEW: "case_views",
    T.CASE_MESSAGE: "case_messages",
    T.MESSAGE_SENT: "messages_sent",
    T.MESSAGE_RECEIVED: "messages_received",
}
_SATISFACTION_KEYS = frozenset(str(score) for score in SatisfactionScore.values)
# Events that are not something the person did on the web at that moment: recorded by
# staff or by a background job on their behalf.
_NOT_WEB_ACTIVITY = (T.ASSISTED_CONTACT, T.CASE_UPDATE, T.FORM_ABANDON, T.AUTH)
WINDOW = timedelta(days=FOLLOW_UP_DAYS)
# A result followed within this long after a search attributes the search to its service.
SEARCH_FOLLOW_MINUTES = 30
_KEY_PART = 90
# Rollups whose key is "name|start day" (the draft's): a period counts only its own starts.
COHORT_METRICS = frozenset({"form_submits", "form_steps", "form_abandons", "validation_loops"})


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` in London and of the next day (23, 24 or 25 hours later)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
    return start, end


def cohort_key(*parts: str, started: str) -> str:
    """``"form|2026-10-01"`` (or ``"form/step|..."``): what a cohort row's key holds."""
    return "/".join(p[:_KEY_PART] for p in parts) + "|" + started


def cohort_split(key: str) -> tuple[str, date | None]:
    """The inverse of ``cohort_key``: (name, start day), the day None if the key has none."""
    name, _, started = key.rpartition("|")
    if not name:
        return key, None
    try:
        return name, date.fromisoformat(started)
    except ValueError:
        return key, None


class _Cells:
    def __init__(self):
        self.values: Counter = Counter()

    def add(self, service, channel, metric, key="", value=1, team=0):
        if value:
            self.values[(service or 0, channel, team or 0, metric, key or "")] += value

    def rows(self, day: date) -> list[DailyRollup]:
        return [
            DailyRollup(date=day, service_code=s, channel=c, team=t, metric=m, key=k[:200], value=v)
            for (s, c, t, m, k), v in self.values.items()
        ]


_FIELDS = (
    "occurred_at",
    "type",
    "channel",
    "service_code",
    "person_key",
    "visitor_key",
    "session_key",
    "journey",
    "step",
    "outcome",
    "avoidable",
    "avoidable_category",
    "resolved_first_contact",
    "handled_by_id",
    "staff_id",
    "extras",
)


class _Event:
    __slots__ = _FIELDS

    def __init__(self, row: tuple):
        for name, value in zip(_FIELDS, row, strict=True):
            setattr(self, name, value)


def _events(**filters) -> list[_Event]:
    return [
        _Event(row)
        for row in Interaction.objects.filter(**filters)
        .order_by("occurred_at", "pk")
        .values_list(*_FIELDS)
        .iterator(chunk_size=5000)
    ]


def _started(event: _Event, day: date) -> str:
    """The start day of the draft a form event belongs to (events from before it was
    recorded count as started on their own day)."""
    return str((event.extras or {}).get("started") or day.isoformat())


def _count_events(cells: _Cells, events: list[_Event], day: date) -> None:
    for e in events:
        s, c, kind = e.service_code, e.channel, e.type
        if kind in _SIMPLE_METRICS:
            cells.add(s, c, _SIMPLE_METRICS[kind])
        if kind == T.SEARCH:
            if e.outcome == Outcome.NO_RESULTS:
                cells.add(s, c, "searches_no_results")
        elif kind == T.PAGE_FEEDBACK and e.outcome == Outcome.NOT_USEFUL:
            cells.add(s, c, "feedback_not_useful")
        elif kind == T.FORM_START:
            cells.add(s, c, "form_starts", e.journey)
        elif kind == T.FORM_STEP:
            if (e.extras or {}).get("first", True):
                cells.add(s, c, "form_steps", cohort_key(e.journey, e.step, started=_started(e, day)))
        elif kind == T.FORM_SUBMIT:
            cells.add(s, c, "form_submits", cohort_key(e.journey, started=_started(e, day)))
        elif kind == T.FORM_ABANDON:
            cells.add(s, c, "form_abandons", cohort_key(e.journey, started=_started(e, day)))
        elif kind == T.FORM_ERROR:
            if (e.extras or {}).get("loop"):
                cells.add(s, c, "validation_loops", cohort_key(e.journey, started=_started(e, day)))
        elif kind == T.CASE_VIEW and e.outcome == Outcome.NO_CHANGE:
            cells.add(s, c, "case_views_chasing")
        elif kind == T.PAYMENT_RESULT and e.outcome in PAYMENT_FAILURE_OUTCOMES:
            cells.add(s, c, "payment_failures")
        elif kind == T.TRANSACTION:
            cells.add(s, c, "transactions", (e.extras or {}).get("kind", ""))
        elif kind == T.AUTH:
            cells.add(s, c, "auth", e.outcome)
        elif kind == T.SATISFACTION and e.outcome in _SATISFACTION_KEYS:
            cells.add(s, c, "satisfaction", e.outcome)
        elif kind == T.ASSISTED_CONTACT:
            team = e.handled_by_id
            cells.add(s, c, "assisted_contacts", team=team)
            if e.avoidable:
                cells.add(s, c, "avoidable_contacts", e.avoidable_category or "other", team=team)
            if e.resolved_first_contact:
                cells.add(s, c, "resolved_first_contact", team=team)


def _attribute_searches(events: list[_Event], after: list[_Event]) -> None:
    """Give a search with no service the service of the result its searcher followed: the
    first page view with that service, reached from the search results page with the same
    query, by the same visitor within 30 minutes (``after``: the next day's first 30
    minutes of page views, for a search just before midnight)."""
    followed: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for e in [*events, *after]:
        query = (e.extras or {}).get("from_search") if e.type == T.PAGE_VIEW else None
        if query and e.service_code and e.visitor_key:
            followed[(e.visitor_key, str(query))].append(e)
    if not followed:
        return
    window = timedelta(minutes=SEARCH_FOLLOW_MINUTES)
    for e in events:
        if e.type != T.SEARCH or e.service_code or not e.visitor_key:
            continue
        query = str((e.extras or {}).get("query", ""))[:200]
        for view in followed.get((e.visitor_key, query), ()):
            if e.occurred_at <= view.occurred_at <= e.occurred_at + window:
                e.service_code = view.service_code
                break


def _visitor_people(events: list[_Event]) -> dict[str, str]:
    """Visitor keys that signed in to exactly one account that day: key -> person key."""
    people: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.channel == Channel.WEB and e.visitor_key and e.person_key and e.staff_id is None:
            people[e.visitor_key].add(e.person_key)
    return {visitor: next(iter(keys)) for visitor, keys in people.items() if len(keys) == 1}


def _is_web_activity(e: _Event) -> bool:
    """Something the person did on the web about a service: a web event from their own
    browser (it has a visitor key), never one staff or a background job (a webhook, an
    expiry) recorded for them."""
    return bool(
        e.channel == Channel.WEB
        and e.service_code
        and e.visitor_key
        and e.staff_id is None
        and e.type not in _NOT_WEB_ACTIVITY
    )


def _count_visitors(cells: _Cells, events: list[_Event]) -> None:
    per_service: dict[int, set[str]] = defaultdict(set)
    everyone: set[str] = set()
    for e in events:
        if e.channel == Channel.WEB and e.visitor_key:
            everyone.add(e.visitor_key)
            if e.service_code:
                per_service[e.service_code].add(e.visitor_key)
    for service, visitors in per_service.items():
        cells.add(service, Channel.WEB, "web_visitors", value=len(visitors))
    cells.add(0, Channel.WEB, "web_visitors_all", value=len(everyone))


def _web_persons(events: list[_Event]) -> tuple[dict[tuple[int, str], list[datetime]], Counter]:
    """Each identifiable person's web activity times per service, and the anonymous web
    persons (visitor keys of the day) per service."""
    linked = _visitor_people(events)
    identified: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    anonymous: dict[int, set[str]] = defaultdict(set)
    for e in events:
        if not _is_web_activity(e):
            continue
        person = e.person_key or linked.get(e.visitor_key, "")
        if person:
            identified[(e.service_code, person)].append(e.occurred_at)
        elif e.visitor_key:
            anonymous[e.service_code].add(e.visitor_key)
    return identified, Counter({service: len(keys) for service, keys in anonymous.items()})


_HISTORY_FIELDS = ("type", "channel", "service_code", "person_key", "occurred_at", "staff_id", "visitor_key")


def _person_history(
    people: Iterable[str], services: Iterable[int], start: datetime, end: datetime
) -> tuple[dict, dict, dict]:
    """For these persons and services between ``start`` and ``end``: assisted contact times,
    online transaction times and web activity times, each sorted, by (service, person)."""
    contacts: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    online: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    web: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    people, services = set(people), set(services)
    if not people:
        return contacts, online, web
    rows = (
        Interaction.objects.filter(
            occurred_at__gte=start,
            occurred_at__lte=end,
            person_key__in=people,
            service_code__in=services,
        )
        .filter(Q(type=T.ASSISTED_CONTACT) | Q(channel=Channel.WEB))
        .order_by("occurred_at", "pk")
        .values_list(*_HISTORY_FIELDS)
        .iterator(chunk_size=5000)
    )
    for kind, channel, service, person, occurred_at, staff_id, visitor in rows:
        key = (service, person)
        if kind == T.ASSISTED_CONTACT:
            contacts[key].append(occurred_at)
        elif channel != Channel.WEB or staff_id is not None:
            continue
        elif kind == T.TRANSACTION:
            online[key].append(occurred_at)  # completed online, also when a webhook recorded it
        if channel == Channel.WEB and staff_id is None and visitor and kind not in _NOT_WEB_ACTIVITY:
            web[key].append(occurred_at)
    return contacts, online, web


def failed_after(
    activity: list[datetime], contacts: list[datetime], online: list[datetime], web: list[datetime]
) -> bool:
    """Whether any of ``activity`` (a person's web activity times on a service that day)
    was followed by an assisted contact on the service within 7 days (0 < gap <= 7 days)
    with no online transaction on the service between the person's first web activity in
    the 7 days before that contact and the contact.

    ``web`` is all their web activity times on the service around it (sorted), ``online``
    their online transaction times (sorted), ``contacts`` their assisted contact times.
    """
    for contact in contacts:
        # an activity of this day within the 7 days before the contact
        if not any(contact - WINDOW <= t < contact for t in activity):
            continue
        first = web[bisect_left(web, contact - WINDOW)]  # the first web activity in the window
        if bisect_left(online, contact) - bisect_left(online, first) == 0:
            return True
    return False


def _count_web_persons(
    cells: _Cells, events: list[_Event], day: date, start: datetime, end: datetime
) -> list[WebPersonDay]:
    identified, anonymous = _web_persons(events)
    for service, n in anonymous.items():
        cells.add(service, Channel.WEB, "web_persons_anonymous", value=n)
    if not identified:
        return []
    contacts, online, web = _person_history(
        {p for _, p in identified}, {s for s, _ in identified}, start - WINDOW, end + WINDOW
    )
    rows = []
    for (service, person), activity in identified.items():
        key = (service, person)
        # the day's activity may include browsing before signing in (no person key on it)
        around = sorted({*web.get(key, []), *activity})
        failed = bool(contacts.get(key)) and failed_after(
            activity, contacts[key], online.get(key, []), around
        )
        rows.append(WebPersonDay(date=day, service_code=service, person_key=person, failed=failed))
    return rows


def _count_repeat_contacts(cells: _Cells, events: list[_Event], start: datetime) -> None:
    contacts = [e for e in events if e.type == T.ASSISTED_CONTACT and e.person_key and e.service_code]
    if not contacts:
        return
    earlier: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for service, person, occurred_at in (
        Interaction.objects.filter(
            type=T.ASSISTED_CONTACT,
            occurred_at__gte=start - WINDOW,
            occurred_at__lt=max(e.occurred_at for e in contacts),
            person_key__in={e.person_key for e in contacts},
        )
        .exclude(service_code=None)
        .order_by("occurred_at")
        .values_list("service_code", "person_key", "occurred_at")
    ):
        earlier[(service, person)].append(occurred_at)
    for e in contacts:
        times = earlier.get((e.service_code, e.person_key), [])
        # another contact at or after (occurred_at - 7 days), strictly before this one
        if bisect_left(times, e.occurred_at) - bisect_left(times, e.occurred_at - WINDOW) > 0:
            cells.add(e.service_code, e.channel, "repeat_contacts", team=e.handled_by_id)


def _count_contact_after_failure(cells: _Cells, events: list[_Event]) -> None:
    failures: dict[str, list] = defaultdict(list)
    for e in events:
        if e.channel != Channel.WEB or not (
            (e.type == T.SEARCH and e.outcome == Outcome.NO_RESULTS)
            or (e.type == T.PAGE_FEEDBACK and e.outcome == Outcome.NOT_USEFUL)
            or e.type in (T.FORM_ERROR, T.FORM_ABANDON)
            or (e.type == T.PAYMENT_RESULT and e.outcome in PAYMENT_FAILURE_OUTCOMES)
        ):
            continue
        for who in (e.visitor_key, e.session_key):
            if who:
                failures[who].append((e.occurred_at, e.service_code))
    if not failures:
        return
    for e in events:
        if e.type != T.CONTACT_PAGE_VIEW:
            continue
        before = [
            f
            for who in (e.visitor_key, e.session_key)
            if who
            for f in failures.get(who, ())
            if f[0] < e.occurred_at
        ]
        if before:
            cells.add(max(before, key=lambda failure: failure[0])[1], Channel.WEB, "contact_after_failure")


@transaction.atomic
def rollup_build_day(*, day: date) -> int:
    """Rebuild every rollup row for ``day`` from the raw log; returns the rows written."""
    page_views_flush()  # batched page views and searches first (portal.interactions.buffer)
    began = timezone.now()
    start, end = day_bounds(day)
    events = _events(occurred_at__gte=start, occurred_at__lt=end)
    cells = _Cells()
    after = _events(
        occurred_at__gte=end,
        occurred_at__lte=end + timedelta(minutes=SEARCH_FOLLOW_MINUTES),
        type=T.PAGE_VIEW,
        extras__has_key="from_search",
    )
    _attribute_searches(events, after)
    _count_events(cells, events, day)
    _count_visitors(cells, events)
    people = _count_web_persons(cells, events, day, start, end)
    _count_repeat_contacts(cells, events, start)
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
    WebPersonDay.objects.filter(date=day).delete()
    rows = DailyRollup.objects.bulk_create(cells.rows(day), batch_size=1000)
    WebPersonDay.objects.bulk_create(people, batch_size=1000)
    rollup_month_build(first=day.replace(day=1))
    _person_sets_build(day, people)
    RollupRebuild.objects.filter(date=day, requested_at__lte=began).delete()
    # now, and again after the commit: a dashboard reading in between would otherwise keep
    # the old figures under the new version
    rollups_changed()
    transaction.on_commit(rollups_changed)
    return len(rows)


def rollup_month_build(*, first: date) -> int:
    """Sum a calendar month's daily rollups into ``MonthlyRollup``, cell by cell.

    A cohort row (key "name|start day") of a draft started within the month is keyed by
    the month's first day instead: a whole month inside a period always counts its own
    starts, so the day does not matter, and a year reads one row a form, not one a day.
    """
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    MonthlyRollup.objects.filter(date=first).delete()
    cells: Counter = Counter()
    for c in (
        DailyRollup.objects.filter(date__gte=first, date__lte=last)
        .values_list("service_code", "channel", "team", "metric", "key")
        .annotate(total=Sum("value"))
        .order_by()
        .iterator(chunk_size=5000)
    ):
        service, channel, team, metric, key, total = c
        if metric in COHORT_METRICS:
            name, started = cohort_split(key)
            if started is not None and started >= first:
                key = f"{name}|{first.isoformat()}"
        cells[(service, channel, team, metric, key)] += total
    return len(
        MonthlyRollup.objects.bulk_create(
            (
                MonthlyRollup(date=first, service_code=s, channel=c, team=t, metric=m, key=k, value=v)
                for (s, c, t, m, k), v in cells.items()
            ),
            batch_size=2000,
        )
    )


def bitmap_pack(numbers: Iterable[int]) -> bytes:
    """A set of small numbers as a compressed bitmap (bit n set for number n)."""
    buffer = bytearray()
    for n in numbers:
        if n >> 3 >= len(buffer):
            buffer.extend(bytes((n >> 3) + 1 - len(buffer)))
        buffer[n >> 3] |= 1 << (n & 7)
    return zlib.compress(bytes(buffer))


def bitmap_unpack(data: bytes | memoryview) -> int:
    return int.from_bytes(zlib.decompress(bytes(data)), "little") if data else 0


def _person_numbers(keys: set[str]) -> dict[str, int]:
    PersonNumber.objects.bulk_create([PersonNumber(person_key=k) for k in keys], ignore_conflicts=True)
    numbers: dict[str, int] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), 5000):
        numbers.update(
            PersonNumber.objects.filter(person_key__in=ordered[i : i + 5000]).values_list("person_key", "pk")
        )
    return numbers


def _person_sets_build(day: date, people: list[WebPersonDay]) -> None:
    """The day's person sets per service, then its month's, recomputed from the month's days."""
    numbers = _person_numbers({p.person_key for p in people})
    persons: dict[int, list[int]] = defaultdict(list)
    failed: dict[int, list[int]] = defaultdict(list)
    for p in people:
        persons[p.service_code].append(numbers[p.person_key])
        if p.failed:
            failed[p.service_code].append(numbers[p.person_key])
    packed = {s: (bitmap_pack(members), bitmap_pack(failed.get(s, []))) for s, members in persons.items()}
    _person_sets_write(WebPersonSet.DAY, day, packed)
    person_sets_month_build(first=day.replace(day=1))


def person_sets_month_build(*, first: date) -> None:
    """Recompute a calendar month's person sets (per service) from its days' sets."""
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    persons: dict[int, int] = defaultdict(int)
    failed: dict[int, int] = defaultdict(int)
    for service, members, failures in WebPersonSet.objects.filter(
        span=WebPersonSet.DAY, date__gte=first, date__lte=last
    ).values_list("service_code", "persons", "failed"):
        persons[service] |= bitmap_unpack(members)
        failed[service] |= bitmap_unpack(failures)
    packed = {s: (_bits_pack(bits), _bits_pack(failed[s])) for s, bits in persons.items()}
    _person_sets_write(WebPersonSet.MONTH, first, packed)


def _person_sets_write(span: str, day: date, packed: dict[int, tuple[bytes, bytes]]) -> None:
    WebPersonSet.objects.filter(span=span, date=day).delete()
    WebPersonSet.objects.bulk_create(
        WebPersonSet(date=day, span=span, service_code=service, persons=members, failed=failures)
        for service, (members, failures) in packed.items()
    )


def _bits_pack(bits: int) -> bytes:
    return zlib.compress(bits.to_bytes((bits.bit_length() + 7) // 8, "little"))


def rollup_build_recent(*, days: int = FOLLOW_UP_DAYS + 2, until: date | None = None) -> int:
    """Rebuild today so far and the 8 days before it (or ``days`` days up to ``until``).

    Run hourly, this keeps today's figures close to live; run daily after midnight, it
    completes yesterday and the days whose 7-day follow-up window is still open.
    """
    until = until or timezone.localdate()
    return sum(rollup_build_day(day=until - timedelta(days=n)) for n in range(days))


def rollup_build_requested(*, days: Iterable[date] = ()) -> int:
    """Rebuild ``days`` and the days listed in ``RollupRebuild`` (late or corrected
    contacts), oldest first."""
    listed = set(RollupRebuild.objects.values_list("date", flat=True))
    return sum(rollup_build_day(day=day) for day in sorted(listed | set(days)))


def rollups_pending() -> list[date]:
    """Days whose figures are being recalculated (a rebuild was asked for and has not run)."""
    return list(RollupRebuild.objects.order_by("date").values_list("date", flat=True))


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
