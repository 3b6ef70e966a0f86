"""Satisfaction with the outcome in the rollups, the measures and Contact insights, on small
hand-counted sets of answers."""

import csv
import html
import io
import re
from datetime import date, datetime, time, timedelta

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.cases.services import case_reopen, case_satisfaction_answer, case_transition
from portal.insights.measures import measures_for, satisfaction_by_service
from portal.interactions.constants import Channel
from portal.interactions.models import DailyRollup, Interaction, SatisfactionComment
from portal.interactions.rollups import interactions_purge, rollup_build_day
from portal.interactions.satisfaction import satisfaction_record
from portal.interactions.services import InteractionError
from tests.accounts.factories import StaffFactory
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
URL = "/admin/contact-insights/"
PERIOD = {"start": "2026-03-10", "end": "2026-03-10"}
WASTE, POTHOLES = 524, 557


def at(hour: int = 12, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def answer(score: int, *, service_code: int = WASTE, channel: str = Channel.WEB, staff=None, **kwargs):
    return satisfaction_record(
        score=score, service_code=service_code, channel=channel, staff=staff, occurred_at=at(), **kwargs
    )


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def six_answers():
    """Scores 5, 5, 4, 3, 2, 1 about household waste, on the web.

    Satisfied (5 or 4): 3 of 6 = 50.0%. Dissatisfied (2 or 1): 2 of 6 = 33.3%.
    Net = (3 − 2) ÷ 6 = 16.7 points (50 − 33.3).
    """
    for score in (5, 5, 4, 3, 2, 1):
        answer(score)
    rollup_build_day(day=DAY)


def test_the_rollup_counts_answers_by_score(six_answers):
    rows = dict(
        DailyRollup.objects.filter(date=DAY, metric="satisfaction", service_code=WASTE, channel="web")
        .values_list("key", "value")
        .order_by("key")
    )
    assert rows == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 2}
    # Rebuilding the day gives the same numbers.
    rollup_build_day(day=DAY)
    assert DailyRollup.objects.filter(date=DAY, metric="satisfaction").count() == 5


