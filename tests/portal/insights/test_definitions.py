"""Each definition in docs/measures.md on a small, hand-counted event set, in London days.

Events go through the portal's own services (interaction_record, the assisted-contact
service, the forms engine's submission service, payments), the day's rollups are rebuilt
by the daily job's function, and the figures are read with the dashboard's own
``measures_for`` and ``figures_for``.
"""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_delete
from forms_engine.services import submission_create
from payments.constants import FailureCode, PaymentStatus
from payments.models import Payment
from payments.services import payment_create, payment_transition
from portal.insights.figures import figures_for
from portal.insights.measures import measures_for
from portal.interactions.constants import AvoidableCategory, Channel, InteractionType, Outcome
from portal.interactions.models import Interaction, LgslService, RollupRebuild
from portal.interactions.rollups import rollup_build_day, rollups_pending
from portal.interactions.services import (
    assisted_contact_record,
    assisted_contact_update,
    interaction_record,
    transaction_record,
)
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.forms_engine.factories import bulky_waste_form, missed_bin_form
from tests.forms_engine.helpers import bulky_answers, check_url, form_start, missed_bin_answers, step_url
from tests.payments.factories import bill_make
from tests.portal.interactions.factories import rollup_rows as _rows

pytestmark = pytest.mark.django_db

T = InteractionType
LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 3, 10)  # a Tuesday, away from the clock changes
WASTE = 524
POTHOLES = 557


def at(day: date = DAY, hour: int = 12, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).replace(fold=fold)


def request_from(ip: str = "192.0.2.1", user=None):
    request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (test)")
    request.session = SimpleNamespace(session_key=f"session-{ip}")
    request.user = user or AnonymousUser()
    return request


def visit(
    user=None, *, day=DAY, hour=12, minute=0, ip="192.0.2.1", service=WASTE, type=T.PAGE_VIEW, **fields
):
    return interaction_record(
        type=type,
        request=request_from(ip, user),
        occurred_at=at(day, hour, minute),
        service_code=service,
        **fields,
    )


def call(staff, resident=None, *, day=DAY, hour=12, minute=0, service=WASTE, avoidable=False, category=""):
    return assisted_contact_record(
        staff=staff,
        channel=Channel.PHONE,
        service_code=service,
        reason_code="enquiry",
        avoidable=avoidable,
        avoidable_category=category,
        resolved_first_contact=True,
        resident=resident,
        occurred_at=at(day, hour, minute),
    )


def build(first: date, last: date | None = None) -> None:
    day = first
    while day <= (last or first):
        rollup_build_day(day=day)
        day += timedelta(days=1)


def figures(start=DAY, end=None, service=WASTE):
    return figures_for(measures_for(start=start, end=end or start, service_code=service))


def counts(figure) -> tuple:
    return figure.value, figure.numerator, figure.denominator


@pytest.fixture
def staff():
    return StaffFactory()


# --- Failed web contact: one unit, persons ------------------------------------------------


def test_two_accounts_on_one_shared_computer_who_both_phone_are_2_of_2(staff):
    anna, ben = UserFactory(), UserFactory()
    visit(anna, hour=9)  # one computer: one IP and user agent, so one visitor key
    visit(ben, hour=10)
    call(staff, anna, day=DAY + timedelta(days=1))
    call(staff, ben, day=DAY + timedelta(days=1))
    build(DAY, DAY + timedelta(days=1))
    # 2 identifiable web persons, both rang within 7 days: 100.0% (2 of 2), never 200%
    assert counts(figures()["failed_web"]) == (100.0, 2, 2)


def test_a_failed_payment_followed_by_a_call_is_a_failed_web_contact(staff):
    anna = UserFactory()
    visit(anna, type=T.PAYMENT_START, hour=9)
    visit(anna, type=T.PAYMENT_RESULT, hour=9, minute=5, outcome="failed")
    call(staff, anna, hour=15)
    build(DAY)
    # the person is the unit on both sides: 1 of 1, never "1 of 0"
    assert counts(figures()["failed_web"]) == (100.0, 1, 1)


def test_an_account_on_three_days_then_a_call_counts_once(staff):
    anna, ben = UserFactory(), UserFactory()
    for n in range(3):
        visit(anna, day=DAY + timedelta(days=n), ip="192.0.2.1")
    visit(ben, ip="192.0.2.2")
    call(staff, anna, day=DAY + timedelta(days=3))
    build(DAY, DAY + timedelta(days=3))
    # persons: anna (failed) and ben (not): 50.0% (1 of 2), not 75% of person-days
    assert counts(figures(DAY, DAY + timedelta(days=3))["failed_web"]) == (50.0, 1, 2)


