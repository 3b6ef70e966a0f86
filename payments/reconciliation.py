"""Daily reconciliation: the portal's successful payments and refunds against the provider's records.

A provider transaction is matched to a local payment by the payment reference in its
metadata, or else by the PaymentIntent; refunds by the provider's refund id. Every
provider payment is matched against all local payments (not just the day's), so one
that the portal recorded just before midnight is not reported as missing. Matching is
one to one: each successful portal payment accounts for one provider charge, its own
(the PaymentIntent it was paid by). Issues:

* ``missing_at_provider``: successful here, but the provider has no such payment that day;
* ``missing_locally``: the provider took (or refunded) money the portal has no success for;
* ``amount_differs``: both sides have it, for different amounts;
* ``duplicate_charge``: a further charge for a portal payment already accounted for by
  another (e.g. a second checkout for it was paid); the note says whether it is refunded.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from portal.lib import csv as safe_csv
from portal.lib.money import pounds, pounds_value

from .constants import PaymentStatus, RefundStatus
from .models import Payment, Refund
from .providers import ProviderError, get_provider, provider_default

ISSUES = {
    "": "Matches",
    "missing_at_provider": "Missing at the provider",
    "missing_locally": "Missing in the portal",
    "amount_differs": "Amount differs",
    "duplicate_charge": "Charged twice",
}


@dataclass
class Line:
    kind: str  # "payment" or "refund"
    reference: str
    provider_id: str
    local_pence: int | None
    provider_pence: int | None
    issue: str = ""
    note: str = ""

    @property
    def issue_label(self) -> str:
        return ISSUES[self.issue]

    @property
    def local_display(self) -> str:
        return pounds(self.local_pence) if self.local_pence is not None else ""

    @property
    def provider_display(self) -> str:
        return pounds(self.provider_pence) if self.provider_pence is not None else ""


@dataclass
class Report:
    day: date
    provider: str
    lines: list[Line] = field(default_factory=list)
    error: str = ""

    @property
    def mismatches(self) -> list[Line]:
        return [line for line in self.lines if line.issue]

    def _total(self, kind: str, side: str) -> int:
        return sum(getattr(line, f"{side}_pence") or 0 for line in self.lines if line.kind == kind)

    @property
    def totals(self) -> dict[str, str]:
        return {
            f"{kind}_{side}": pounds(self._total(kind, side))
            for kind in ("payment", "refund")
            for side in ("local", "provider")
        }


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def reconciliation_report(*, day: date, provider_name: str | None = None) -> Report:
    """Compare one day (local time) of successful payments and refunds with the provider's."""
    provider_name = provider_name or provider_default()
    report = Report(day=day, provider=provider_name)
    try:
        transactions = get_provider(provider_name).list_transactions(day)
    except ProviderError as exc:
        report.error = f"The provider's records could not be read: {exc}"
        return report
    start, end = _day_bounds(day)

    local_payments = {
        p.pk: p
        for p in Payment.objects.filter(
            provider=provider_name, status=PaymentStatus.SUCCESS, finished_at__gte=start, finished_at__lt=end
        )
    }
    references = {t.payment_reference for t in transactions if t.payment_reference}
    intents = {t.payment_intent for t in transactions if t.payment_intent}
    candidates = Payment.objects.filter(provider=provider_name).filter(
        Q(reference__in=references) | Q(provider_payment_intent__in=intents)
    )
    by_reference = {p.reference: p for p in candidates}
    by_intent = {p.provider_payment_intent: p for p in candidates if p.provider_payment_intent}
    matched: set[int] = set()
    second_charge_refunds = {
        (r.payment_id, r.charge_payment_intent): r
        for r in Refund.objects.filter(payment__in=candidates).exclude(charge_payment_intent="")
    }

    payment_txns = [t for t in transactions if t.kind == "payment"]
    # A payment's own charge first, so a second charge is the one reported, in any order.
    payment_txns.sort(key=lambda t: t.payment_intent not in by_intent)
    for txn in payment_txns:
        payment = by_intent.get(txn.payment_intent) or by_reference.get(txn.payment_reference)
        if payment is None or payment.status != PaymentStatus.SUCCESS:
            note = f"the portal has it as {payment.status}" if payment else "no payment in the portal"
            report.lines.append(
                Line(
                    "payment",
                    payment.reference if payment else txn.payment_reference,
                    txn.provider_id,
                    None,
                    txn.amount_pence,
                    "missing_locally",
                    note,
                )
            )
            continue
        own_charge = not (
            txn.payment_intent
            and payment.provider_payment_intent
            and txn.payment_intent != payment.provider_payment_intent
        )
        if payment.pk in matched or not own_charge:
            refund = second_charge_refunds.get((payment.pk, txn.payment_intent))
            note = "a second charge for this payment, " + (
                f"refund {refund.pk} {refund.get_status_display().lower()}" if refund else "not refunded"
            )
            report.lines.append(
                Line(
                    "payment",
                    payment.reference,
                    txn.provider_id,
                    None,
                    txn.amount_pence,
                    "duplicate_charge",
                    note,
                )
            )
            continue
        matched.add(payment.pk)
        issue = "" if payment.amount_pence == txn.amount_pence else "amount_differs"
        report.lines.append(
            Line("payment", payment.reference, txn.provider_id, payment.amount_pence, txn.amount_pence, issue)
        )
    for payment in local_payments.values():
        if payment.pk not in matched:
            report.lines.append(
                Line(
                    "payment",
                    payment.reference,
                    payment.provider_id,
                    payment.amount_pence,
                    None,
                    "missing_at_provider",
                )
            )

    refund_txns = [t for t in transactions if t.kind == "refund"]
    local_refunds = Refund.objects.filter(payment__provider=provider_name).select_related("payment")
    known = {
        r.provider_id: r for r in local_refunds.filter(provider_id__in=[t.provider_id for t in refund_txns])
    }
    matched_refunds: set[int] = set()
    for txn in refund_txns:
        refund = known.get(txn.provider_id)
        if refund is None or refund.status == RefundStatus.ERROR:
            report.lines.append(
                Line(
                    "refund",
                    refund.payment.reference if refund else txn.payment_reference,
                    txn.provider_id,
                    None,
                    txn.amount_pence,
                    "missing_locally",
                    "the portal has it as failed" if refund else "no refund in the portal",
                )
            )
            continue
        matched_refunds.add(refund.pk)
        issue = "" if refund.amount_pence == txn.amount_pence else "amount_differs"
        report.lines.append(
            Line(
                "refund",
                refund.payment.reference,
                txn.provider_id,
                refund.amount_pence,
                txn.amount_pence,
                issue,
            )
        )
    for refund in local_refunds.filter(
        status__in=[RefundStatus.SUCCESS, RefundStatus.SUBMITTED], created_at__gte=start, created_at__lt=end
    ):
        if refund.pk not in matched_refunds:
            report.lines.append(
                Line(
                    "refund",
                    refund.payment.reference,
                    refund.provider_id,
                    refund.amount_pence,
                    None,
                    "missing_at_provider",
                )
            )
    report.lines.sort(key=lambda line: (line.issue == "", line.kind, line.reference))
    return report


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = safe_csv.writer(out)
    writer.writerow(
        [
            "date",
            "provider",
            "kind",
            "payment_reference",
            "provider_id",
            "portal_amount",
            "provider_amount",
            "result",
            "note",
        ]
    )
    for line in report.lines:
        writer.writerow(
            [
                report.day.isoformat(),
                report.provider,
                line.kind,
                line.reference,
                line.provider_id,
                pounds_value(line.local_pence),
                pounds_value(line.provider_pence),
                line.issue or "ok",
                line.note,
            ]
        )
    return out.getvalue()
