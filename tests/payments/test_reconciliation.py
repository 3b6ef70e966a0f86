"""Reconciliation finds what does not match between the portal and the provider."""

import csv
import io

import pytest

from django.core.management import call_command
from django.utils import timezone

from payments.models import Payment
from payments.reconciliation import reconciliation_report, report_csv
from payments.services import payment_refund, payment_start, payment_status_sync
from tests.accounts.factories import StaffFactory

from .factories import fee_case

pytestmark = pytest.mark.django_db


def _paid(fake_stripe, amount):
    _, payment = fee_case(amount_pence=amount)
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    return payment_status_sync(payment=payment)


def test_a_matching_day(fake_stripe):
    payment = _paid(fake_stripe, 2500)
    payment_refund(payment=payment, amount_pence=500, reason="Part", staff=StaffFactory())
    report = reconciliation_report(day=timezone.localdate(), provider_name="stripe")
    assert report.error == ""
    assert [(line.kind, line.issue) for line in report.lines] == [("payment", ""), ("refund", "")]
    assert report.totals["payment_local"] == report.totals["payment_provider"] == "£25"
    list_request = fake_stripe.requests[-1]
    assert (list_request.method, list_request.path) == ("GET", "/v1/balance_transactions")
    assert list_request.query["expand"] == ["data.source"]
    assert set(list_request.query["created"]) == {"gte", "lt"}
    assert list_request.headers["stripe-version"] == "2026-10-28.endive"


def test_finds_a_seeded_missing_payment_and_an_amount_mismatch(fake_stripe):
    ok = _paid(fake_stripe, 1000)
    differs = _paid(fake_stripe, 2000)
    missing_at_provider = _paid(fake_stripe, 3000)
    # Seed the provider's side: one charge for a different amount, one charge gone, and a
    # charge the portal never recorded as paid.
    transactions = fake_stripe.balance_transactions
    for txn in transactions:
        if txn["source"]["payment_intent"] == differs.provider_payment_intent:
            txn["amount"] = 1900
    fake_stripe.balance_transactions = [
        t
        for t in transactions
        if t["source"]["payment_intent"] != missing_at_provider.provider_payment_intent
    ]
    _, unknown = fee_case(amount_pence=4000)
    unknown = payment_start(payment=unknown)
    fake_stripe.complete(unknown.provider_id)  # taken at Stripe; the portal never heard

    report = reconciliation_report(day=timezone.localdate(), provider_name="stripe")
    issues = {line.reference: line.issue for line in report.lines}
    assert issues == {
        ok.reference: "",
        differs.reference: "amount_differs",
        missing_at_provider.reference: "missing_at_provider",
        unknown.reference: "missing_locally",
    }
    assert len(report.mismatches) == 3
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    differs_row = next(r for r in rows if r["payment_reference"] == differs.reference)
    assert (differs_row["portal_amount"], differs_row["provider_amount"], differs_row["result"]) == (
        "20.00",
        "19.00",
        "amount_differs",
    )


def test_the_command_writes_csv_and_fails_on_mismatches(fake_stripe, tmp_path, capsys):
    payment = _paid(fake_stripe, 1000)
    out = tmp_path / "report.csv"
    call_command("payments_reconcile", "--date", timezone.localdate().isoformat(), "--output", str(out))
    assert payment.reference in out.read_text()
    Payment.objects.filter(pk=payment.pk).update(amount_pence=999)
    with pytest.raises(SystemExit) as exit_info:
        call_command("payments_reconcile", "--date", timezone.localdate().isoformat())
    assert exit_info.value.code == 1
    assert "amount_differs" in capsys.readouterr().out


def test_sandbox_reconciliation(django_capture_on_commit_callbacks):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit

    _, payment = fee_case()
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_start(payment=payment)
        sandbox_card_submit(
            checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
        )
    payment = payment_status_sync(payment=payment)
    report = reconciliation_report(day=timezone.localdate(), provider_name="sandbox")
    assert [(line.reference, line.issue) for line in report.lines] == [(payment.reference, "")]
