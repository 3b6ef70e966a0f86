"""The one transition table and the one transition service."""

import itertools

import pytest

from payments.constants import FAILURE_CODES_FOR, TRANSITIONS, PaymentStatus
from payments.models import PaymentEvent
from payments.services import PaymentError, payment_create, payment_transition

pytestmark = pytest.mark.django_db

S = PaymentStatus


def _payment_in(status):
    payment = payment_create(amount_pence=100, description="Test")
    path = {
        S.CREATED: [],
        S.STARTED: [S.STARTED],
        S.SUBMITTED: [S.STARTED, S.SUBMITTED],
        S.CAPTURABLE: [S.STARTED, S.CAPTURABLE],
        S.SUCCESS: [S.STARTED, S.SUCCESS],
        S.FAILED: [S.STARTED, S.FAILED],
        S.CANCELLED: [S.STARTED, S.CANCELLED],
        S.ERROR: [S.STARTED, S.ERROR],
    }[status]
    for to in path:
        code = sorted(FAILURE_CODES_FOR.get(to, {""}))[0]
        payment = payment_transition(payment=payment, to=to, source="system", failure_code=code).payment
    return payment


@pytest.mark.parametrize("current,to", list(itertools.product(S, S)))
def test_every_move_follows_the_table(current, to):
    payment = _payment_in(current)
    code = sorted(FAILURE_CODES_FOR.get(to, {""}))[0]
    before = PaymentEvent.objects.filter(payment=payment).count()
    if (current, to) in TRANSITIONS:
        event = payment_transition(payment=payment, to=to, source="system", failure_code=code)
        assert (event.status_from, event.status_to) == (current, to)
        assert event.payment.status == to
        assert PaymentEvent.objects.filter(payment=payment).count() > before
    else:
        with pytest.raises(PaymentError):
            payment_transition(payment=payment, to=to, source="system", failure_code=code)
        payment.refresh_from_db()
        assert payment.status == current


def test_success_is_final_and_failures_can_only_become_success():
    for failure in (S.FAILED, S.CANCELLED, S.ERROR):
        assert {to for (frm, to) in TRANSITIONS if frm == failure} == {S.SUCCESS}
    assert not [to for (frm, to) in TRANSITIONS if frm == S.SUCCESS]


def test_a_failure_needs_a_matching_code():
    payment = _payment_in(S.STARTED)
    with pytest.raises(PaymentError):
        payment_transition(payment=payment, to=S.FAILED, source="system", failure_code="cancelled_by_user")
    with pytest.raises(PaymentError):
        payment_transition(payment=payment, to=S.CANCELLED, source="system")


def test_amounts_must_be_positive():
    with pytest.raises(PaymentError):
        payment_create(amount_pence=0, description="Nothing")