def test_submitting_online_then_ringing_to_chase_is_avoidable_not_failed_web(staff):
    anna = UserFactory()
    visit(anna, type=T.FORM_START, hour=9)
    visit(anna, type=T.FORM_SUBMIT, hour=9, minute=10)
    transaction_record(kind="form", channel=Channel.WEB, service_code=WASTE, user=anna)
    Interaction.objects.filter(type=T.TRANSACTION).update(occurred_at=at(hour=9, minute=10))
    visit(anna, type=T.CASE_VIEW, day=DAY + timedelta(days=2))
    call(
        staff,
        anna,
        day=DAY + timedelta(days=3),
        avoidable=True,
        category=AvoidableCategory.PROGRESS_CHASING,
    )
    build(DAY, DAY + timedelta(days=3))
    period = figures(DAY, DAY + timedelta(days=3))
    # completed online (09:10 on the 10th) between her first web activity in the 7 days before
    # the call and the call: not a failed web contact: 0.0% (0 of 1)
    assert counts(period["failed_web"]) == (0.0, 0, 1)
    # ...but an avoidable contact (progress chasing): 1 of 1
    assert counts(period["avoidable"]) == (100.0, 1, 1)


def test_a_call_exactly_7_days_after_counts_and_a_minute_later_does_not(staff):
    anna, ben = UserFactory(), UserFactory()
    visit(anna, hour=9, ip="192.0.2.1")
    visit(ben, hour=9, ip="192.0.2.2")
    week = DAY + timedelta(days=7)
    call(staff, anna, day=week, hour=9)  # exactly 7 days: counts
    call(staff, ben, day=week, hour=9, minute=1)  # 7 days and a minute: does not
    build(DAY, week)
    assert counts(figures(DAY, DAY)["failed_web"]) == (50.0, 1, 2)


def test_coverage_is_identifiable_web_persons_out_of_all_web_persons(staff):
    anna = UserFactory()
    visit(anna, ip="192.0.2.1")
    visit(None, ip="192.0.2.2")  # two anonymous visitors
    visit(None, ip="192.0.2.3")
    visit(None, ip="192.0.2.3", hour=13)  # the same visitor again the same day
    build(DAY)
    # 1 identifiable of 1 + 2 anonymous = 3 web persons: 33.3% (1 of 3)
    assert counts(figures()["failed_web_coverage"]) == (33.3, 1, 3)


def test_browsing_before_signing_in_is_the_same_person_that_day():
    anna = UserFactory()
    visit(None, hour=9)  # anonymous, same computer
    visit(anna, hour=10)  # then signed in
    build(DAY)
    # one person, identifiable: coverage 1 of 1
    assert counts(figures()["failed_web_coverage"]) == (100.0, 1, 1)


def test_all_services_count_a_person_once_per_service(staff):
    anna = UserFactory()
    visit(anna, service=WASTE)
    visit(anna, service=POTHOLES)
    call(staff, anna, service=POTHOLES, hour=15)
    build(DAY)
    assert counts(figures(service=WASTE)["failed_web"]) == (0.0, 0, 1)
    assert counts(figures(service=POTHOLES)["failed_web"]) == (100.0, 1, 1)
    # all services = the sum over services: 1 of 2 (person, service) pairs
    assert counts(figures(service=None)["failed_web"]) == (50.0, 1, 2)


# --- Repeat contact ---------------------------------------------------------------------


def test_repeat_contact_counts_assisted_contacts_only_within_7_days(staff):
    anna, ben = UserFactory(), UserFactory()
    call(staff, anna, hour=9)
    call(staff, anna, day=DAY + timedelta(days=7), hour=9)  # exactly 7 days later: a repeat
    call(staff, ben, hour=9)
    call(staff, ben, day=DAY + timedelta(days=7), hour=9, minute=1)  # 7 days and a minute: not
    call(staff, None, hour=10)  # anonymous contacts are never repeats
    call(staff, None, hour=11)
    # a web submission after a call is web activity, never a repeat
    visit(anna, type=T.FORM_SUBMIT, day=DAY + timedelta(days=1))
    build(DAY, DAY + timedelta(days=7))
    period = figures(DAY, DAY + timedelta(days=7))
    # 6 assisted contacts, 1 repeat: 16.7% (1 of 6)
    assert counts(period["repeat"]) == (16.7, 1, 6)


# --- Transactions, take-up and completion across channels ---------------------------------


