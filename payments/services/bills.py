"""Bills: finding one by reference and postcode, paying it, and importing bills from a CSV file."""

import csv
import io
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from portal.lib.money import pence_from_pounds, pounds
from portal.lib.postcodes import postcode_compact, postcode_display

from ..constants import MAX_AMOUNT_POUNDS, BillStatus, VatStatus
from ..models import Bill, Payment
from .checkout import payment_create
from .errors import PaymentError
from .states import bill_transition

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def bill_find(*, reference: str, postcode: str) -> Bill | None:
    """The bill with this reference, if the postcode matches too (spaces and case ignored)."""
    bill = Bill.objects.filter(reference__iexact=(reference or "").strip()).first()
    if bill is None or postcode_compact(bill.postcode) != postcode_compact(postcode):
        return None
    return bill


def bill_resident_set(*, bill: Bill, user: "User | AnonymousUser | None") -> bool:
    """The bill is ``user``'s: they found it by its reference and postcode, or paid towards it,
    while signed in, and the postcode on their own account is the bill's (a relative or a
    landlord paying from another address does not take it over). Only a bill no resident has
    yet; staff never. Returns whether it changed. Bill reminders by text go to this resident."""
    if user is None or not user.is_authenticated or user.is_staff or bill.resident_id is not None:
        return False
    user_postcode = postcode_compact(getattr(user, "postcode", ""))
    if not bill.postcode or user_postcode != postcode_compact(bill.postcode):
        return False
    changed = Bill.objects.filter(pk=bill.pk, resident__isnull=True).update(resident=user)
    if changed:
        bill.resident = user
    return bool(changed)


@transaction.atomic
def bill_payment_create(
    *,
    bill: Bill,
    amount_pence: int | None = None,
    user: "User | AnonymousUser | None" = None,
    email: str = "",
) -> Payment:
    """A payment for all of a bill's outstanding amount, or part of it where the bill allows."""
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if not bill.is_payable:
        raise PaymentError(
            "This bill has already been paid"
            if not bill.is_cancelled
            else "This bill has been cancelled, so it cannot be paid"
        )
    outstanding = bill.outstanding_pence
    amount = outstanding if amount_pence is None else int(amount_pence)
    if amount != outstanding and not bill.allows_part_payment:
        raise PaymentError(f"This bill must be paid in full: {pounds(outstanding)}")
    if amount <= 0:
        raise PaymentError("Enter an amount more than £0")
    if amount > outstanding:
        raise PaymentError(f"Enter an amount of {pounds(outstanding)} or less")
    bill_resident_set(bill=bill, user=user)
    return payment_create(
        amount_pence=amount,
        description=f"{bill.description} (bill {bill.reference})",
        vat_status=bill.vat_status,
        user=user,
        email=email,
        bill=bill,
    )


@transaction.atomic
def bill_status_set(*, bill: Bill, to: str) -> Bill:
    """Finance's choice of status for ``bill`` (the bill form), written by ``bill_transition``.

    An open bill that payments already cover is paid, so choosing ``open`` for one makes it
    ``paid``; a cancelled bill reopened that way goes through ``open`` first (the table has
    no cancelled -> paid move). Raises ``PaymentError`` for a move the table forbids.
    """
    if to == BillStatus.OPEN and bill.amount_paid_pence >= bill.amount_due_pence:
        if bill.is_cancelled:
            bill = bill_transition(bill=bill, to=BillStatus.OPEN)
        to = BillStatus.PAID
    return bill_transition(bill=bill, to=to)


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
REQUIRED_COLUMNS = ("reference", "postcode", "description", "amount")


def bills_import(*, text: str) -> tuple[int, int, list[str]]:
    """Create or update bills from CSV text (Finance's import). All or nothing: any bad row means no change.

    A bill already paid whose new amount due is more than was paid opens again.

    Returns (created, updated, errors); each error names its row and what to fix.
    """
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        return 0, 0, [f"The file must have the columns: {', '.join(missing)} (on its first line)"]
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        problems = []
        reference = row.get("reference", "")
        if not reference:
            problems.append("enter the bill reference")
        elif len(reference) > 32:
            problems.append("the reference must be 32 characters or less")
        elif reference.upper() in seen:
            problems.append(f"reference {reference} is in the file twice")
        seen.add(reference.upper())
        if not postcode_compact(row.get("postcode", "")):
            problems.append("enter the postcode")
        if not row.get("description"):
            problems.append("enter what the bill is for (description)")
        try:
            amount = pence_from_pounds(row.get("amount", ""), max_pounds=MAX_AMOUNT_POUNDS)
            if amount <= 0:
                problems.append("the amount must be more than £0")
        except ValueError:
            amount = 0
            problems.append(f"amount '{row.get('amount', '')}' is not an amount in pounds, like 120.50")
        part = row.get("allows_part_payment", "").lower()
        if part not in _YES | _NO:
            problems.append("allows_part_payment must be yes or no")
        vat = row.get("vat_status", "") or VatStatus.OUTSIDE_SCOPE
        if vat not in VatStatus.values:
            problems.append(f"vat_status must be one of {', '.join(VatStatus.values)}")
        service_code = row.get("service_code", "")
        if service_code and not service_code.isdigit():
            problems.append("service_code must be an LGSL number, like 530")
        due = None
        if row.get("due_date"):
            try:
                due = date.fromisoformat(row["due_date"])
            except ValueError:
                problems.append("due_date must be a date like 2026-03-31")
        if problems:
            errors.append(f"Row {number}: " + "; ".join(problems))
            continue
        rows.append(
            {
                "reference": reference,
                "postcode": postcode_display(row["postcode"]),
                "description": row["description"][:200],
                "payer_name": row.get("payer_name", "")[:150],
                "amount_due_pence": amount,
                "allows_part_payment": part in _YES,
                "vat_status": vat,
                "service_code": int(service_code) if service_code else None,
                "due_date": due,
            }
        )
    if not rows and not errors:
        errors.append("The file has no bills in it")
    if errors:
        return 0, 0, errors
    created = updated = 0
    with transaction.atomic():
        for values in rows:
            bill = Bill.objects.select_for_update().filter(reference__iexact=values["reference"]).first()
            if bill is None:
                Bill.objects.create(**values)
                created += 1
                continue
            if bill.amount_paid_pence and values["amount_due_pence"] < bill.amount_paid_pence:
                transaction.set_rollback(True)
                return (
                    0,
                    0,
                    [
                        f"Bill {bill.reference}: the new amount is less than the "
                        f"{pounds(bill.amount_paid_pence)} already paid"
                    ],
                )
            for key, value in values.items():
                setattr(bill, key, value)
            bill.save()
            if bill.is_paid and bill.amount_paid_pence < bill.amount_due_pence:
                bill_transition(bill=bill, to=BillStatus.OPEN)
            updated += 1
    return created, updated, []
