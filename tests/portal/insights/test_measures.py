"""The contact measures on small, hand-counted event sets.

Each test records a few events through ``interaction_record`` (or the assisted-contact
service) with an explicit time, rebuilds the day's rollups, and checks the measures
against figures worked out by hand in the comments.
"""

from datetime import date, timedelta

import pytest

from django.core.cache import cache

from wagtail.models import Site

from portal.insights.dashboard import messages_figures
from portal.insights.measures import FunnelStep, measures_for, percent, services_ranked
from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.measures import bot_counter_key
from portal.interactions.models import DailyRollup, WebPersonDay
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import interaction_record
from tests.accounts.factories import StaffFactory, UserFactory
from tests.portal.insights.factories import DAY, WASTE, assisted, at, build, transaction, web, web_request

pytestmark = pytest.mark.django_db

T = InteractionType
POTHOLES = 557


# What forms_engine puts on every event of a draft started on DAY.
STARTED = {"started": DAY.isoformat()}


def measures(service_code: int | None = WASTE, start: date = DAY, end: date = DAY, **kwargs):
    return measures_for(start=start, end=end, service_code=service_code, **kwargs)


def rollup_rows() -> list[tuple]:
    return list(
        DailyRollup.objects.order_by("date", "service_code", "channel", "metric", "key").values_list(
            "date", "service_code", "channel", "metric", "key", "value"
        )
    )


@pytest.fixture
def staff():
    return StaffFactory()


def test_percent_is_none_without_a_denominator_and_rounds_to_one_place():
    assert percent(0, 0) is None
    assert percent(3, 0) is None
    assert percent(0, 4) == 0.0
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(3, 24) == 12.5


def test_avoidable_contact_by_category_and_channel(staff):
    # Household waste (524): 4 assisted contacts, 2 of them avoidable.
    assisted(staff=staff, channel=Channel.PHONE, avoidable=True, category="progress_chasing", resolved=False)
    assisted(staff=staff, channel=Channel.PHONE, resolved=True)
    assisted(staff=staff, channel=Channel.FACE_TO_FACE, avoidable=True, category="clarification")
    assisted(staff=staff, channel=Channel.EMAIL, resolved=False)
    # Another service, to check the filter: 1 avoidable phone call about potholes.
    assisted(staff=staff, service_code=POTHOLES, avoidable=True, category="progress_chasing")
    build()

    m = measures(WASTE)
    # 2 avoidable ÷ 4 assisted = 50.0%
    assert (m.assisted_contacts, m.avoidable_contacts, m.avoidable_percent) == (4, 2, 50.0)
    by_category = {value: (count, pct) for value, _label, count, pct in m.avoidable_by_category}
    # Each category ÷ all 4 assisted contacts: 1 ÷ 4 = 25.0%; the others 0 ÷ 4 = 0.0%.
    assert by_category["progress_chasing"] == (1, 25.0)
    assert by_category["clarification"] == (1, 25.0)
    assert by_category["info_not_online"] == (0, 0.0)
    assert by_category["failed_online"] == (0, 0.0)
    by_channel = {value: (a, av, pct) for value, _label, a, av, pct in m.avoidable_by_channel}
    assert "web" not in by_channel
    # Phone: 1 avoidable of 2 = 50.0%; face to face 1 of 1 = 100.0%; email 0 of 1 = 0.0%;
    # no letters or social media contacts, so no data.
    assert by_channel["phone"] == (2, 1, 50.0)
    assert by_channel["face_to_face"] == (1, 1, 100.0)
    assert by_channel["email"] == (1, 0, 0.0)
    assert by_channel["letter"] == (0, 0, None)
    assert by_channel["social"] == (0, 0, None)
    # Resolved at first contact: the 2 resolved of 4 (face to face defaults to resolved) = 50.0%
    # -> the phone "resolved", the face-to-face contact; not the first phone call or the email.
    assert m.total("resolved_first_contact") == 2
    assert m.first_contact_resolution_percent == 50.0

    everything = measures(None)
    # All services: 3 avoidable ÷ 5 assisted = 60.0%; progress chasing 2 ÷ 5 = 40.0%.
    assert (everything.assisted_contacts, everything.avoidable_percent) == (5, 60.0)
    assert {v: c for v, _, c, _ in everything.avoidable_by_category}["progress_chasing"] == 2
    assert {v: p for v, _, _, p in everything.avoidable_by_category}["progress_chasing"] == 40.0


