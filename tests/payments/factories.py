"""Payments, bills and cases awaiting payment for tests, made through the services."""

from payments.models import Bill
from payments.services import payment_create
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make


def fee_case(*, resident=None, amount_pence: int = 3500, **kwargs):
    """A request awaiting its fee, and the payment for it, as the forms runtime makes them."""
    resident = resident if resident is not None else UserFactory()
    case = case_make(
        resident=resident,
        status="awaiting_payment",
        title=kwargs.pop("title", "Book a bulky waste collection"),
        service_code=kwargs.pop("service_code", 528),
        **kwargs,
    )
    payment = payment_create(
        amount_pence=amount_pence,
        description="Bulky waste collection",
        vat_status="outside_scope",
        user=resident,
        case=case,
    )
    return case, payment


def bill_make(**kwargs) -> Bill:
    defaults = {
        "reference": "INV-204518",
        "postcode": "AB1 2CD",
        "description": "Trade waste collection, March 2026",
        "amount_due_pence": 12050,
        "allows_part_payment": False,
        "service_code": 530,
    }
    defaults.update(kwargs)
    return Bill.objects.create(**defaults)
