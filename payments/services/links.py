"""Payment links: staff give a resident a link to pay a fee or a bill themselves.

Staff never key card numbers. An agent emails or texts the resident a link (by the
``messages.PAYMENT_LINK`` wording), or at a face-to-face desk opens the link on the desk's
screen for the resident to pay there. The link is the credential: no sign-in is needed, and
only its token's SHA-256 is stored, so neither the database nor the outbox holds a working
link. Paying goes through the ordinary checkout (``payment_start``) and ends on the ordinary
result and receipt pages.
"""

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from portal.lib.dates import datetime_display
from portal.lib.money import pounds
from portal.notifications.constants import NotificationChannel
from portal.notifications.services import message_send

from ..constants import IN_PROGRESS_STATUSES, LinkChannel, PaymentStatus
from ..messages import PAYMENT_LINK
from ..models import Bill, Payment, PaymentLink, payment_link_token_hash
from ..providers import provider_default
from .bills import bill_payment_create
from .checkout import payment_retry, payment_start
from .errors import PaymentError

if TYPE_CHECKING:
    from accounts.models import User

# A link opened for the resident to pay at a desk lasts as long as the visit.
IN_PERSON_LINK_LIFETIME = timedelta(minutes=30)


def _fee_attempts(payment: Payment) -> QuerySet[Payment]:
    """Every attempt to pay the same fee: all the payments for its case (or just itself)."""
    if payment.case_id:
        return Payment.objects.filter(case_id=payment.case_id)
    return Payment.objects.filter(pk=payment.pk)


def _owed_check(*, payment: Payment | None, bill: Bill | None) -> None:
    """Refuse a link for something with nothing to pay (a ``PaymentError`` saying why)."""
    if (payment is None) == (bill is None):
        raise PaymentError("Choose one fee or one bill for the payment link")
    if payment is not None:
        attempts = _fee_attempts(payment)
        if attempts.filter(status=PaymentStatus.SUCCESS).exists():
            raise PaymentError("This fee has already been paid, so there is nothing to send a link for")
        if payment.case_id and payment.case is not None and not payment.case.is_awaiting_payment:
            raise PaymentError(f"Request {payment.case.reference} is not waiting for payment any more")
        if attempts.filter(
            status__in=[s.value for s in IN_PROGRESS_STATUSES if s != PaymentStatus.STARTED]
        ).exists():
            raise PaymentError(
                "A payment for this fee is being confirmed. "
                "Check again in a few minutes before you send a link"
            )
    if bill is not None and not bill.is_payable:
        raise PaymentError(
            f"Bill {bill.reference} has been cancelled, so it cannot be paid"
            if bill.is_cancelled
            else f"Bill {bill.reference} has nothing left to pay"
        )


@transaction.atomic
def payment_link_create(
    *,
    staff: "User",
    payment: Payment | None = None,
    bill: Bill | None = None,
    resident: "User | None" = None,
    channel: str = LinkChannel.IN_PERSON,
    sent_to: str = "",
) -> tuple[PaymentLink, str]:
    """A new link to pay ``payment`` (a fee) or ``bill``, and its path with the raw token.

    Used as it is at a face-to-face desk (the agent's browser goes to the path, and the
    resident pays on that screen); ``payment_link_send`` uses it to email the link. Earlier
    links for the same fee or bill still standing are revoked. The resident defaults to the
    fee's payer. Raises ``PaymentError`` when there is nothing to pay or a fee is given
    for another resident.
    """
    if not staff.is_staff:
        raise PaymentError("Only council staff can make payment links")
    return _link_make(
        created_by=staff, payment=payment, bill=bill, resident=resident, channel=channel, sent_to=sent_to
    )