def test_an_avoidable_contact_without_a_category_counts_as_other(staff):
    interaction_record(
        type=T.ASSISTED_CONTACT, channel=Channel.PHONE, service_code=WASTE, avoidable=True, occurred_at=at()
    )
    build()
    m = measures(WASTE)
    assert {v: c for v, _, c, _ in m.avoidable_by_category}["other"] == 1
    assert m.avoidable_percent == 100.0


def test_failed_web_contact_behavioural(staff):
    followed_up, too_late, other_service = UserFactory(), UserFactory(), UserFactory()
    # Three accounts use the household waste pages on DAY, each from its own device.
    for n, account in enumerate((followed_up, too_late, other_service), start=1):
        web(
            T.PAGE_VIEW,
            hour=10,
            service_code=WASTE,
            request=web_request(ip=f"192.0.2.{n}", session=f"s{n}", user=account),
        )
    # Then phone the council: 3 days later about waste (counts), 8 days later about waste
    # (too late: more than 7 days), 2 days later about potholes (another service).
    assisted(staff=staff, resident=followed_up, day=DAY + timedelta(days=3), hour=9)
    assisted(staff=staff, resident=too_late, day=DAY + timedelta(days=8), hour=10)
    assisted(staff=staff, resident=other_service, service_code=POTHOLES, day=DAY + timedelta(days=2))
    build()

    m = measures(WASTE)
    # Identifiable web persons on the waste pages: the 3 accounts. Failed: only
    # `followed_up` (a waste call 3 days after, nothing completed online in between);
    # `too_late` rang 8 days after, `other_service` about potholes.
    # 1 failed ÷ 3 identifiable web persons = 33.3%
    assert (m.failed_web_persons, m.identified_web_persons) == (1, 3)
    assert m.web_visitors == 3
    assert m.failed_web_percent == 33.3
    # Coverage: all 3 were signed in, no anonymous visitors: 3 ÷ (3 + 0) = 100.0%
    assert m.web_persons == 3
    assert m.failed_web_coverage_percent == 100.0
    # Nobody visited the pothole pages on DAY: no data, not 0%.
    assert measures(POTHOLES).failed_web_percent is None


def test_failed_web_contact_counts_a_contact_exactly_7_days_later(staff):
    resident = UserFactory()
    web(T.PAGE_VIEW, hour=10, service_code=WASTE, request=web_request(user=resident))
    # 7 days to the minute after the visit: still "within 7 days".
    assisted(staff=staff, resident=resident, day=DAY + timedelta(days=7), hour=10)
    build()
    m = measures(WASTE)
    # 1 failed ÷ 1 identifiable web person = 100.0%
    assert (m.failed_web_persons, m.identified_web_persons) == (1, 1)
    assert m.failed_web_percent == 100.0


def test_failed_web_contact_counts_7_days_from_the_latest_visit_that_day(staff):
    resident = UserFactory()
    web(T.PAGE_VIEW, hour=9, service_code=WASTE, request=web_request(user=resident))
    web(T.PAGE_VIEW, hour=21, service_code=WASTE, request=web_request(user=resident))
    # 6 days 16 hours after the evening visit (but 7 days 4 hours after the morning one).
    assisted(staff=staff, resident=resident, day=DAY + timedelta(days=7), hour=13)
    build()
    m = measures(WASTE)
    # One person (two visits, counted once), failed: 1 ÷ 1 = 100.0%
    assert (m.failed_web_persons, m.identified_web_persons) == (1, 1)
    assert m.failed_web_percent == 100.0


def test_zero_result_search_percent():
    # 4 searches, 1 with no results: 1 ÷ 4 = 25.0%
    web(T.SEARCH, outcome=Outcome.NO_RESULTS, service_code=WASTE, extras={"query": "bin colection"})
    for _ in range(3):
        web(T.SEARCH, outcome=Outcome.RESULTS, service_code=WASTE)
    build()
    m = measures(WASTE)
    assert (m.total("searches"), m.total("searches_no_results")) == (4, 1)
    assert m.zero_result_search_percent == 25.0


