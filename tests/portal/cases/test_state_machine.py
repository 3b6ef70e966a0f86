"""The transition table is the rules: every allowed move works, every other move is refused
with a clear error, and no sequence of attempts reaches an invalid state."""

from datetime import timedelta
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.utils import timezone

from portal.cases.constants import (
    MESSAGE_REQUIRED_FOR,
    OPEN_STATUSES,
    TRANSITIONS,
    Actor,
    CaseStatus,
    EventType,
    allowed_moves,
)
from portal.cases.models import Case
from portal.cases.services import CaseError, case_create, case_transition
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

ACTORS = [a.value for a in Actor]
ALL_MOVES = [(f, t, a) for f, t, a in product(CaseStatus.values, CaseStatus.values, ACTORS)]
ALLOWED = [(f, t, a) for f, t, a in ALL_MOVES if a in TRANSITIONS.get((f, t), ())]
REFUSED = [(f, t, a) for f, t, a in ALL_MOVES if a not in TRANSITIONS.get((f, t), ())]


def _case_in(status: str) -> Case:
    case = case_make(status=status if status != "awaiting_payment" else "awaiting_payment")
    assert case.status == status
    return case


@pytest.mark.parametrize(("start", "to", "actor"), ALLOWED)
def test_every_allowed_move_works_and_is_recorded(start, to, actor):
    case = _case_in(start)
    events_before = case.events.count()
    event = case_transition(case=case, to=to, actor_role=actor, message="Reason given")
    case.refresh_from_db()
    assert case.status == to
    assert event.type == EventType.STATUS_CHANGE
    assert (event.status_from, event.status_to) == (start, to)
    assert case.events.count() == events_before + 1
    assert Interaction.objects.filter(type="case_update", case_reference=case.reference, step=to).exists()
    assert (case.closed_at is None) == (to in OPEN_STATUSES)


@pytest.mark.parametrize(("start", "to", "actor"), REFUSED)
def test_every_other_move_is_refused_with_a_clear_error(start, to, actor):
    case = _case_in(start)
    with pytest.raises(CaseError) as error:
        case_transition(case=case, to=to, actor_role=actor, message="Reason given")
    message = str(error.value)
    assert message and message[0].isupper()
    assert "cannot be moved" in message or "Only" in message
    case.refresh_from_db()
    assert case.status == start


def test_an_unknown_status_is_refused():
    case = case_make()
    with pytest.raises(CaseError, match="not a case status"):
        case_transition(case=case, to="lost", actor_role=Actor.STAFF)


@pytest.mark.parametrize("to", sorted(MESSAGE_REQUIRED_FOR))
def test_staff_must_explain_the_changes_the_resident_sees(to):
    case = case_make(status="in_progress")
    with pytest.raises(CaseError, match="Enter a message"):
        case_transition(case=case, to=to, actor_role=Actor.STAFF, message="   ")


def test_allowed_moves_for_staff_match_the_table():
    assert allowed_moves("in_progress", Actor.STAFF) == ["awaiting_resident", "resolved", "rejected"]
    assert allowed_moves("resolved", Actor.RESIDENT) == ["in_progress"]
    assert allowed_moves("withdrawn", Actor.STAFF) == []


@pytest.mark.parametrize("status", CaseStatus.values)
def test_what_the_resident_is_offered_is_read_from_the_table(status, settings):
    settings.CASE_REOPEN_DAYS = 3
    closed_at = None if status in OPEN_STATUSES else timezone.now() - timedelta(days=2)
    case = Case(status=status, closed_at=closed_at)
    assert case.can_withdraw == (Actor.RESIDENT in TRANSITIONS.get((status, CaseStatus.WITHDRAWN), ()))
    reopenable = status not in OPEN_STATUSES and Actor.RESIDENT in TRANSITIONS.get(
        (status, CaseStatus.IN_PROGRESS), ()
    )
    assert case.can_reopen == reopenable
    assert case.reopen_until == (closed_at + timedelta(days=3) if reopenable else None)
    case.closed_at = timezone.now() - timedelta(days=4)
    assert not case.can_reopen


def test_a_resident_cannot_reopen_after_the_limit(settings):
    settings.CASE_REOPEN_DAYS = 3
    case = case_make(status="resolved")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=4))
    with pytest.raises(CaseError, match="more than 3 days ago"):
        case_transition(case=case, to="in_progress", actor_role=Actor.RESIDENT, message="Still broken")


def _invariants(case: Case) -> None:
    case.refresh_from_db()
    assert case.status in CaseStatus.values
    assert (case.closed_at is None) == (case.status in OPEN_STATUSES)
    assert (case.paused_at is not None) == (case.status == CaseStatus.AWAITING_RESIDENT)
    if case.status in (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_RESIDENT):
        # A case being worked always has its SLA clock running (or paused).
        assert case.submitted_at is not None and case.due_on is not None
    last = case.events.order_by("-created_at", "-pk").first()
    assert last.status_to == case.status or last.type != EventType.STATUS_CHANGE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    paid=st.booleans(),
    moves=st.lists(st.tuples(st.sampled_from(CaseStatus.values), st.sampled_from(ACTORS)), max_size=12),
)
def test_random_sequences_of_moves_never_reach_an_invalid_state(paid, moves):
    case = case_create(
        title="Random",
        reference_prefix="RND",
        resident=UserFactory(),
        sla_working_days=5,
        awaiting_payment=not paid,
    )
    for to, actor in moves:
        before = Case.objects.get(pk=case.pk).status
        allowed = actor in TRANSITIONS.get((before, to), ())
        try:
            case_transition(case=case, to=to, actor_role=actor, message="Because")
        except CaseError:
            assert not allowed
            assert Case.objects.get(pk=case.pk).status == before
        else:
            assert allowed
        _invariants(case)