def _link_make(
    *,
    created_by: "User | None",
    payment: Payment | None = None,
    bill: Bill | None = None,
    resident: "User | None" = None,
    channel: str,
    sent_to: str = "",
) -> tuple[PaymentLink, str]:
    """``payment_link_create`` without its staff check: ``created_by`` None for one the portal
    makes itself (a bill reminder's)."""
    if channel not in LinkChannel.values:
        raise PaymentError(f"{channel!r} is not a way to send a payment link")
    if payment is not None:
        payment = Payment.objects.select_for_update(of=("self",)).select_related("case").get(pk=payment.pk)
        owner = payment.user or (payment.case.resident if payment.case is not None else None)
        if resident is not None and owner is not None and owner.pk != resident.pk:
            raise PaymentError("This fee is for a different resident")
        resident = resident or owner
    if bill is not None:
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
    _owed_check(payment=payment, bill=bill)
    now = timezone.now()
    earlier = PaymentLink.objects.filter(revoked_at__isnull=True, paid_at__isnull=True)
    if payment is not None:
        same = Q(payment__case_id=payment.case_id) if payment.case_id else Q(payment=payment)
    else:
        same = Q(bill=bill)
    earlier.filter(same).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    link = PaymentLink.objects.create(
        token_hash=payment_link_token_hash(token),
        payment=payment,
        bill=bill,
        user=resident,
        channel=channel,
        sent_to=sent_to,
        created_by=created_by,
        # Opened on a desk's screen, it must not stay usable from that browser's history.
        **({"expires_at": now + IN_PERSON_LINK_LIFETIME} if channel == LinkChannel.IN_PERSON else {}),
    )
    return link, reverse("payments:link", kwargs={"token": token})


@transaction.atomic
def payment_link_send(
    *,
    staff: "User",
    payment: Payment | None = None,
    bill: Bill | None = None,
    resident: "User | None" = None,
    email: str = "",
    phone: str = "",
    channel: str = LinkChannel.EMAIL,
) -> PaymentLink:
    """Make a link (``payment_link_create``) and send it through the outbox: by email to
    ``email``, or by text to ``phone`` with ``channel=LinkChannel.SMS`` (never by post: the
    link is a secret).

    The message says what it is for, the amount, the link and when it stops working. The
    outbox row keeps it with the link removed; the message sent carries the real one.
    Raises ``PaymentError`` for an email address or phone number that is not valid, a number
    that replied STOP, or nothing to pay.
    """
    if channel == LinkChannel.SMS:
        to = (phone or "").strip()
        if sum(character.isdigit() for character in to) < 10:
            raise PaymentError("Enter a phone number, like 07700 900 982")
    elif channel == LinkChannel.EMAIL:
        to = (email or "").strip()
        try:
            validate_email(to)
        except ValidationError:
            raise PaymentError(
                "Enter an email address in the correct format, like name@example.com"
            ) from None
    else:
        raise PaymentError("Send a payment link by email or by text message")
    link, path = payment_link_create(
        staff=staff, payment=payment, bill=bill, resident=resident, channel=channel, sent_to=to
    )
    sent = message_send(
        key=PAYMENT_LINK,
        context=payment_link_message_context(link, path=path, resident=link.user),
        user=link.user,
        email=to if channel == LinkChannel.EMAIL else "",
        phone=to if channel == LinkChannel.SMS else "",
        channel=NotificationChannel.SMS if channel == LinkChannel.SMS else NotificationChannel.EMAIL,
        case=link.payment.case if link.payment is not None else None,
    )
    if sent is None:
        raise PaymentError("We cannot send text messages to this number. Send the link by email instead")
    return link


def payment_link_message_context(link: PaymentLink, *, path: str, resident: "User | None") -> dict[str, str]:
    """The placeholders of a message carrying a payment link (``messages.PAYMENT_LINK``,
    ``messages.BILL_REMINDER``): ``path`` is the link's, with its raw token."""
    what, reference, amount_pence = payment_link_owed(link)
    test = provider_default() == "sandbox"
    return {
        "name": resident.full_name if resident is not None else "",
        "what": _lower_first(what),
        "reference": reference,
        "amount": pounds(amount_pence),
        "link": settings.SITE_URL + path,
        "expires_at": datetime_display(link.expires_at),
        "other_ways": f"You can also pay the bill at {settings.SITE_URL}{reverse('payments:bill_start')} "
        "with its reference and postcode."
        if link.bill_id is not None
        else "",
        "test_notice": "TEST payment – no money will be taken. This link is from the council's test "
        "payment service."
        if test
        else "",
    }


