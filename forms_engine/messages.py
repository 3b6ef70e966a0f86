"""The messages the online forms send residents, with their default wording (editors change it
in Wagtail: Messages). Sent by ``services`` through ``portal.notifications.services.message_send``."""

from portal.notifications.services import MessageType, message_type_register

RESUME_LINK = "forms_engine/resume_link"
# The outbox template of the confirmation, so a held one is found to add the receipt to.
SUBMITTED = "forms_engine/submitted"
# The wording a held confirmation is given when its fee is paid meanwhile (one message, not two).
SUBMITTED_PAID = "forms_engine/submitted_paid"

_SUBMITTED_PLACEHOLDERS = {
    "name": "Sam",
    "title": "Book a bulky waste collection",
    "reference": "BWC-2026-000123",
    "reference_line": "Your reference number is BWC-2026-000123. Please quote it if you contact us "
    "about this request.",
    "made_for_you": "We made this request for you by phone on 7 December 2026.",
    "fee": "£45.00",
    "payment_due": "We will start work on your request when you have paid £45.00.",
    "confirmation_text": "We will collect your items within 10 working days.",
    "next_steps": "We will text you the day before we collect.",
    "answers": "What we sent for you\nItems: Sofa, fridge, mattress\n\nIf anything here is wrong, "
    "reply to us on your request or contact us.",
    "link": "https://www.example.gov.uk/account/requests/BWC-2026-000123/",
}

_RECEIPT_PLACEHOLDERS = {
    "payment_reference": "PAY-4F7K-2M9Q-XR3T",
    "amount": "£45.00",
    "paid_at": "7 December 2026 at 10:05am",
    "paid_for": "Bulky waste collection (3 × £15.00) (request BWC-2026-000123)",
    "vat": "VAT: Exempt",
    "receipt_link": "https://www.example.gov.uk/payments/receipt/PAY-4F7K-2M9Q-XR3T/",
    "test_notice": "",
}

message_type_register(
    MessageType(
        key=RESUME_LINK,
        name="Link to come back to a form",
        description="When someone filling in a form without signing in asks for a link to carry on "
        "later. The link is a secret: it is never kept in the outbox, and never sent by post.",
        group="Forms",
        placeholders={
            "title": "Book a bulky waste collection",
            "link": "https://www.example.gov.uk/forms/resume/abc123/",
            "expires_on": "4 January 2027",
        },
        required=("link",),
        secret_placeholders=("link",),
        email_subject="Continue your form: ((title))",
        email_body='You asked us to keep your answers to "((title))".\n\n'
        "Use this link to carry on where you left off:\n\n((link))\n\n"
        "The link works until ((expires_on)). After that, your answers are deleted.\n\n"
        "If you did not ask for this, you can ignore this email.\n\n((council_name))",
        sms_body="((council_name)): carry on with your form ((title)) here: ((link)) "
        "The link works until ((expires_on)).",
    ),
    MessageType(
        key=SUBMITTED,
        name="Request sent (confirmation)",
        description="When a resident sends a form, or staff send one for them. With a fee, it waits "
        "15 minutes for the payment: paid meanwhile, the resident gets 'Request sent and paid' "
        "instead, with the receipt in it.",
        group="Forms",
        placeholders=_SUBMITTED_PLACEHOLDERS,
        email_subject="((title)): we have your request ((reference))",
        email_body="Thank you. We have received your request: ((title)).\n\n((made_for_you))\n\n"
        "((reference_line))\n\n((payment_due))\n\n((confirmation_text))\n\n"
        "What happens next\n((next_steps))\n\n((answers))\n\n"
        "Follow your request, and reply to us, here: ((link))\n\n((council_name))",
        sms_body="((council_name)): we have your request ((title)). Your reference is ((reference)). "
        "((payment_due)) Follow it: ((link))",
        letter_subject="Your request ((reference))",
        letter_body="Dear ((name)),\n\nThank you. We have received your request: ((title)).\n\n"
        "((made_for_you))\n\n((reference_line))\n\n((payment_due))\n\n((confirmation_text))\n\n"
        "What happens next\n((next_steps))\n\n((answers))\n\n"
        "You can follow your request online at ((link)), or call us quoting your reference.\n\n"
        "((council_name))",
    ),
    MessageType(
        key=SUBMITTED_PAID,
        name="Request sent and paid (confirmation with receipt)",
        description="The confirmation of a form with a fee, when the resident paid within 15 minutes "
        "of sending it: one message with the request's reference and the payment's receipt.",
        group="Forms",
        placeholders={**_SUBMITTED_PLACEHOLDERS, **_RECEIPT_PLACEHOLDERS},
        email_subject="((title)): we have your request and your payment ((reference))",
        email_body="((test_notice))\n\nThank you. We have received your request: ((title)).\n\n"
        "((made_for_you))\n\n((reference_line))\n\n"
        "You have paid ((fee)): your receipt is at the end of this email.\n\n((confirmation_text))\n\n"
        "What happens next\n((next_steps))\n\n((answers))\n\n"
        "Follow your request, and reply to us, here: ((link))\n\n"
        "Your payment receipt\n\nPayment reference: ((payment_reference))\nAmount: ((amount))\n"
        "Date: ((paid_at))\nWhat it was for: ((paid_for))\n((vat))\n\n"
        "Keep this email as your receipt. You can also see it online: ((receipt_link))\n\n"
        "((council_name))",
        sms_body="((test_notice)) ((council_name)): we have your request ((title)) and your payment of "
        "((amount)). Your reference is ((reference)); payment reference ((payment_reference)). "
        "Follow it: ((link))",
        letter_subject="Your request ((reference)) and your payment",
        letter_body="((test_notice))\n\nDear ((name)),\n\n"
        "Thank you. We have received your request: ((title)).\n\n((made_for_you))\n\n"
        "((reference_line))\n\nYou have paid ((fee)): your receipt is at the end of this letter.\n\n"
        "((confirmation_text))\n\nWhat happens next\n((next_steps))\n\n((answers))\n\n"
        "Your payment receipt\n\nPayment reference: ((payment_reference))\nAmount: ((amount))\n"
        "Date: ((paid_at))\nWhat it was for: ((paid_for))\n((vat))\n\n"
        "Keep this letter as your receipt.\n\n((council_name))",
    ),
)