def test_the_measures_on_a_hand_counted_set(six_answers):
    m = measures_for(start=DAY, end=DAY, service_code=WASTE)
    assert m.satisfaction_counts == {5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
    assert m.satisfaction_answers == 6
    assert (m.satisfied_answers, m.dissatisfied_answers) == (3, 2)
    assert m.satisfied_percent == 50.0
    assert m.dissatisfied_percent == 33.3
    assert m.net_satisfaction == 16.7
    assert m.satisfaction_share(5) == 33.3
    assert m.satisfaction_share(3) == 16.7


def test_a_negative_net_score():
    """Scores 1, 1, 2, 5: satisfied 1 of 4 = 25%, dissatisfied 3 of 4 = 75%, net −50."""
    for score in (1, 1, 2, 5):
        answer(score, service_code=POTHOLES)
    rollup_build_day(day=DAY)
    m = measures_for(start=DAY, end=DAY, service_code=POTHOLES)
    assert (m.satisfied_percent, m.dissatisfied_percent, m.net_satisfaction) == (25.0, 75.0, -50.0)


def test_no_answers_is_no_data_not_zero():
    m = measures_for(start=DAY, end=DAY)
    assert m.satisfaction_answers == 0
    assert m.satisfied_percent is None and m.net_satisfaction is None


def test_a_phone_answer_staff_recorded_counts_with_channel_phone(six_answers):
    officer = StaffFactory()
    answer(4, channel=Channel.PHONE, staff=officer, case_reference="BWC-2026-000001")
    rollup_build_day(day=DAY)
    assert (
        DailyRollup.objects.get(
            date=DAY, metric="satisfaction", service_code=WASTE, channel="phone", key="4"
        ).value
        == 1
    )
    m = measures_for(start=DAY, end=DAY, service_code=WASTE)
    assert m.by_channel["satisfaction"] == {"web": 6, "phone": 1}
    # 7 answers: satisfied 4 (57.1%), dissatisfied 2 (28.6%), net 2 ÷ 7 = 28.6.
    assert (m.satisfaction_answers, m.satisfied_percent, m.net_satisfaction) == (7, 57.1, 28.6)
    recorded = Interaction.objects.get(channel="phone", type="satisfaction")
    assert recorded.staff_id == officer.pk and recorded.extras == {"score": 4}


def test_per_service_figures(six_answers):
    answer(1, service_code=POTHOLES)
    rollup_build_day(day=DAY)
    rows = {row["service_code"]: row for row in satisfaction_by_service(start=DAY, end=DAY)}
    assert rows[WASTE]["answers"] == 6 and rows[WASTE]["counts"] == [2, 1, 1, 1, 1]
    assert (rows[WASTE]["satisfied_percent"], rows[WASTE]["net"]) == (50.0, 16.7)
    assert rows[POTHOLES]["counts"] == [0, 0, 0, 0, 1]
    assert (rows[POTHOLES]["satisfied_percent"], rows[POTHOLES]["net"]) == (0.0, -100.0)
    overall = measures_for(start=DAY, end=DAY)
    assert overall.satisfaction_answers == 7


def test_bad_answers_are_refused():
    with pytest.raises(InteractionError):
        satisfaction_record(score=6, service_code=WASTE)
    with pytest.raises(InteractionError):
        satisfaction_record(score=3, staff=StaffFactory())  # staff answers come by phone, visit or post
    with pytest.raises(InteractionError):
        satisfaction_record(score=3, comment="x" * 1201)
    assert not Interaction.objects.exists()


# --- The dashboard ---------------------------------------------------------------------------


@pytest.fixture
def manager(client):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Service managers"))
    client.force_login(user)
    return user


def test_the_dashboard_shows_a_services_satisfaction(client, manager, six_answers):
    response = client.get(URL, {**PERIOD, "service": WASTE})
    assert response.status_code == 200
    page = response.content.decode()
    visible = text(response)
    assert 'id="satisfaction"' in page
    assert "Satisfied with the outcome 50.0% (3 of 6 answers)" in visible
    assert "Net satisfaction +16.7" in visible
    assert "Very satisfied 2 33.3%" in visible
    assert "Neither satisfied nor dissatisfied 1 16.7%" in visible
    assert "Dissatisfied (bottom two answers) 2 33.3%" in visible
    assert '<th scope="row">Very dissatisfied</th>' in page
    assert "<caption>Answers to “How satisfied are you with the outcome?” about" in page
    assert "Satisfaction by service" not in visible  # one service chosen


def test_the_dashboard_lists_services_when_none_is_chosen(client, manager, six_answers):
    answer(2, service_code=POTHOLES, comment="The hole is back")
    rollup_build_day(day=DAY)
    response = client.get(URL, PERIOD)
    page = response.content.decode()
    visible = text(response)
    assert "Satisfaction with the outcome by service" in visible
    assert "service=557" in page and "service=524" in page
    assert "42.9%" in visible  # 3 of 7 satisfied, all services
    assert "The hole is back" in visible  # latest comments


def test_the_dashboard_with_no_answers_says_so(client, manager):
    visible = text(client.get(URL, PERIOD))
    assert "Satisfied with the outcome No data No answers in this period" in visible


def test_the_csv_has_the_satisfaction_figures(client, manager, six_answers):
    response = client.get(URL, {**PERIOD, "service": WASTE, "format": "csv"})
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["Satisfaction answers"] == ["6", "", "", "count"]
    assert rows["Satisfied with the outcome"] == ["50.0", "3", "6", "%"]
    assert rows["Dissatisfied with the outcome"] == ["33.3", "2", "6", "%"]
    assert rows["Net satisfaction"] == ["16.7", "", "", "points"]
    assert rows["Satisfaction: Very satisfied"] == ["2", "", "6", "count"]


def test_the_dashboard_reads_rollups_not_the_raw_log(client, manager):
    """Answers only count once the rollups are rebuilt."""
    answer(5)
    visible = text(client.get(URL, {**PERIOD, "service": WASTE}))
    assert "Satisfied with the outcome No data" in visible


def test_the_purge_removes_old_comments_with_their_events():
    old = satisfaction_record(score=2, comment="Old words", occurred_at=timezone.now() - timedelta(days=400))
    recent = satisfaction_record(score=4, comment="Recent words")
    interactions_purge(older_than_days=396)
    assert not Interaction.objects.filter(pk=old.pk).exists()
    assert list(SatisfactionComment.objects.values_list("comment", flat=True)) == ["Recent words"]
    assert Interaction.objects.filter(pk=recent.pk).exists()


def test_a_reopened_cases_earlier_answer_leaves_the_figures():
    """Three decided requests answered 5, 4 and 1: satisfied 2 of 3 = 66.7%, dissatisfied 1 of 3
    = 33.3%, net 33.3. The one answered 5 is reopened: its answer no longer counts, leaving 4
    and 1: 50.0%, 50.0%, net 0.0. Decided again and answered 2: 4, 1, 2: satisfied 1 of 3 =
    33.3%, dissatisfied 2 of 3 = 66.7%, net −33.3."""
    today = timezone.localdate()
    cases = [case_make(status="resolved", service_code=WASTE) for _ in range(3)]
    for case, score in zip(cases, (5, 4, 1), strict=True):
        case_satisfaction_answer(case=case, score=score)
    rollup_build_day(day=today)
    m = measures_for(start=today, end=today, service_code=WASTE)
    assert (m.satisfaction_answers, m.satisfied_percent, m.dissatisfied_percent, m.net_satisfaction) == (
        3,
        66.7,
        33.3,
        33.3,
    )

    case_reopen(case=cases[0], user=cases[0].resident, reason="Still not collected")
    rollup_build_day(day=today)
    m = measures_for(start=today, end=today, service_code=WASTE)
    assert m.satisfaction_counts == {4: 1, 1: 1}
    assert (m.satisfied_percent, m.dissatisfied_percent, m.net_satisfaction) == (50.0, 50.0, 0.0)

    case_transition(case=cases[0], to="resolved", actor_role="staff", message="Collected now.")
    cases[0].refresh_from_db()
    assert case_satisfaction_answer(case=cases[0], score=2)
    rollup_build_day(day=today)
    m = measures_for(start=today, end=today, service_code=WASTE)
    assert m.satisfaction_counts == {4: 1, 2: 1, 1: 1}
    assert (m.satisfied_percent, m.dissatisfied_percent, m.net_satisfaction) == (33.3, 66.7, -33.3)