def _lower_first(text: str) -> str:
    """ "Bulky waste collection" -> "bulky waste collection" (an acronym such as "MOT" stays)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def payment_link_owed(link: PaymentLink) -> tuple[str, str, int]:
    """What the link is for, the reference the resident knows, and the amount to pay now."""
    if link.bill is not None:
        return link.bill.description, link.bill.reference, link.bill.outstanding_pence
    assert link.payment is not None  # a link is for a bill or a fee (a database constraint)
    return link.payment.description, link.reference, link.payment.amount_pence


def payment_link_find(*, token: str) -> PaymentLink | None:
    """The link with this raw token (whatever its state), or None."""
    if not token or len(token) > 100:
        return None
    return (
        PaymentLink.objects.select_related("payment__case", "bill", "paid_payment")
        .filter(token_hash=payment_link_token_hash(token))
        .first()
    )


def payment_link_payable(link: PaymentLink) -> bool:
    """Whether there is still something to pay through the link (it may still have expired)."""
    if link.paid_at is not None:
        return False
    if link.bill is not None:
        return link.bill.is_payable
    payment = link.payment
    assert payment is not None  # a link is for a bill or a fee (a database constraint)
    if _fee_attempts(payment).filter(status=PaymentStatus.SUCCESS).exists():
        return False
    return payment.case is None or payment.case.is_awaiting_payment


def payment_link_open(*, link: PaymentLink) -> PaymentLink:
    """Record that the resident opened the link (the first time only)."""
    if link.opened_at is None:
        now = timezone.now()
        if PaymentLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=now):
            link.opened_at = now
    return link


@transaction.atomic
def payment_link_revoke(*, link: PaymentLink, staff: "User") -> PaymentLink:
    """Stop a link working (the agent cancels it). A link already paid is left as it is."""
    if not staff.is_staff:
        raise PaymentError("Only council staff can cancel payment links")
    link = PaymentLink.objects.select_for_update().get(pk=link.pk)
    if link.paid_at is None and link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def payment_link_checkout(*, link: PaymentLink, request: HttpRequest | None = None) -> Payment:
    """The payment to send the link's payer to, opened at the provider where it can be paid.

    A fee: its newest attempt while it can still be paid or is being confirmed, or a new
    attempt after a failed one. A bill: the attempt this link last started if still open,
    or a new payment for all the bill still owes (as "Pay a bill" makes one). Then the
    ordinary ``payment_start``. Raises ``PaymentError`` when the link no longer works or
    there is nothing to pay.
    """
    with transaction.atomic():
        link = (
            PaymentLink.objects.select_for_update(of=("self",))
            .select_related("payment__case", "bill")
            .get(pk=link.pk)
        )
        if link.revoked_at is not None or link.is_expired:
            raise PaymentError("This payment link has expired. Ask us for a new one")
        if link.paid_at is not None:
            raise PaymentError("This has already been paid")
        attempt = _fee_attempt(link) if link.payment_id else _bill_attempt(link)
        link.attempts.add(attempt)
    if attempt.is_open:
        attempt = payment_start(payment=attempt, request=request)
    return attempt


def _fee_attempt(link: PaymentLink) -> Payment:
    payment = link.payment
    assert payment is not None  # only called for a fee's link
    attempts = _fee_attempts(payment)
    if attempts.filter(status=PaymentStatus.SUCCESS).exists():
        raise PaymentError("This has already been paid")
    if payment.case is not None and not payment.case.is_awaiting_payment:
        raise PaymentError("This request does not need paying for any more")
    latest = attempts.order_by("-created_at", "-pk").first()
    assert latest is not None  # the link's own payment is among them
    if latest.is_open or latest.is_in_progress:
        return latest
    return payment_retry(payment=latest)


def _bill_attempt(link: PaymentLink) -> Payment:
    assert link.bill is not None  # only called for a bill's link
    mine = link.attempts.order_by("-created_at", "-pk").first()
    if mine is not None and (mine.is_open or mine.is_in_progress):
        return mine
    resident = link.user
    email = link.sent_to if link.channel == LinkChannel.EMAIL else ""
    if not email and resident is not None:
        email = resident.message_email or ""
    return bill_payment_create(bill=link.bill, user=resident, email=email)


def payment_links_attempt_follow(*, previous: Payment, attempt: Payment) -> None:
    """A new attempt (a retry) for a payment started through links belongs to those links too."""
    if attempt.pk == previous.pk:
        return
    for link in PaymentLink.objects.filter(attempts=previous):
        link.attempts.add(attempt)
