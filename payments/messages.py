"""The messages payments send residents, with their default wording (editors change it in
Wagtail: Messages). Sent through ``portal.notifications.services.message_send``."""

from portal.notifications.services import MessageType, message_type_register

RECEIPT = "payments/receipt"
REFUND = "payments/refund"
PAYMENT_LINK = "payments/payment_link"
BILL_REMINDER = "payments/bill_reminder"

message_type_register(
    MessageType(
        key=RECEIPT,
        name="Payment receipt",
        description="When a payment succeeds (a bill, or a fee whose request's confirmation has "
        "already gone: otherwise the receipt goes inside that confirmation).",
        group="Payments",
        placeholders={
            "payment_reference": "PAY-4F7K-2M9Q-XR3T",
            "amount": "£45.00",
            "paid_at": "7 December 2026 at 10:05am",
            "paid_for": "Trade waste, March 2027 (bill INV-204518)",
            "vat": "VAT: Outside the scope of VAT",
            "receipt_link": "https://www.example.gov.uk/payments/receipt/PAY-4F7K-2M9Q-XR3T/",
            "test_notice": "",
        },
        required=("payment_reference",),
        email_subject="Your payment receipt: ((payment_reference))",
        email_body="((test_notice))\n\nThank you for your payment.\n\n"
        "Payment reference: ((payment_reference))\nAmount: ((amount))\nDate: ((paid_at))\n"
        "What it was for: ((paid_for))\n((vat))\n\n"
        "Keep this email as your receipt. You can also see it online: ((receipt_link))\n\n"
        "((council_name))",
        sms_body="((test_notice)) ((council_name)): thank you for your payment of ((amount)) for "
        "((paid_for)). Payment reference: ((payment_reference)). Receipt: ((receipt_link))",
        letter_subject="Your payment receipt: ((payment_reference))",
        letter_body="((test_notice))\n\nThank you for your payment.\n\n"
        "Payment reference: ((payment_reference))\nAmount: ((amount))\nDate: ((paid_at))\n"
        "What it was for: ((paid_for))\n((vat))\n\nKeep this letter as your receipt.\n\n"
        "((council_name))",
    ),
    MessageType(
        key=REFUND,
        name="Refund",
        description="When a refund of a payment not made for a request succeeds (a request's "
        "refund is told as an update on the request).",
        group="Payments",
        placeholders={
            "payment_reference": "PAY-4F7K-2M9Q-XR3T",
            "amount": "£15.00",
            "paid_for": "Trade waste, March 2027 (bill INV-204518)",
            "reason": "You were charged twice.",
            "test_notice": "",
        },
        required=("amount",),
        email_subject="Refund of ((amount)): ((payment_reference))",
        email_body="((test_notice))\n\nWe have refunded ((amount)) of your payment ((payment_reference)) "
        "(((paid_for))).\n\nReason: ((reason))\n\n"
        "It can take up to 10 working days to reach your account.\n\n((council_name))",
        sms_body="((test_notice)) ((council_name)): we have refunded ((amount)) of your payment "
        "((payment_reference)). It can take up to 10 working days to reach your account.",
        letter_subject="Refund of ((amount)): ((payment_reference))",
        letter_body="((test_notice))\n\nWe have refunded ((amount)) of your payment ((payment_reference)) "
        "(((paid_for))).\n\nReason: ((reason))\n\n"
        "It can take up to 10 working days to reach your account.\n\n((council_name))",
    ),
    MessageType(
        key=PAYMENT_LINK,
        name="Payment link",
        description="When an agent sends a resident a link to pay a fee or a bill by card. The link "
        "is a secret: it is never kept in the outbox, and never sent by post.",
        group="Payments",
        placeholders={
            "name": "Sam Jones",
            "what": "trade waste, March 2027",
            "reference": "bill INV-204518",
            "amount": "£120.00",
            "link": "https://www.example.gov.uk/pay/link/abc123/",
            "expires_at": "14 December 2026 at 10:05am",
            "other_ways": "You can also pay the bill at https://www.example.gov.uk/payments/bill/ "
            "with its reference and postcode.",
            "test_notice": "",
        },
        required=("link",),
        secret_placeholders=("link",),
        email_subject="Pay for your ((what)): ((reference))",
        email_body="((test_notice))\n\nDear ((name)),\n\n"
        "As we agreed when you contacted us, here is a link to pay for ((what)) (((reference))).\n\n"
        "Amount to pay: ((amount))\n\n"
        "Pay by debit or credit card here (you do not need to sign in):\n((link))\n\n"
        "This link stops working at ((expires_at)). After that, or if you have any problems, contact "
        "us and we will send you a new one. ((other_ways))\n\n"
        "We will never ask you for your card details by phone or by email. Only enter them on the "
        "payment page this link opens.\n\n((council_name))",
        sms_body="((test_notice)) ((council_name)): pay ((amount)) for ((what)) (((reference))) by card "
        "here: ((link)) The link works until ((expires_at)). We never ask for card details by text.",
    ),
    MessageType(
        key=BILL_REMINDER,
        name="Bill reminder",
        description="A few days before a bill is due, to residents who asked for bill reminders by "
        "text, with a link to pay it. Sent once per bill, only while something is left to pay.",
        group="Payments",
        placeholders={
            "name": "Sam",
            "what": "Trade waste, March 2027",
            "reference": "INV-204518",
            "amount": "£120.00",
            "due_on": "12 December 2026",
            "link": "https://www.example.gov.uk/pay/link/abc123/",
            "test_notice": "",
        },
        required=("link",),
        secret_placeholders=("link",),
        email_subject="Your bill ((reference)) is due on ((due_on))",
        email_body="((test_notice))\n\nHello ((name)),\n\n"
        "Your bill ((reference)) (((what))) is due on ((due_on)). Still to pay: ((amount)).\n\n"
        "Pay it by card here (you do not need to sign in):\n((link))\n\n"
        "If you have paid it already, thank you: you do not need to do anything.\n\n((council_name))",
        sms_body="((test_notice)) ((council_name)): your bill ((reference)) for ((amount)) is due on "
        "((due_on)). Pay it here: ((link)) Already paid? Thank you.",
    ),
)
