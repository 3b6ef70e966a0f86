"""Deadlines in working days: weekends, UK bank holidays and pauses while awaiting the resident."""

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from portal.cases.constants import Actor
from portal.cases.models import Case
from portal.cases.services import case_transition
from portal.cases.sla import is_working_day, working_days_add, working_days_between
from tests.portal.cases.factories import case_make

LONDON = ZoneInfo("Europe/London")


def test_weekends_are_skipped():
    friday = date(2026, 3, 6)
    assert working_days_add(friday, 1) == date(2026, 3, 9)  # Monday
    assert working_days_add(friday, 5) == date(2026, 3, 13)
    assert working_days_add(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday


def test_christmas_and_boxing_day_are_skipped():
    # 2026: Christmas is a Friday, Boxing Day a Saturday, so the substitute day is Monday 28th.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert working_days_add(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert working_days_add(date(2026, 12, 23), 3) == date(2026, 12, 30)


def test_easter_is_skipped_in_england():
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
    assert working_days_add(date(2027, 3, 25), 1) == date(2027, 3, 30)


def test_the_nation_setting_changes_the_calendar(settings):
    # 2 January is a bank holiday in Scotland only.
    settings.PORTAL_BANK_HOLIDAYS = "SCT"
    assert not is_working_day(date(2026, 1, 2))
    settings.PORTAL_BANK_HOLIDAYS = "ENG"
    assert is_working_day(date(2026, 1, 2))


def test_across_the_new_year():
    assert working_days_add(date(2026, 12, 31), 1) == date(2027, 1, 4)  # 1 Jan holiday, then weekend


def test_working_days_between():
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert working_days_between(date(2026, 3, 10), date(2026, 3, 9)) == 0


def _at(day: date, hour: int = 10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


@pytest.mark.django_db
def test_the_clock_starts_on_submission_and_pauses_while_awaiting_the_resident():
    with mock.patch("django.utils.timezone.now", return_value=_at(date(2026, 12, 21))):  # a Monday
        case = case_make(sla=5)
        assert case.due_on == date(2026, 12, 30)  # 22, 23, 24, (25, 28 holidays) 29, 30
        case_transition(case=case, to="in_progress", actor_role=Actor.STAFF)
        case_transition(case=case, to="awaiting_resident", actor_role=Actor.STAFF, message="Photo?")
    # The resident replies after the holidays: 22, 23, 24, 29, 30, 31 Dec, 4 Jan = 7 working days paused.
    with mock.patch("django.utils.timezone.now", return_value=_at(date(2027, 1, 4))):
        case_transition(case=case, to="in_progress", actor_role=Actor.RESIDENT)
    case.refresh_from_db()
    assert case.paused_at is None
    assert case.due_on == working_days_add(date(2026, 12, 30), 7) == date(2027, 1, 11)


@pytest.mark.django_db
def test_a_pause_and_resume_on_the_same_day_does_not_move_the_deadline():
    case = case_make(sla=3, status="awaiting_resident")
    due = case.due_on
    case_transition(case=case, to="in_progress", actor_role=Actor.RESIDENT)
    case.refresh_from_db()
    assert case.due_on == due


@pytest.mark.django_db
def test_the_clock_starts_when_the_fee_is_paid():
    with mock.patch("django.utils.timezone.now", return_value=_at(date(2026, 3, 6))):  # a Friday
        case = case_make(status="awaiting_payment", sla=2)
        assert case.due_on is None and case.submitted_at is None
    with mock.patch("django.utils.timezone.now", return_value=_at(date(2026, 3, 10))):
        case_transition(case=case, to="submitted", actor_role=Actor.SYSTEM)
    case.refresh_from_db()
    assert case.due_on == date(2026, 3, 12)
    assert Case.objects.filter(pk=case.pk, submitted_at__isnull=False).exists()
