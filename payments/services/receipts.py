"""The receipt sent for a successful payment, once, by the payer's chosen channel.

A form's fee: the form's confirmation was held until the payment succeeded, so the receipt
goes inside it (``forms_engine.services.submission_confirmation_with_receipt``): one message
for the request and its payment instead of a confirmation, a receipt and a case update.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.lib.dates import datetime_display
from portal.notifications.constants import NotificationChannel
from portal.notifications.services import message_send

from ..constants import PaymentEventType
from ..messages import RECEIPT
from ..models import Payment, PaymentEvent

TEST_RECEIPT_NOTICE = (
    "TEST payment – no money was taken. This receipt is from the council's test payment service, "
    "not a real payment."
)


def payment_receipt_context(payment: Payment) -> dict[str, str]:
    """The receipt's placeholders (``messages.RECEIPT``), also put into a form's confirmation."""
    paid_for = payment.description
    if payment.case is not None:
        paid_for += f" (request {payment.case.reference})"
    if payment.bill is not None:
        paid_for += f" (bill {payment.bill.reference})"
    return {
        "payment_reference": payment.reference,
        "amount": payment.amount_display,
        "paid_at": datetime_display(payment.finished_at),
        "paid_for": paid_for,
        "vat": f"VAT: {payment.get_vat_status_display()}" if payment.vat_status else "",
        # Only an account sees its receipts online; a payment made without one has no page to link.
        "receipt_link": settings.SITE_URL
        + reverse("payments:receipt", kwargs={"reference": payment.reference})
        if payment.user_id
        else "",
        "test_notice": TEST_RECEIPT_NOTICE if payment.is_test else "",
    }


def payment_receipt_send(*, payment: Payment) -> bool:
    """Send the receipt for a successful payment, once: by email, text or letter as the payer
    chose (``message_send``), or inside the form's confirmation still held for it."""
    updated = Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    if not updated or not (payment.user_id or payment.receipt_email):
        return False
    payment.refresh_from_db()
    context = payment_receipt_context(payment)
    if payment.case_id and _confirmation_with_receipt(payment, context):
        PaymentEvent.objects.create(
            payment=payment,
            type=PaymentEventType.RECEIPT_SENT,
            message="Receipt sent in the request's confirmation",
        )
        return True
    sent = message_send(
        key=RECEIPT, context=context, user=payment.user, email=payment.receipt_email, case=payment.case
    )
    if sent is None:
        return False
    ways: dict[str, str] = {NotificationChannel.SMS: "by text to ", NotificationChannel.LETTER: "by post to "}
    how = ways.get(sent.channel, "")
    PaymentEvent.objects.create(
        payment=payment, type=PaymentEventType.RECEIPT_SENT, message=f"Receipt sent {how}{sent.to}"
    )
    return True


def _confirmation_with_receipt(payment: Payment, receipt: dict[str, str]) -> bool:
    # Imported here: forms_engine.services imports payments.services at load time (a cycle).
    from forms_engine import services as form_services

    return form_services.submission_confirmation_with_receipt(payment=payment, receipt=receipt)
