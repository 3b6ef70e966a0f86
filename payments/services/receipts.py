"""The receipt emailed for a successful payment, once.

A form's fee: the form's confirmation was held until the payment succeeded, so the receipt
goes inside it (``forms_engine.services.submission_confirmation_with_receipt``): one email
for the request and its payment instead of a confirmation, a receipt and a case update.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from portal.notifications.services import notification_email_send

from ..constants import PaymentEventType
from ..models import Payment, PaymentEvent


def payment_receipt_send(*, payment: Payment) -> bool:
    """Email the receipt for a successful payment, once."""
    to = payment.receipt_email
    updated = Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    if not updated or not to:
        return False
    payment.refresh_from_db()
    context = {"payment": payment, "council_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL}
    if payment.case_id and _confirmation_with_receipt(
        payment, render_to_string("payments/email/receipt.txt", {**context, "council_name": ""})
    ):
        PaymentEvent.objects.create(
            payment=payment,
            type=PaymentEventType.RECEIPT_SENT,
            message="Receipt sent in the request's confirmation email",
        )
        return True
    notification_email_send(
        to=to,
        user=payment.user,
        subject=f"{'TEST payment – ' if payment.is_test else ''}Your payment receipt: {payment.reference}",
        body_text=render_to_string("payments/email/receipt.txt", context),
        template="payments/receipt",
        case=payment.case,
    )
    PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.RECEIPT_SENT, message=f"Receipt sent to {to}"
    )
    return True


def _confirmation_with_receipt(payment: Payment, receipt_text: str) -> bool:
    # Imported here: forms_engine.services imports payments.services at load time (a cycle).
    from forms_engine import services as form_services

    return form_services.submission_confirmation_with_receipt(payment=payment, receipt_text=receipt_text)