def _service() -> int:
    LgslService.objects.get_or_create(code=WASTE, defaults={"label": "Household waste collection"})
    return WASTE


def _answered(client, slug: str, posts: list[dict], numbers: list[int] | None = None):
    draft = form_start(client, slug)
    for number, data in zip(numbers or range(1, len(posts) + 1), posts, strict=True):
        assert client.post(step_url(draft, number), data).status_code == 302, number
    return draft


def _missed_bin(client):
    # step 2 (garden waste permit) is skipped for general waste
    return _answered(client, "missed-bin", missed_bin_answers(), [1, 3, 4])


def test_forms_staff_submit_for_callers_are_transactions_but_not_web_completion(client, staff):
    missed_bin_form(service_id=_service(), sign_in="optional")
    anna, ben, carl = UserFactory(), UserFactory(), UserFactory()
    client.force_login(anna)
    online = _missed_bin(client)
    assert client.post(check_url(online)).status_code == 302  # submitted online by anna
    client.force_login(ben)
    for_caller = _missed_bin(client)
    client.force_login(carl)
    form_start(client, "missed-bin")  # started online, never submitted
    # ben rang instead; the agent finished his form on the phone
    phone = submission_create(draft=for_caller, channel=Channel.PHONE, staff=staff)
    assert phone.case.channel == Channel.PHONE and phone.channel == "assisted"
    today = timezone.localdate()
    build(today)
    m = measures_for(start=today, end=today, service_code=WASTE)
    assert m.by_channel["form_submits"] == {"web": 1, "phone": 1}
    period = figures_for(m)
    # web starts 3, submitted online within the period 1: 33.3% (1 of 3), never 2 of 3
    assert counts(period["completion"]) == (33.3, 1, 3)
    # transactions: 1 web + 1 phone; digital take-up 50.0% (1 of 2)
    assert counts(period["digital"]) == (50.0, 1, 2)
    (phone_tx,) = Interaction.objects.filter(type=T.TRANSACTION, channel=Channel.PHONE)
    assert phone_tx.staff == staff and phone_tx.person_key == ben.person_key
    (phone_submit,) = Interaction.objects.filter(type=T.FORM_SUBMIT, channel=Channel.PHONE)
    assert phone_submit.staff == staff and phone_submit.user == ben


def test_a_staff_submission_needs_staff(client):
    missed_bin_form(service_id=_service(), sign_in="optional")
    client.force_login(UserFactory())
    draft = _missed_bin(client)
    with pytest.raises(ValueError):
        submission_create(draft=draft, channel=Channel.PHONE)


def test_an_avoidable_failed_online_call_is_a_contact_not_a_transaction(staff):
    today = timezone.localdate()
    transaction_record(kind="form", channel=Channel.WEB, service_code=WASTE)
    transaction_record(kind="form", channel=Channel.WEB, service_code=WASTE)
    hour = timezone.localtime().hour  # calls earlier today, never in the future
    call(staff, None, day=today, hour=hour, avoidable=True, category=AvoidableCategory.FAILED_ONLINE)
    call(staff, None, day=today, hour=hour)  # a call that completes nothing is not a transaction either
    build(today)
    period = figures(today, today)
    # 2 web transactions of 2: take-up 100.0%; the calls are contacts, not transactions
    assert counts(period["digital"]) == (100.0, 2, 2)
    assert counts(period["avoidable"]) == (50.0, 1, 2)


def test_a_submission_whose_payment_failed_is_not_a_transaction_until_paid(client):
    bulky_waste_form(service_id=_service())
    anna = UserFactory()
    client.force_login(anna)
    draft = _answered(client, "bulky-waste", bulky_answers(items=2))
    assert client.post(check_url(draft)).status_code == 302
    payment = Payment.objects.get()
    payment_transition(
        payment=payment, to=PaymentStatus.ERROR, failure_code=FailureCode.PROVIDER_ERROR, source="system"
    )
    # submitted, but its fee not paid: not a transaction
    assert Interaction.objects.filter(type=T.FORM_SUBMIT).count() == 1
    assert not Interaction.objects.filter(type=T.TRANSACTION).exists()
    retry = Payment.objects.create(
        amount_pence=payment.amount_pence,
        description=payment.description,
        user=anna,
        email=anna.email,
        case=payment.case,
        service_code=payment.service_code,
    )
    payment_transition(payment=retry, to=PaymentStatus.STARTED, source="system")
    payment_transition(payment=retry, to=PaymentStatus.SUCCESS, source="system")
    (tx,) = Interaction.objects.filter(type=T.TRANSACTION)
    assert (tx.channel, tx.service_code, tx.person_key, tx.extras["kind"]) == (
        "web",
        WASTE,
        anna.person_key,
        "form",
    )


