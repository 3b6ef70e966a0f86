"""Demo bills for ``manage.py load_demo`` (the lead wires it in): pay them at /pay/."""

from .models import Bill

DEMO_BILLS = [
    {
        "reference": "INV-204518",
        "postcode": "AB1 2CD",
        "description": "Trade waste collection, March 2026",
        "payer_name": "Anytown Bakery Ltd",
        "amount_due_pence": 12050,
        "allows_part_payment": False,
        "vat_status": "standard",
        "service_code": 530,
    },
    {
        "reference": "PCN-778812",
        "postcode": "AB1 2CD",
        "description": "Parking penalty charge notice",
        "payer_name": "",
        "amount_due_pence": 7000,
        "allows_part_payment": True,
        "vat_status": "outside_scope",
        "service_code": 474,
    },
]


def demo_bills_load() -> list[Bill]:
    """Create the demo bills if missing; safe to run repeatedly."""
    return [
        Bill.objects.get_or_create(reference=values["reference"], defaults=values)[0] for values in DEMO_BILLS
    ]