def test_form_abandonment_percent():
    # 4 forms started, 1 abandoned: 1 ÷ 4 = 25.0%
    for _ in range(4):
        web(T.FORM_START, journey="bulky-waste", service_code=WASTE)
    web(T.FORM_ABANDON, journey="bulky-waste", service_code=WASTE)
    build()
    m = measures(WASTE)
    assert m.form_abandonment_percent == 25.0


def test_validation_loops():
    # One draft per session, each started on DAY.
    for n in range(1, 5):
        web(
            T.FORM_START,
            journey="bulky-waste",
            service_code=WASTE,
            extras=STARTED,
            request=web_request(session=f"s{n}"),
        )

    def error(session: str, *fields: str, minute: int = 0, loop: bool = False):
        # As forms_engine records it: ``loop`` on the error that takes a question of the
        # draft to its 3rd error, once per draft.
        web(
            T.FORM_ERROR,
            minute=minute,
            journey="bulky-waste",
            step="address",
            service_code=WASTE,
            extras={**STARTED, "fields": list(fields), "loop": loop},
            request=web_request(session=session),
        )

    # s1: 4 errors on postcode -> one loop, flagged on the 3rd (the 4th is not flagged
    # again: the draft has already looped), counted once, not twice.
    for minute in range(4):
        error("s1", "postcode", minute=minute, loop=minute == 2)
    # s2: 2 errors on postcode -> not a loop.
    error("s2", "postcode")
    error("s2", "postcode", minute=1)
    # s3: 1 error on postcode. With s2's 2 that makes 3, but in different drafts: no loop.
    error("s3", "postcode")
    # s4: 3 errors, but spread over 3 fields -> no loop.
    error("s4", "postcode", "email")
    error("s4", "email", "phone", minute=1)
    error("s4", "phone", "name", minute=2)
    build()

    m = measures(WASTE)
    # Errors: 4 + 2 + 1 + 3 = 10 events. Loops: 1 (s1/postcode).
    # s4: postcode 1, email 2, phone 2, name 1: no field reaches 3.
    assert m.total("form_errors") == 10
    assert (m.total("validation_loops"), m.web("validation_loops")) == (1, 1)
    assert m.by_key["validation_loops"] == {"bulky-waste": 1}
    # 1 loop ÷ 4 forms started = 25.0%
    assert m.validation_loop_percent == 25.0


def test_payment_failure_percent():
    # 5 payment results: 2 succeeded, 1 failed, 1 cancelled, 1 error -> 3 ÷ 5 = 60.0%
    for outcome in ("success", "success", "failed", "cancelled", "error"):
        web(T.PAYMENT_RESULT, outcome=outcome, service_code=WASTE)
    build()
    m = measures(WASTE)
    assert (m.total("payment_results"), m.total("payment_failures")) == (5, 3)
    assert m.payment_failure_percent == 60.0


def test_not_useful_percent():
    # 4 answers to "Is this page useful?", 1 "no": 1 ÷ 4 = 25.0%
    for outcome in (Outcome.USEFUL, Outcome.USEFUL, Outcome.USEFUL, Outcome.NOT_USEFUL):
        web(T.PAGE_FEEDBACK, outcome=outcome, service_code=WASTE)
    build()
    assert measures(WASTE).not_useful_percent == 25.0


def test_contact_page_visit_after_a_failed_journey():
    v1 = web_request(ip="192.0.2.1", session="s1")
    v2 = web_request(ip="192.0.2.2", session="s2")
    v3 = web_request(ip="192.0.2.3", session="s3")
    # v1: a search with no results about waste, then the contact page -> counts (for 524).
    web(T.SEARCH, hour=10, outcome=Outcome.NO_RESULTS, service_code=WASTE, request=v1)
    web(T.CONTACT_PAGE_VIEW, hour=10, minute=5, request=v1)
    # v2: the contact page first, the failed search afterwards -> does not count.
    web(T.CONTACT_PAGE_VIEW, hour=9, request=v2)
    web(T.SEARCH, hour=9, minute=30, outcome=Outcome.NO_RESULTS, service_code=WASTE, request=v2)
    # v3: the contact page with no failure at all -> does not count.
    web(T.PAGE_VIEW, hour=11, service_code=WASTE, request=v3)
    web(T.CONTACT_PAGE_VIEW, hour=11, minute=1, request=v3)
    build()

    assert measures(WASTE).total("contact_after_failure") == 1
    everything = measures(None)
    assert everything.total("contact_after_failure") == 1
    assert everything.total("contact_page_views") == 3


