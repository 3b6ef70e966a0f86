"""The payments app's share of a resident's data export, and what account deletion does to it.

Payments are financial records the council must keep (for audit and refunds), so they are
not deleted with the account: the link to the account and the email address are removed
and the records are kept for ``PORTAL_RETENTION_YEARS``, then deleted by the housekeeping.
"""

from django.db.models import Q
from django.utils import timezone

from portal.lib.personal_data import register

from .models import Payment, PaymentEvent, PaymentLink, Refund


def _export(user) -> list[dict]:
    return [
        {
            "reference": payment.reference,
            "description": payment.description,
            "amount": payment.amount_display,
            "amount_pence": payment.amount_pence,
            "currency": payment.currency,
            "vat_status": payment.get_vat_status_display() if payment.vat_status else "",
            "status": payment.status,
            "failure_code": payment.failure_code,
            "request_reference": payment.case.reference if payment.case_id else "",
            "bill_reference": payment.bill.reference if payment.bill_id else "",
            "receipt_email": payment.email,
            "created": payment.created_at,
            "finished": payment.finished_at,
            "refunds": [
                {
                    "amount_pence": refund.amount_pence,
                    "reason": refund.reason,
                    "status": refund.status,
                    "date": refund.created_at,
                }
                for refund in payment.refunds.all()
            ],
        }
        for payment in Payment.objects.filter(user=user)
        .select_related("case", "bill")
        .prefetch_related("refunds")
    ]


def _anonymise(user) -> None:
    payments = Payment.objects.filter(Q(user=user) | Q(email__iexact=user.email))
    PaymentEvent.objects.filter(payment__in=payments, type="receipt_sent").update(message="Receipt sent")
    payments.update(user=None, email="", anonymised_at=timezone.now())
    # Links staff sent them: no longer theirs, no address kept, and they stop working.
    links = PaymentLink.objects.filter(user=user)
    if user.email:
        links = links | PaymentLink.objects.filter(sent_to__iexact=user.email)
    links.filter(revoked_at__isnull=True, paid_at__isnull=True).update(revoked_at=timezone.now())
    links.update(user=None, sent_to="")


def _purge(cutoff) -> int:
    """Retained payments (anonymised) older than the cutoff are deleted with their history."""
    old = Payment.objects.filter(anonymised_at__isnull=False, created_at__lt=cutoff)
    count = old.count()
    Refund.objects.filter(payment__in=old).delete()
    old.delete()
    return count


def _reassign(source, target) -> None:
    """Payments, payment links and what the person did on them move; receipt addresses stay
    as they were (that is where each receipt went)."""
    Payment.objects.filter(user=source).update(user=target)
    PaymentEvent.objects.filter(actor=source).update(actor=target)
    PaymentLink.objects.filter(user=source).update(user=target)


register(
    name="payments",
    label="Payments you made, with their receipts and refunds",
    export=_export,
    erase=_anonymise,
    kept=(
        "Payments you made are financial records, so we keep them for {retention_years} years without "
        "your name or email address."
    ),
    purge=_purge,
    reassign=_reassign,
    order=70,
)
