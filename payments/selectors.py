"""Reads that views and other apps share."""

from django.db.models import QuerySet

from .models import Payment


def payment_list_for_user(user) -> QuerySet[Payment]:
    """The resident's payments, newest first (every attempt, so failures show too)."""
    if not getattr(user, "is_authenticated", False):
        return Payment.objects.none()
    return Payment.objects.filter(user=user).select_related("case", "bill").order_by("-created_at", "-pk")


def payments_due_for_user(user) -> QuerySet[Payment]:
    """Fees still to pay: the newest attempt of each of the resident's requests awaiting payment."""
    from portal.cases.constants import CaseStatus

    if not getattr(user, "is_authenticated", False):
        return Payment.objects.none()
    latest = {}
    for payment in (
        Payment.objects.filter(user=user, case__status=CaseStatus.AWAITING_PAYMENT)
        .select_related("case")
        .order_by("case_id", "-created_at", "-pk")
    ):
        latest.setdefault(payment.case_id, payment)
    return Payment.objects.filter(pk__in=[p.pk for p in latest.values()]).select_related("case")


def payment_for_resident(user, reference: str) -> Payment | None:
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
        return payment if getattr(user, "is_authenticated", False) and user.pk == payment.user_id else None
    if payment.owner_gone:
        return payment if payment_staff_may_view(user) else None
    return payment


def payment_staff_may_view(user) -> bool:
    """Finance staff, who see every payment in the admin anyway."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_staff and user.has_perm("payments.view_payment")
    )


def receipt_refunds(payment: Payment):
    return payment.refunds.exclude(status="error").order_by("created_at")


def payment_other_attempts(*, payment: Payment) -> QuerySet[Payment]:
    """The other attempts to pay for the same case or bill as ``payment`` (none for neither)."""
    if payment.case_id:
        return Payment.objects.filter(case_id=payment.case_id).exclude(pk=payment.pk)
    if payment.bill_id:
        return Payment.objects.filter(bill_id=payment.bill_id).exclude(pk=payment.pk)
    return Payment.objects.none()