def test_digital_take_up(staff):
    # Web: 3 forms with no fee submitted, each a form_submit and a transaction (as
    # forms_engine records them). A 4th form has a fee whose payment failed: submitted,
    # but not a transaction.
    for _ in range(3):
        web(T.FORM_SUBMIT, journey="bulky-waste", service_code=WASTE, extras=STARTED)
        transaction(Channel.WEB)
    web(T.FORM_SUBMIT, journey="bulky-waste", service_code=WASTE, extras={**STARTED, "fee_pence": 1500})
    web(T.PAYMENT_RESULT, outcome="failed", service_code=WASTE)
    # Assisted: a phone call and a visit in which staff submitted a form for the caller
    # (each an assisted contact and a transaction on its channel); an avoidable
    # progress-chasing call and an email enquiry complete nothing (contacts only).
    assisted(staff=staff, channel=Channel.PHONE)
    transaction(Channel.PHONE, staff=staff)
    assisted(staff=staff, channel=Channel.FACE_TO_FACE)
    transaction(Channel.FACE_TO_FACE, staff=staff)
    assisted(staff=staff, channel=Channel.PHONE, avoidable=True, category="progress_chasing")
    assisted(staff=staff, channel=Channel.EMAIL)
    build()
    m = measures(WASTE)
    # Transactions: 3 web + 1 phone + 1 face to face = 5 (not the failed payment's
    # submission, nor the 4 assisted contacts themselves).
    # Digital take-up: 3 web ÷ 5 = 60.0%
    assert m.assisted_contacts == 4
    assert (m.transactions, m.digital_transactions) == (5, 3)
    assert m.by_channel["transactions"] == {Channel.WEB: 3, Channel.PHONE: 1, Channel.FACE_TO_FACE: 1}
    assert m.by_key["transactions"] == {"form": 5}
    assert m.digital_take_up_percent == 60.0


def test_completion_rate_and_funnel():
    # bulky-waste: 4 starts, 3 finished "items", 2 finished "address", 2 submitted.
    # pothole: 1 start, 1 finished "location", none submitted.
    for _ in range(4):
        web(T.FORM_START, journey="bulky-waste", service_code=WASTE)
    for _ in range(3):
        web(T.FORM_STEP, journey="bulky-waste", step="items", service_code=WASTE)
    for _ in range(2):
        web(T.FORM_STEP, journey="bulky-waste", step="address", service_code=WASTE)
        web(T.FORM_SUBMIT, journey="bulky-waste", service_code=WASTE)
    web(T.FORM_START, journey="pothole", service_code=POTHOLES)
    web(T.FORM_STEP, journey="pothole", step="location", service_code=POTHOLES)
    build()

    waste = measures(WASTE)
    # 2 submitted ÷ 4 started = 50.0%
    assert waste.completion_rate_percent == 50.0
    # Each step ÷ that form's 4 starts: address 2 -> 50.0%, items 3 -> 75.0%
    assert waste.funnel == [
        FunnelStep("bulky-waste", "address", 2, 50.0),
        FunnelStep("bulky-waste", "items", 3, 75.0),
    ]
    everything = measures(None)
    # All services: 2 submitted ÷ 5 started = 40.0%; pothole "location" 1 ÷ 1 = 100.0%
    assert everything.completion_rate_percent == 40.0
    assert FunnelStep("pothole", "location", 1, 100.0) in everything.funnel


def test_repeat_contact_within_7_days(staff):
    repeat, too_late, other_service, web_only = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    # Earlier contacts (before DAY, which is the only day rebuilt): assisted contacts
    # staff linked to the account, and one anonymous call.
    assisted(staff=staff, resident=repeat, day=DAY - timedelta(days=3))
    assisted(staff=staff, resident=too_late, day=DAY - timedelta(days=8))
    assisted(staff=staff, resident=other_service, service_code=POTHOLES, day=DAY - timedelta(days=1))
    assisted(staff=staff, resident=None, day=DAY - timedelta(days=1))
    # `web_only` submitted a waste form on the web 3 days before: web activity, not a contact.
    web(
        T.FORM_SUBMIT,
        day=DAY - timedelta(days=3),
        service_code=WASTE,
        extras={"started": (DAY - timedelta(days=3)).isoformat()},
        request=web_request(user=web_only),
    )
    transaction(day=DAY - timedelta(days=3), request=web_request(user=web_only))
    # On DAY, each phones about waste; so does someone who is not signed in.
    for resident in (repeat, too_late, other_service, web_only, None):
        assisted(staff=staff, resident=resident)
    build()

    m = measures(WASTE)
    # Assisted contacts on DAY for 524: 5 phone calls. Repeat: only `repeat` (3 days after
    # a call about the same service); 8 days is too long ago; potholes is another service;
    # a web submission is never a contact; an anonymous caller cannot be matched (not even
    # to the anonymous call the day before). 1 ÷ 5 = 20.0%
    assert (m.assisted_contacts, m.total("repeat_contacts")) == (5, 1)
    assert m.repeat_contact_percent == 20.0
    assert m.by_channel["repeat_contacts"] == {"phone": 1}


