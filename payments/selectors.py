"""Reads that views and other apps share."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from portal.cases.constants import CaseStatus

from .constants import RefundStatus
from .models import Payment, Refund

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

    * Made while signed in: only that account. Once the account is deleted (the payment is
      kept, anonymised) nobody sees it here but finance staff; its reference alone never
      opens it.
    * Made without an account: whoever has its reference, which cannot be guessed and is
      what the payer was given (they come back to it from the payment page).
    """
    payment = Payment.objects.select_related("case", "bill", "user").filter(reference=reference).first()
    if payment is None:
        return None
    if payment.user_id is not None:
        return payment if user is not None and user.is_authenticated and user.pk == payment.user_id else None
    if payment.owner_gone:
        return payment if payment_staff_may_view(user) else None
    return payment


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
