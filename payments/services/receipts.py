"""The receipt emailed for a successful payment, once."""

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
    notification_email_send(
        to=to,
        user=payment.user,
        subject=f"{'TEST payment – ' if payment.is_test else ''}Your payment receipt: {payment.reference}",
        body_text=render_to_string("payments/email/receipt.txt", context),
        template="payments/receipt",
    )
    PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.RECEIPT_SENT, message=f"Receipt sent to {to}"
    )
    return True