def test_a_second_contact_on_the_same_day_is_a_repeat(staff):
    resident, submitted_online = UserFactory(), UserFactory()
    assisted(staff=staff, resident=resident, channel=Channel.EMAIL, hour=9)
    assisted(staff=staff, resident=resident, hour=15)
    # Another resident submits on the web at 9 and phones at 15: the web submission is
    # not a contact, so the call is their first.
    web(T.FORM_SUBMIT, hour=9, service_code=WASTE, extras=STARTED, request=web_request(user=submitted_online))
    transaction(hour=9, request=web_request(user=submitted_online))
    assisted(staff=staff, resident=submitted_online, hour=15)
    build()
    m = measures(WASTE)
    # 3 assisted contacts; the phone call 6 hours after the email is a repeat: 1 ÷ 3 = 33.3%
    assert (m.assisted_contacts, m.total("repeat_contacts")) == (3, 1)
    assert m.by_channel["repeat_contacts"] == {"phone": 1}
    assert m.repeat_contact_percent == 33.3


def test_cost_per_transaction_with_the_default_costs(staff):
    # Transactions: web 4 (form submissions), phone 2, face to face 1, email 1 (no cost set):
    # on the assisted channels, staff submitting a form in the contact.
    for _ in range(4):
        web(T.FORM_SUBMIT, journey="bulky-waste", service_code=WASTE, extras=STARTED)
        transaction(Channel.WEB)
    for channel in (Channel.PHONE, Channel.PHONE, Channel.FACE_TO_FACE, Channel.EMAIL):
        assisted(staff=staff, channel=channel)
        transaction(channel, staff=staff)
    # A progress-chasing call completes nothing: a contact, not a phone transaction.
    assisted(staff=staff, channel=Channel.PHONE, avoidable=True, category="progress_chasing")
    build()

    for site in (None, Site.objects.get(is_default_site=True)):
        m = measures(WASTE, site=site)
        costs = {c.channel: (c.transactions, c.unit_cost_pence, c.total_pence) for c in m.costs}
        # Socitm 2012: web 15p, phone £2.83, face to face £8.62; email has no figure.
        assert costs["web"] == (4, 15, 60)  # 4 × 15p = 60p
        assert costs["phone"] == (2, 283, 566)  # 2 × 283p = 566p
        assert costs["face_to_face"] == (1, 862, 862)
        assert costs["email"] == (1, None, None)
        assert costs["letter"] == (0, None, None)
        # Average over channels with a cost: (60 + 566 + 862) ÷ (4 + 2 + 1) = 1488 ÷ 7 = 212.57 -> 212.6p
        assert m.average_cost_per_transaction_pence == 212.6


def test_page_views_visitors_and_bots():
    a = web_request(ip="192.0.2.1", session="a")
    b = web_request(ip="192.0.2.2", session="b")
    c = web_request(ip="192.0.2.3", session="c")
    # a: 2 waste pages, b: 1 waste page, c: the home page (no service).
    web(T.PAGE_VIEW, service_code=WASTE, request=a)
    web(T.PAGE_VIEW, service_code=WASTE, request=a, minute=1)
    web(T.PAGE_VIEW, service_code=WASTE, request=b)
    web(T.PAGE_VIEW, request=c)
    cache.set(bot_counter_key(DAY), 5)
    build()

    waste = measures(WASTE)
    assert (waste.total("page_views"), waste.web_visitors) == (3, 2)
    everything = measures(None)
    # 4 page views from 3 distinct visitors; bots are counted at service 0.
    assert (everything.total("page_views"), everything.web_visitors) == (4, 3)
    assert everything.total("bot_requests") == 5
    assert waste.total("bot_requests") == 0

    # The counter expires after 3 days; a later rebuild keeps the recorded figure.
    cache.delete(bot_counter_key(DAY))
    build()
    assert measures(None).total("bot_requests") == 5


