"""The transition tables (payments, bills) and their one writer each."""

import ast
import itertools
from pathlib import Path

import pytest

from django.urls import reverse

from payments.constants import (
    BILL_TRANSITIONS,
    FAILURE_CODES_FOR,
    TRANSITIONS,
    BillStatus,
    PaymentStatus,
    bill_status_choices,
)
from payments.models import Bill, PaymentEvent
from payments.services import (
    PaymentError,
    bill_status_set,
    bill_transition,
    bills_import,
    payment_create,
    payment_transition,
)
from tests.accounts.factories import staff_in
from tests.accounts.signin import sign_in

from .factories import bill_make

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


# --- Bills: ``BILL_TRANSITIONS`` and its one writer ``bill_transition`` -------------------------

B = BillStatus
ROOT = Path(__file__).resolve().parents[2]


def _bill_in(status):
    bill = bill_make()
    if status != B.OPEN:
        bill = bill_transition(bill=bill, to=status)
    assert bill.status == status
    return bill


@pytest.mark.parametrize("current,to", [(c, t) for c, t in itertools.product(B, B) if c != t])
def test_every_bill_move_follows_the_table(current, to):
    bill = _bill_in(current)
    if to in BILL_TRANSITIONS[current]:
        assert bill_transition(bill=bill, to=to).status == to
        bill.refresh_from_db()
        assert bill.status == to
    else:
        with pytest.raises(PaymentError):
            bill_transition(bill=bill, to=to)
        bill.refresh_from_db()
        assert bill.status == current


@pytest.mark.parametrize("status", list(B))
def test_a_bill_move_to_its_own_status_changes_nothing_and_unknown_statuses_are_refused(status):
    bill = _bill_in(status)
    assert bill_transition(bill=bill, to=status).status == status
    with pytest.raises(PaymentError):
        bill_transition(bill=bill, to="due")


def test_a_paid_bill_is_never_cancelled_and_a_cancelled_one_is_reopened_first():
    assert B.CANCELLED not in BILL_TRANSITIONS[B.PAID]
    assert BILL_TRANSITIONS[B.CANCELLED] == {B.OPEN}
    assert bill_status_choices(B.PAID) == [(B.OPEN, "Open"), (B.PAID, "Paid")]
    assert [value for value, _ in bill_status_choices(B.OPEN)] == list(B.values)


def test_finance_reopening_a_cancelled_bill_already_covered_makes_it_paid():
    bill = _bill_in(B.CANCELLED)
    Bill.objects.filter(pk=bill.pk).update(amount_paid_pence=bill.amount_due_pence)
    bill.refresh_from_db()
    assert bill_status_set(bill=bill, to=B.OPEN).status == B.PAID
    # Open and not yet paid in full stays open.
    other = bill_make(reference="INV-2")
    assert bill_status_set(bill=other, to=B.OPEN).status == B.OPEN


def test_the_csv_import_reopens_a_paid_bill_whose_amount_goes_up():
    bill = bill_make(reference="INV-7", amount_due_pence=1000)
    Bill.objects.filter(pk=bill.pk).update(amount_paid_pence=1000)
    bill_transition(bill=bill, to=B.PAID)
    text = "reference,postcode,description,amount\nINV-7,AB1 2CD,Trade waste,12.00\n"
    assert bills_import(text=text) == (0, 1, [])
    bill.refresh_from_db()
    assert bill.status == B.OPEN and bill.outstanding_pence == 200


def _status_writes(path: Path) -> list[str]:
    """Assignments of ``<...bill...>.status`` and ``status=`` given to a ``Bill`` query or constructor."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and "bill" in ast.unparse(target.value).lower()
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
            callee = ast.unparse(node.func)
            if callee.startswith("Bill") and callee.rsplit(".", 1)[-1] in {
                "create",
                "update",
                "get_or_create",
                "update_or_create",
                "Bill",
            }:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        if (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "status"
            and "bill" in ast.unparse(node.args[0]).lower()
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_bill_transition_writes_a_bills_status():
    """A heuristic read of the source (names containing "bill"): ``Bill.status`` is assigned in
    ``payments/services/states.py`` and nowhere else in the apps."""
    writes = []
    for app in ("payments", "portal", "forms_engine", "accounts", "cms"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                writes += _status_writes(path)
    assert [w for w in writes if not w.startswith("payments/services/states.py:")] == []
    assert any(w.startswith("payments/services/states.py:") for w in writes)  # the check sees the writer


# Each file of ``payments`` that assigns ``<something>.status``, and what it writes there.
STATUS_WRITERS = {
    "payments/services/states.py": "Refund.status and Bill.status (refund_transition, bill_transition)",
    "payments/services/settlement.py": "Payment.status (payment_transition)",
    "payments/services/webhooks.py": "WebhookEvent.status",
    "payments/providers/sandbox.py": "the sandbox provider's own checkout",
}


def test_status_is_assigned_only_by_the_writers():
    """Any ``x.status = ...`` in ``payments`` (a form's ``self.instance.status`` included) is
    in one of the files listed above."""
    files = set()
    for path in sorted((ROOT / "payments").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets):
                files.add(str(path.relative_to(ROOT)))
    assert files <= set(STATUS_WRITERS), sorted(files - set(STATUS_WRITERS))


def test_the_bill_form_offers_only_the_moves_the_table_allows(web):
    bill = _bill_in(B.PAID)
    sign_in(web, staff_in("Finance"))
    url = reverse("finance_bills:edit", args=[bill.pk])
    html = web.get(url).content.decode()
    assert 'value="open"' in html and 'value="cancelled"' not in html
    data = {
        "reference": bill.reference,
        "postcode": bill.postcode,
        "description": bill.description,
        "amount_due": "120.50",
        "vat_status": bill.vat_status,
        "status": B.CANCELLED,
    }
    response = web.post(url, data)
    assert response.status_code in (200, 400) and "Select a valid choice" in response.content.decode()
    bill.refresh_from_db()
    assert bill.status == B.PAID
    # Reopened (nothing paid yet, so it is open and payable again).
    assert web.post(url, {**data, "status": B.OPEN}).status_code == 302
    bill.refresh_from_db()
    assert bill.status == B.OPEN and bill.is_payable