def test_completion_counts_only_the_periods_own_starts():
    yesterday = DAY - timedelta(days=1)
    # started yesterday, submitted today; started today, submitted today; started today, open
    for started, submitted in ((yesterday, DAY), (DAY, DAY), (DAY, None)):
        extras = {"started": started.isoformat()}
        visit(None, type=T.FORM_START, day=started, journey="missed-bin", extras=extras)
        if submitted:
            visit(None, type=T.FORM_SUBMIT, day=submitted, journey="missed-bin", extras=extras)
    build(yesterday, DAY)
    # today's starts: 2, of which submitted today: 1 -> 50.0% (1 of 2), never 2 of 2
    assert counts(figures()["completion"]) == (50.0, 1, 2)
    # both days: 3 starts, 2 submitted within the period: 66.7%
    assert counts(figures(yesterday, DAY)["completion"]) == (66.7, 2, 3)


# --- Searches -----------------------------------------------------------------------------


def test_searches_are_attributed_by_the_result_followed():
    visit(None, type=T.SEARCH, service=None, outcome=Outcome.RESULTS, extras={"query": "bins"}, hour=9)
    visit(None, type=T.PAGE_VIEW, service=WASTE, extras={"from_search": "bins"}, hour=9, minute=1)
    visit(None, type=T.SEARCH, service=WASTE, outcome=Outcome.NO_RESULTS, extras={"query": "bin day"})
    visit(None, type=T.SEARCH, service=None, outcome=Outcome.NO_RESULTS, extras={"query": "xyz"})
    build(DAY)
    # the service: 2 attributed searches (one followed, one by its search term), 1 empty: 50.0%
    assert counts(figures()["searches_no_results"]) == (50.0, 1, 2)
    # site-wide: every search: 2 of 3
    assert counts(figures(service=None)["searches_no_results"]) == (66.7, 2, 3)


# --- History that does not move ----------------------------------------------------------


def test_deleting_an_account_changes_no_figure(staff):
    anna, ben = UserFactory(), UserFactory()
    visit(anna, ip="192.0.2.1")
    visit(ben, ip="192.0.2.2")
    call(staff, anna, day=DAY + timedelta(days=1))
    call(staff, anna, day=DAY + timedelta(days=2))
    build(DAY, DAY + timedelta(days=2))
    before = _rows()
    assert counts(figures(DAY, DAY + timedelta(days=2))["failed_web"]) == (50.0, 1, 2)
    anna_id = anna.pk
    account_delete(user=anna)
    assert not Interaction.objects.filter(user_id=anna_id).exists()
    build(DAY, DAY + timedelta(days=2))
    assert _rows() == before
    assert counts(figures(DAY, DAY + timedelta(days=2))["failed_web"]) == (50.0, 1, 2)
    assert counts(figures(DAY, DAY + timedelta(days=2))["repeat"]) == (50.0, 1, 2)


def test_a_late_contact_rebuilds_its_day_and_the_days_either_side(staff, django_capture_on_commit_callbacks):
    anna = UserFactory()
    visit(anna)
    build(DAY, DAY + timedelta(days=8))
    assert counts(figures()["failed_web"]) == (0.0, 0, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call(staff, anna, day=DAY + timedelta(days=1))
    queued = rollups_pending()
    # 7 days of elapsed time can reach an 8th calendar day across a clock change: D-8..D+8
    assert queued == [DAY + timedelta(days=n) for n in range(-7, 10)]
    # the dashboard says so while they wait
    client_figures = figures()
    assert client_figures["failed_web"].numerator == 0  # not yet rebuilt
    for callback in callbacks:
        callback()  # the background task (the immediate backend in tests)
    assert rollups_pending() == []
    assert counts(figures()["failed_web"]) == (100.0, 1, 1)


def test_the_dashboard_says_which_days_are_being_recalculated(client, staff):
    manager = staff_in("Service managers")
    RollupRebuild.objects.create(date=DAY)
    client.force_login(manager)
    response = client.get(reverse("interactions_contact_insights"), {"start": DAY, "end": DAY})
    page = response.content.decode()
    assert "Figures for these days are being recalculated" in page and "10 Mar 2026" in page


# --- Days and clock changes ---------------------------------------------------------------


def test_both_0130s_on_the_day_the_clocks_go_back_count_on_that_day(staff):
    back = date(2026, 10, 25)
    first = call(staff, None, day=back, hour=1, minute=30)
    second = assisted_contact_record(
        staff=staff,
        channel=Channel.PHONE,
        service_code=WASTE,
        reason_code="enquiry",
        avoidable=False,
        resolved_first_contact=True,
        occurred_at=at(back, 1, 30, fold=1),
    )
    late = call(staff, None, day=back, hour=23, minute=30)  # the day has 25 hours
    stored = [
        Interaction.objects.get(pk=c.pk).occurred_at.astimezone(ZoneInfo("UTC"))
        for c in (first, second, late)
    ]
    assert stored == [
        datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 10, 25, 23, 30, tzinfo=ZoneInfo("UTC")),
    ]
    build(back - timedelta(days=1), back + timedelta(days=1))
    assert measures_for(start=back, end=back, service_code=WASTE).total("assisted_contacts") == 3
    assert (
        measures_for(start=back + timedelta(days=1), end=back + timedelta(days=1)).total("assisted_contacts")
        == 0
    )


