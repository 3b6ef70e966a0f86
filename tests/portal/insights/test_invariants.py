"""Property-based checks of the contact measures on random event sets (hypothesis).

Whatever the events, for every period and service:
- every numerator is at most its denominator (no figure above 100%);
- the services add up to "all services" (counts, and failed web contact's persons);
- rebuilding any day twice gives the same rows;
- deleting accounts changes no closed day.
"""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.test import RequestFactory

from accounts.services import account_delete
from portal.insights.figures import FIGURES, figures_for
from portal.insights.measures import measures_for
from portal.interactions.constants import AvoidableCategory, Channel, InteractionType, Outcome
from portal.interactions.models import DailyRollup, Interaction, RollupRebuild, WebPersonDay
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record, interaction_record
from tests.accounts.factories import StaffFactory, UserFactory
from tests.portal.interactions.factories import rollup_rows as _rows

pytestmark = pytest.mark.django_db

T = InteractionType
LONDON = ZoneInfo("Europe/London")
BASE = date(2026, 3, 23)  # the clocks go forward on Sunday 29 March 2026: inside the window
DAYS = 45  # so a period can hold all of April (a month set) and days either side
SERVICES = (524, 557)
ACCOUNTS = 3

who = st.one_of(st.integers(0, ACCOUNTS - 1), st.sampled_from(["192.0.2.1", "192.0.2.2", "192.0.2.3"]))
event = st.tuples(
    st.sampled_from(["view", "transaction", "call", "avoidable_call", "form", "search", "payment_failed"]),
    who,
    st.sampled_from(SERVICES),
    st.integers(0, DAYS - 1),
    st.integers(0, 23),
    st.sampled_from([0, 1, 30, 59]),
)


def _at(day: int, hour: int, minute: int) -> datetime:
    local = datetime.combine(BASE + timedelta(days=day), time(hour, minute), tzinfo=LONDON)
    return local.astimezone(ZoneInfo("UTC"))  # a time in the skipped hour becomes a real instant


def _request(ip: str, user=None):
    request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (test)")
    request.session = SimpleNamespace(session_key="")
    request.user = user or AnonymousUser()
    return request


def _record(kind, person, service, day, hour, minute, *, accounts, staff) -> None:
    user = accounts[person] if isinstance(person, int) else None
    ip = person if isinstance(person, str) else f"198.51.100.{person}"
    when = _at(day, hour, minute)
    if kind in ("call", "avoidable_call"):
        assisted_contact_record(
            staff=staff,
            channel=Channel.PHONE,
            service_code=service,
            reason_code="enquiry",
            avoidable=kind == "avoidable_call",
            avoidable_category=AvoidableCategory.FAILED_ONLINE if kind == "avoidable_call" else "",
            resolved_first_contact=minute == 0,
            resident=user,
            occurred_at=when,
        )
        return
    web = {"request": _request(ip, user), "occurred_at": when, "service_code": service}
    if kind == "view":
        interaction_record(type=T.PAGE_VIEW, **web)
    elif kind == "transaction":
        interaction_record(type=T.TRANSACTION, extras={"kind": "form"}, **web)
    elif kind == "payment_failed":
        interaction_record(type=T.PAYMENT_RESULT, outcome="failed", **web)
    elif kind == "form":
        # started now; a step done and the form submitted 0, 1 or 2 days later (as the engine
        # records them: each event carries its draft's start day)
        extras = {"started": (BASE + timedelta(days=day)).isoformat()}
        later = {**web, "occurred_at": when + timedelta(days=hour % 3)}
        interaction_record(type=T.FORM_START, journey="f", extras=extras, **web)
        interaction_record(
            type=T.FORM_STEP, journey="f", step="s1", extras={**extras, "first": True}, **later
        )
        interaction_record(type=T.FORM_SUBMIT, journey="f", extras=extras, **later)
    elif kind == "search":
        attributed = {**web, "service_code": service if minute else None}
        outcome = Outcome.NO_RESULTS if hour % 2 else Outcome.RESULTS
        interaction_record(type=T.SEARCH, outcome=outcome, extras={"query": "q"}, **attributed)


def _build_all() -> None:
    for n in range(DAYS):
        rollup_build_day(day=BASE + timedelta(days=n))


ADDITIVE = ("assisted_contacts", "avoidable_contacts", "repeat_contacts", "transactions", "searches")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(event, max_size=40), period=st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1))
)
def test_the_measures_hold_their_invariants_for_any_events(events, period):
    for model in (Interaction, DailyRollup, WebPersonDay, RollupRebuild):
        model.objects.all().delete()
    staff = StaffFactory()
    accounts = [UserFactory() for _ in range(ACCOUNTS)]
    for e in events:
        _record(*e, accounts=accounts, staff=staff)
    _build_all()
    first = _rows()

    start, end = (BASE + timedelta(days=n) for n in sorted(period))
    everything = measures_for(start=start, end=end)
    per_service = [measures_for(start=start, end=end, service_code=s) for s in (0, *SERVICES)]
    for m in (everything, *per_service):
        for key, figure in figures_for(m).items():
            assert figure.numerator <= figure.denominator, (key, figure.numerator, figure.denominator)
            assert figure.value is None or 0 <= figure.value <= 100, key
    for metric in ADDITIVE:
        assert sum(m.total(metric) for m in per_service) == everything.total(metric), metric
        # whole months read from the monthly sums give what the days add up to
        days = DailyRollup.objects.filter(date__gte=start, date__lte=end, metric=metric)
        assert everything.total(metric) == (days.aggregate(n=Sum("value"))["n"] or 0), metric
    # the person sets (bitmaps by month and day) count exactly the distinct persons of the rows
    rows = WebPersonDay.objects.filter(date__gte=start, date__lte=end)
    assert everything.identified_web_persons == rows.values("service_code", "person_key").distinct().count()
    assert everything.failed_web_persons == (
        rows.filter(failed=True).values("service_code", "person_key").distinct().count()
    )
    for m, code in zip(per_service, (0, *SERVICES), strict=True):
        assert (
            m.identified_web_persons == rows.filter(service_code=code).values("person_key").distinct().count()
        )
    assert sum(m.failed_web_persons for m in per_service) == everything.failed_web_persons
    assert sum(m.identified_web_persons for m in per_service) == everything.identified_web_persons
    assert {f.key for f in FIGURES} <= set(figures_for(everything))

    # rebuilding gives the same rows
    _build_all()
    assert _rows() == first

    # deleting every account changes no closed day
    for account in accounts:
        account_delete(user=account)
    _build_all()
    assert _rows() == first
