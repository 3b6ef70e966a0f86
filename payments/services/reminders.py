"""Bill reminders by text: once per bill, a few days before it is due, with a link to pay it.

A bill is a resident's once they have shown it is theirs (``Bill.resident``: they looked it up
or paid towards it while signed in, ``bill_resident_set``). Residents who chose bill reminders
by text in My account (``User.bill_reminders_by_text``) and have a phone number get one text
per bill ``BILL_REMINDER_DAYS`` days before its due date (or on the first run after, while it
is still due), only while the bill is open with something left to pay and no payment for it
is being confirmed. Run by ``payments_housekeeping`` (every few minutes), which sends only in
the day (``REMINDER_HOURS``, UK time): a text never wakes anyone.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from portal.notifications.constants import NotificationChannel
from portal.notifications.selectors import sms_opted_out
from portal.notifications.services import message_send

from ..constants import IN_PROGRESS_STATUSES, BillStatus, LinkChannel
from ..messages import BILL_REMINDER
from ..models import Bill, Payment
from .errors import PaymentError
from .links import _link_make, payment_link_message_context

logger = logging.getLogger("payments.services")

# The local hours (Europe/London) in which reminders are sent: 9am to 8pm.
REMINDER_HOURS = range(9, 20)


def bills_due_for_reminder(*, now: datetime | None = None) -> QuerySet[Bill]:
    """Open bills with something to pay, due within ``BILL_REMINDER_DAYS`` days (not past),
    not yet reminded, whose resident asked for reminders by text and has a phone number."""
    today = timezone.localdate(now or timezone.now())
    last_day = today + timedelta(days=settings.BILL_REMINDER_DAYS)
    return (
        Bill.objects.filter(
            status=BillStatus.OPEN,
            amount_paid_pence__lt=F("amount_due_pence"),
            reminder_sent_at__isnull=True,
            due_date__gte=today,
            due_date__lte=last_day,
            resident__bill_reminders_by_text=True,
            resident__is_active=True,
        )
        .exclude(resident__phone="")
        .select_related("resident")
        .order_by("due_date", "pk")
    )


def bill_reminders_send(*, now: datetime | None = None) -> int:
    """Text each resident a reminder of each bill of theirs that is due soon, once per bill.

    Idempotent, and safe to run from several places at once: a bill is claimed with one
    conditional UPDATE (``reminder_sent_at`` IS NULL) in the transaction that writes the text
    to the outbox, so only one run sends it, and a failure leaves it for the next run. A
    number that replied STOP, or a bill with a payment being confirmed, is skipped without
    claiming it (the next run looks again). Returns how many texts were sent.
    """
    now = now or timezone.now()
    if timezone.localtime(now).hour not in REMINDER_HOURS:
        return 0
    sent = 0
    for bill in bills_due_for_reminder(now=now):
        resident = bill.resident
        if resident is None or sms_opted_out(resident.phone):
            continue
        if Payment.objects.filter(bill=bill, status__in=IN_PROGRESS_STATUSES).exists():
            continue
        try:
            sent += _bill_remind(bill, now=now)
        except PaymentError as exc:  # paid or cancelled between the query and the claim
            logger.info("Bill %s: no reminder sent: %s", bill.reference, exc)
    return sent


@transaction.atomic
def _bill_remind(bill: Bill, *, now: datetime) -> int:
    claimed = Bill.objects.filter(
        pk=bill.pk,
        reminder_sent_at__isnull=True,
        status=BillStatus.OPEN,
        amount_paid_pence__lt=F("amount_due_pence"),
    ).update(reminder_sent_at=now)
    if not claimed:
        return 0
    resident = bill.resident
    assert resident is not None and bill.due_date is not None  # bills_due_for_reminder asks for both
    link, path = _link_make(
        created_by=None,
        bill=bill,
        resident=resident,
        channel=LinkChannel.SMS,
        sent_to=resident.phone,
    )
    context = {
        **payment_link_message_context(link, path=path, resident=resident),
        "name": resident.first_name,
        "what": bill.description,
        "due_on": date_format(bill.due_date, "j F Y"),
    }
    notification = message_send(
        key=BILL_REMINDER,
        context=context,
        user=resident,
        phone=resident.phone,
        channel=NotificationChannel.SMS,
    )
    if notification is None:
        # Not reachable by text after all (the number failed or replied STOP meanwhile): leave
        # the bill unclaimed, and the link unmade, for a later run.
        transaction.set_rollback(True)
        return 0
    return 1