def test_an_empty_period_is_no_data_everywhere():
    for figure in figures(date(2026, 1, 1), date(2026, 1, 31), service=None).values():
        assert figure.value is None and figure.full == "No data"


def test_correcting_a_contact_after_the_account_is_deleted_keeps_its_person(staff):
    anna = UserFactory()
    first = call(staff, anna, hour=9)
    second = call(staff, anna, hour=15)
    key = anna.person_key
    build(DAY)
    assert counts(figures()["repeat"]) == (50.0, 1, 2)
    account_delete(user=anna)
    assisted_contact_update(
        contact=Interaction.objects.get(pk=second.pk),
        channel=Channel.PHONE,
        service_code=WASTE,
        reason_code="enquiry",
        avoidable=False,
        resolved_first_contact=True,
        notes="A typo corrected",
        occurred_at=at(hour=15),
    )
    assert Interaction.objects.get(pk=second.pk).person_key == key
    assert Interaction.objects.get(pk=first.pk).person_key == key
    build(DAY)
    assert counts(figures()["repeat"]) == (50.0, 1, 2)


def test_events_a_background_job_records_are_not_web_activity(staff):
    anna = UserFactory()
    # a webhook settles her payment: no browser, so no visitor key
    interaction_record(
        type=T.PAYMENT_RESULT, user=anna, service_code=WASTE, outcome="failed", occurred_at=at(hour=9)
    )
    call(staff, anna, hour=15)
    build(DAY)
    # she did nothing on the web herself: not a web person at all
    assert counts(figures()["failed_web"]) == (None, 0, 0)


def test_a_second_payment_of_a_paid_bill_is_not_a_second_transaction():
    bill = bill_make(amount_due_pence=5000, service_code=WASTE)
    anna = UserFactory()
    payments = [
        payment_create(
            amount_pence=5000, description="Bill", vat_status="outside_scope", user=anna, bill=bill
        )
        for _ in range(2)
    ]
    for payment in payments:
        payment_transition(payment=payment, to=PaymentStatus.STARTED, source="system")
        payment_transition(payment=payment, to=PaymentStatus.SUCCESS, source="system")
    # the first paid the bill; the second was refunded automatically: one transaction
    (tx,) = Interaction.objects.filter(type=T.TRANSACTION)
    assert (tx.extras["kind"], tx.service_code, tx.person_key) == ("bill", WASTE, anna.person_key)


def test_a_person_counts_once_across_whole_months_and_loose_days(staff):
    anna, ben = UserFactory(), UserFactory()
    april = date(2026, 4, 1)
    for day in (date(2026, 3, 31), april, date(2026, 4, 15), date(2026, 5, 2)):
        visit(anna, day=day, ip="192.0.2.1")
    visit(ben, day=date(2026, 4, 30), ip="192.0.2.2")
    call(staff, ben, day=date(2026, 5, 1))
    build(date(2026, 3, 31), date(2026, 5, 2))
    # 31 March (a day) + all of April (a month) + 1-2 May (days): anna once, ben once
    m = measures_for(start=date(2026, 3, 31), end=date(2026, 5, 2), service_code=WASTE)
    assert (m.identified_web_persons, m.failed_web_persons) == (2, 1)
    assert counts(figures(date(2026, 3, 31), date(2026, 5, 2))["failed_web"]) == (50.0, 1, 2)
    # April alone (the month's set): both; 2 May alone: anna only, who did not call
    assert counts(figures(april, date(2026, 4, 30))["failed_web"]) == (50.0, 1, 2)
    assert counts(figures(date(2026, 5, 2), date(2026, 5, 2))["failed_web"]) == (0.0, 0, 1)