def test_daily_figures_and_period_bounds(staff):
    web(T.PAGE_VIEW, day=DAY - timedelta(days=1), service_code=WASTE)
    web(T.PAGE_VIEW, day=DAY, service_code=WASTE)
    web(T.PAGE_VIEW, day=DAY, service_code=WASTE, minute=1)
    # One call in which staff submitted a form: 1 assisted contact and 1 transaction.
    assisted(staff=staff, day=DAY)
    transaction(Channel.PHONE, staff=staff, day=DAY)
    web(T.PAGE_VIEW, day=DAY + timedelta(days=1), service_code=WASTE)
    # Just before and just after midnight, local time, fall on different days.
    web(T.PAGE_VIEW, day=DAY + timedelta(days=1), hour=23, minute=59, service_code=POTHOLES)
    web(T.PAGE_VIEW, day=DAY + timedelta(days=2), hour=0, minute=0, service_code=POTHOLES)
    build(*(DAY + timedelta(days=n) for n in range(-1, 3)))

    m = measures(WASTE, start=DAY, end=DAY + timedelta(days=1))
    assert m.total("page_views") == 3
    assert m.daily == [
        {"date": DAY, "page_views": 2, "assisted_contacts": 1, "transactions": 1},
        {"date": DAY + timedelta(days=1), "page_views": 1},
    ]
    potholes = measures(POTHOLES, start=DAY + timedelta(days=1), end=DAY + timedelta(days=2))
    assert [(d["date"], d["page_views"]) for d in potholes.daily] == [
        (DAY + timedelta(days=1), 1),
        (DAY + timedelta(days=2), 1),
    ]


def test_services_ranked_by_assisted_contacts(staff):
    # Potholes: 3 assisted (1 avoidable, completing nothing; in the other 2, by phone and
    # email, staff submitted a form). Waste: 1 assisted (a form submitted by phone) + 2 web
    # submissions, and a 3rd web submission whose payment failed (not a transaction).
    assisted(staff=staff, service_code=POTHOLES, avoidable=True, category="progress_chasing")
    assisted(staff=staff, service_code=POTHOLES)
    transaction(Channel.PHONE, staff=staff, service_code=POTHOLES)
    assisted(staff=staff, service_code=POTHOLES, channel=Channel.EMAIL)
    transaction(Channel.EMAIL, staff=staff, service_code=POTHOLES)
    assisted(staff=staff, service_code=WASTE)
    transaction(Channel.PHONE, staff=staff, service_code=WASTE)
    for _ in range(2):
        web(T.FORM_SUBMIT, service_code=WASTE, extras=STARTED)
        transaction(Channel.WEB, service_code=WASTE)
    web(T.FORM_SUBMIT, service_code=WASTE, extras={**STARTED, "fee_pence": 1500})
    web(T.PAGE_VIEW)  # no service: never ranked
    build()

    ranked = services_ranked(start=DAY, end=DAY)
    assert [r["service_code"] for r in ranked] == [POTHOLES, WASTE]
    potholes, waste = ranked
    # Potholes: 1 avoidable ÷ 3 = 33.3%; 2 transactions, none on the web -> 0.0%
    assert (potholes["assisted"], potholes["avoidable"], potholes["avoidable_percent"]) == (3, 1, 33.3)
    assert (potholes["transactions"], potholes["digital_take_up_percent"]) == (2, 0.0)
    # Waste: 0 avoidable ÷ 1 = 0.0%; 2 web ÷ 3 transactions = 66.7%
    assert (waste["assisted"], waste["avoidable_percent"]) == (1, 0.0)
    assert (waste["transactions"], waste["web_transactions"], waste["digital_take_up_percent"]) == (
        3,
        2,
        66.7,
    )


