"""Reads that views and other apps share."""

from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Q, QuerySet

from accounts.models import Proxy
from portal.cases.constants import CaseStatus
from portal.lib.postcodes import postcode_compact

from .constants import BillStatus, PaymentStatus, RefundStatus
from .models import Bill, Payment, PaymentLink, Refund

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def payment_list_for_user(user: "User | AnonymousUser | None") -> QuerySet[Payment]:
    """The resident's payments, newest first (every attempt, so failures show too)."""
    if user is None or not user.is_authenticated:
        return Payment.objects.none()
    return Payment.objects.filter(user=user).select_related("case", "bill").order_by("-created_at", "-pk")


def payments_due_for_user(user: "User | AnonymousUser | None") -> QuerySet[Payment]:
    """Fees still to pay: the newest attempt of each of the resident's requests awaiting payment."""
    if user is None or not user.is_authenticated:
        return Payment.objects.none()
    latest: dict[int | None, Payment] = {}
    for payment in (
        Payment.objects.filter(user=user, case__status=CaseStatus.AWAITING_PAYMENT)
        .select_related("case")
        .order_by("case_id", "-created_at", "-pk")
    ):
        latest.setdefault(payment.case_id, payment)
    return Payment.objects.filter(pk__in=[p.pk for p in latest.values()]).select_related("case")


def payment_for_resident(user: "User | AnonymousUser | None", reference: str) -> Payment | None:
    """A payment the person may see, or None (a 404).

    * Made while signed in: only that account, or, for a fee on one of its requests, someone
      acting for it under an active arrangement that lets them pay (``Proxy.can_pay``). Once
      the account is deleted (the payment is kept, anonymised) nobody sees it here but
      finance staff; its reference alone never opens it.
    * Made without an account: whoever has its reference, which cannot be guessed and is
      what the payer was given (they come back to it from the payment page).
    """
    payment = Payment.objects.select_related("case", "bill", "user").filter(reference=reference).first()
    if payment is None:
        return None
    if payment.user_id is not None:
        if user is None or not user.is_authenticated:
            return None
        if user.pk == payment.user_id or (payment.case_id is not None and _pays_for(user, payment.user_id)):
            return payment
        return None
    if payment.owner_gone:
        return payment if payment_staff_may_view(user) else None
    return payment


def payment_for_link_payer(reference: str) -> Payment | None:
    """A payment opened through a payment link in this browser session (the view checks that).

    Not one whose account has been deleted since: its record is finance's alone.
    """
    payment = Payment.objects.select_related("case", "bill", "user").filter(reference=reference).first()
    if payment is None or payment.owner_gone:
        return None
    return payment


def _pays_for(person: "User", resident_id: int) -> bool:
    return Proxy.objects.active().filter(resident_id=resident_id, person_id=person.pk, can_pay=True).exists()


def payment_open_for_case(case_id: int) -> Payment | None:
    """The newest attempt still to be paid for a request awaiting payment (its "Pay" link)."""
    return (
        Payment.objects.filter(case_id=case_id, case__status=CaseStatus.AWAITING_PAYMENT)
        .order_by("-created_at", "-pk")
        .first()
    )


def payment_staff_may_view(user: "User | AnonymousUser | None") -> bool:
    """Finance staff, who see every payment in the admin anyway."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("payments.view_payment")
    )


def receipt_refunds(payment: Payment) -> QuerySet[Refund]:
    return payment.refunds.exclude(status=RefundStatus.ERROR).order_by("created_at")


def payment_other_attempts(*, payment: Payment) -> QuerySet[Payment]:
    """The other attempts to pay for the same case or bill as ``payment`` (none for neither)."""
    if payment.case_id:
        return Payment.objects.filter(case_id=payment.case_id).exclude(pk=payment.pk)
    if payment.bill_id:
        return Payment.objects.filter(bill_id=payment.bill_id).exclude(pk=payment.pk)
    return Payment.objects.none()


def payment_links_for(
    *, resident: "User | None" = None, payment: Payment | None = None, bill: Bill | None = None
) -> QuerySet[PaymentLink]:
    """Payment links, newest first, for the agent's screen: each has ``status`` ("sent",
    "opened", "paid", "expired", "revoked"), ``status_label`` and ``reference``.

    For a resident, every link made for them; for a fee, the links for any attempt to pay
    it (its case's payments); for a bill, its links. Given none of them, no links.
    """
    if resident is None and payment is None and bill is None:
        return PaymentLink.objects.none()
    links = PaymentLink.objects.select_related("payment__case", "bill", "paid_payment", "created_by")
    if resident is not None:
        links = links.filter(user=resident)
    if payment is not None:
        links = links.filter(Q(payment__case_id=payment.case_id) if payment.case_id else Q(payment=payment))
    if bill is not None:
        links = links.filter(bill=bill)
    return links.order_by("-created_at", "-pk")


class Owed(NamedTuple):
    """What a resident owes, for the agent to choose what to send a payment link for."""

    fees: list[Payment]
    bills: list[Bill]


def payments_owed_by(resident: "User") -> Owed:
    """The resident's unpaid fees and the bills of theirs with an amount owing.

    Fees: the newest attempt for each of their requests awaiting payment (none paid yet).
    A bill is theirs when it is linked to them (``Bill.resident``: looked up or paid while
    signed in), when they have paid towards it (or been sent a link for it), or when its
    payer's name and postcode are the resident's; the agent
    confirms the bill with the caller before sending a link.
    """
    latest: dict[int, Payment] = {}
    fees = (
        Payment.objects.filter(
            Q(user=resident) | Q(case__resident=resident), case__status=CaseStatus.AWAITING_PAYMENT
        )
        .select_related("case")
        .order_by("case_id", "-created_at", "-pk")
    )
    paid_cases = set(fees.filter(status=PaymentStatus.SUCCESS).values_list("case_id", flat=True))
    for payment in fees:
        if payment.case_id is not None and payment.case_id not in paid_cases:
            latest.setdefault(payment.case_id, payment)
    open_bills = Bill.objects.filter(status=BillStatus.OPEN)
    linked = Q(resident=resident) | Q(payments__user=resident) | Q(links__user=resident)
    if resident.full_name.strip():
        linked |= Q(payer_name__iexact=resident.full_name.strip())
    bills = []
    for bill in open_bills.filter(linked).distinct().order_by("due_date", "reference"):
        if bill.outstanding_pence <= 0:
            continue
        if not (
            bill.payments.filter(user=resident).exists() or bill.links.filter(user=resident).exists()
        ) and (
            not resident.postcode or postcode_compact(bill.postcode) != postcode_compact(resident.postcode)
        ):
            continue  # only the name matches: a namesake's bill
        bills.append(bill)
    fee_list = sorted(latest.values(), key=lambda p: p.created_at, reverse=True)
    return Owed(fees=fee_list, bills=bills)
