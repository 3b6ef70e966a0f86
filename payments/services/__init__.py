"""Payments' public services: one import surface over the package's files, each one concern.

* ``checkout``: creating a payment, opening or reusing the provider's page, cancelling, retrying;
* ``settlement``: the one ``Payment.status`` writer, applying a provider's news, what success means;
* ``refunds``: refunds by staff and automatic ones, sent, settled and recorded from the provider;
* ``bills``: finding, paying and importing bills;
* ``links``: payment links staff send a resident (or open at a desk) to pay a fee or bill;
* ``receipts``: the receipt, by the payer's channel (or inside a form's held confirmation);
* ``reminders``: bill reminders by text, once per bill, before it is due;
* ``states``: the guarded writers of ``Refund.status``, ``Bill.status`` and a link's paid mark;
* ``webhooks``: the providers' webhooks, verified, stored once and processed once, in any order;
* ``housekeeping``: the periodic job.

Other apps import from ``payments.services`` only, never from its files.
"""

from .bills import bill_find, bill_payment_create, bill_resident_set, bill_status_set, bills_import
from .checkout import payment_cancel, payment_create, payment_retry, payment_start
from .errors import PaymentError
from .housekeeping import (
    cases_unpaid_close,
    payments_created_expire,
    payments_housekeeping,
    payments_stuck_settle,
)
from .links import (
    payment_link_checkout,
    payment_link_create,
    payment_link_find,
    payment_link_open,
    payment_link_owed,
    payment_link_payable,
    payment_link_revoke,
    payment_link_send,
    payment_links_attempt_follow,
)
from .receipts import payment_receipt_context, payment_receipt_send
from .refunds import (
    REFUND_OUTSIDE_REASON,
    payment_refund,
    refund_automatic,
    refund_record_from_provider,
    refund_settle,
    refund_submit,
)
from .reminders import bill_reminders_send, bills_due_for_reminder
from .settlement import payment_status_apply, payment_status_sync, payment_transition
from .states import bill_transition, payment_links_paid_mark, refund_transition
from .webhooks import webhook_event_process, webhook_events_retry, webhook_receive

__all__ = [
    "REFUND_OUTSIDE_REASON",
    "PaymentError",
    "bill_find",
    "bill_payment_create",
    "bill_reminders_send",
    "bill_resident_set",
    "bill_status_set",
    "bill_transition",
    "bills_due_for_reminder",
    "bills_import",
    "cases_unpaid_close",
    "payment_cancel",
    "payment_create",
    "payment_link_checkout",
    "payment_link_create",
    "payment_link_find",
    "payment_link_open",
    "payment_link_owed",
    "payment_link_payable",
    "payment_link_revoke",
    "payment_link_send",
    "payment_links_attempt_follow",
    "payment_links_paid_mark",
    "payment_receipt_context",
    "payment_receipt_send",
    "payment_refund",
    "payment_retry",
    "payment_start",
    "payment_status_apply",
    "payment_status_sync",
    "payment_transition",
    "payments_created_expire",
    "payments_housekeeping",
    "payments_stuck_settle",
    "refund_automatic",
    "refund_record_from_provider",
    "refund_settle",
    "refund_submit",
    "refund_transition",
    "webhook_event_process",
    "webhook_events_retry",
    "webhook_receive",
]