def test_an_empty_period_has_no_data_anywhere():
    build()
    for service_code in (None, WASTE):
        m = measures(service_code)
        assert not m.has_data
        for name in (
            "avoidable_percent",
            "first_contact_resolution_percent",
            "failed_web_percent",
            "zero_result_search_percent",
            "form_abandonment_percent",
            "validation_loop_percent",
            "payment_failure_percent",
            "not_useful_percent",
            "digital_take_up_percent",
            "completion_rate_percent",
            "repeat_contact_percent",
            "average_cost_per_transaction_pence",
        ):
            assert getattr(m, name) is None, name
        assert all(pct is None for *_, pct in m.avoidable_by_category)
        assert all(pct is None for *_, pct in m.avoidable_by_channel)
        assert m.funnel == []
        assert m.daily == []
        assert all(c.transactions == 0 for c in m.costs)
    assert services_ranked(start=DAY, end=DAY) == []


def test_rebuilding_a_day_gives_identical_rows(staff):
    resident = UserFactory()
    request = web_request(user=resident)
    web(T.PAGE_VIEW, hour=9, service_code=WASTE, request=request)
    web(T.SEARCH, hour=9, outcome=Outcome.NO_RESULTS, service_code=WASTE, request=request)
    web(T.CONTACT_PAGE_VIEW, hour=9, minute=5, request=request)
    web(T.FORM_START, hour=10, journey="bulky-waste", service_code=WASTE, extras=STARTED, request=request)
    for minute in range(3):
        web(
            T.FORM_ERROR,
            hour=10,
            minute=minute,
            journey="bulky-waste",
            service_code=WASTE,
            # forms_engine flags the 3rd error on the same question of the draft
            extras={**STARTED, "fields": ["postcode"], "loop": minute == 2},
            request=request,
        )
    web(T.FORM_SUBMIT, hour=11, journey="bulky-waste", service_code=WASTE, extras=STARTED, request=request)
    transaction(hour=11, request=request)
    # Two calls: the second (an hour after the first, about the same service) is a repeat.
    assisted(staff=staff, resident=resident, hour=14)
    assisted(staff=staff, resident=resident, hour=15, avoidable=True, category="progress_chasing")
    cache.set(bot_counter_key(DAY), 2)

    def people() -> list[tuple]:
        return list(
            WebPersonDay.objects.order_by("date", "service_code", "person_key").values_list(
                "date", "service_code", "person_key", "failed"
            )
        )

    first = rollup_build_day(day=DAY)
    rows, persons = rollup_rows(), people()
    second = rollup_build_day(day=DAY)
    assert first == second == len(rows) == DailyRollup.objects.count()
    assert rollup_rows() == rows
    assert people() == persons
    # The resident used the waste service on the web: one person-day, not failed (the
    # form was completed online at 11, between their first web activity and the calls).
    assert persons == [(DAY, WASTE, resident.person_key, False)]
    assert ("contact_after_failure", 1) in [(r[3], r[5]) for r in rows]
    assert ("validation_loops", 1) in [(r[3], r[5]) for r in rows]
    assert ("repeat_contacts", 1) in [(r[3], r[5]) for r in rows]
    assert ("transactions", 1) in [(r[3], r[5]) for r in rows]


def test_messages_sent_by_channel_and_texts_received_are_counted_apart_from_contact(staff):
    resident = UserFactory()
    # Sent: 1 email, 2 texts (a case update and a bill reminder), no letter; 1 text back.
    for channel in (Channel.EMAIL, Channel.SMS, Channel.SMS):
        interaction_record(
            type=T.MESSAGE_SENT, channel=channel, user=resident, service_code=WASTE, occurred_at=at()
        )
    interaction_record(
        type=T.MESSAGE_RECEIVED, channel=Channel.SMS, user=resident, service_code=WASTE, occurred_at=at()
    )
    assisted(staff=staff, service_code=WASTE)  # one contact the resident made
    build()
    m = measures(WASTE)
    assert m.by_channel["messages_sent"] == {Channel.EMAIL: 1, Channel.SMS: 2}
    assert m.total("messages_received") == 1
    # Proactive messages are not contact: 1 assisted contact, 0 avoidable, 0 repeat.
    assert (m.assisted_contacts, m.avoidable_contacts) == (1, 0)

    figures = {f.label: f.value for f in messages_figures(m)}
    assert figures == {
        "Messages sent to residents: Email": 1,
        "Messages sent to residents: Text message": 2,
        "Messages sent to residents: Letter": 0,
        "Text messages received": 1,
    }
