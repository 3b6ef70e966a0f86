"""Provider messages in any order end in the same state, for both providers.

Every event type the portal acts on (``payments.services.webhooks.EVENT_TYPES``) is delivered, signed,
through the real endpoint: every pair of them in both orders, and whole stories (the
messages a provider sends for one thing that happened) in every ordering. Each run starts
from a fresh payment, and the provider's own records (the fake Stripe server, or the
sandbox's tables) hold what happened, as the real provider would by the time late messages
arrive. A message that cannot apply yet (a refund before the payment's success) is kept
and applied later, never lost.
"""

import itertools
import json
import secrets
import time
import uuid
from datetime import timedelta

import pytest
import stripe

from django.urls import reverse
from django.utils import timezone

from payments.constants import PaymentStatus, RefundStatus, WebhookStatus
from payments.models import Payment, SandboxCheckout, SandboxRefund, WebhookEvent
from payments.providers.sandbox import sandbox_webhook_secret, session_object
from payments.services import payment_refund, payment_start, payment_status_sync, payments_housekeeping
from payments.services.webhooks import DEFER_FOR, EVENT_TYPES
from tests.accounts.factories import StaffFactory

from .conftest import WEBHOOK_SECRET
from .factories import fee_case

pytestmark = pytest.mark.django_db

PAID = 2000
REFUNDED = 500

# One name per kind of message: an event type, and for checkout sessions the state the
# session is in when the event is sent.
MESSAGES = {
    "completed": "checkout.session.completed",  # card payment: complete and paid
    "completed_unpaid": "checkout.session.completed",  # delayed method: complete, not yet paid
    "async_succeeded": "checkout.session.async_payment_succeeded",
    "async_failed": "checkout.session.async_payment_failed",
    "expired": "checkout.session.expired",
    "charge_refunded": "charge.refunded",  # a refund of REFUNDED made in the provider's dashboard
    "refund_created": "refund.created",  # ...as it is created (pending)
    "refund_updated": "refund.updated",  # ...when it succeeds
    "refund_failed": "refund.failed",  # ...when it fails
}
REFUND_MESSAGES = {"charge_refunded", "refund_created", "refund_updated", "refund_failed"}

# A session that completed cannot expire, so Stripe never sends both of these; they are the
# only two failures with different reasons, and the first reason recorded stays.
NEVER_TOGETHER = {frozenset({"expired", "async_failed"})}
PAIRS = [pair for pair in itertools.combinations(MESSAGES, 2) if frozenset(pair) not in NEVER_TOGETHER]


def test_the_messages_cover_every_event_type_the_portal_acts_on():
    assert set(MESSAGES.values()) == set(EVENT_TYPES)


class World:
    """A fresh payment started with ``provider``, what the provider knows about it, and the
    signed messages the provider sends about it."""

    def __init__(self, web, provider: str, fake_stripe=None, *, dashboard_refund: str = ""):
        self.web, self.provider, self.fake = web, provider, fake_stripe
        self.case, payment = fee_case(amount_pence=PAID)
        self.payment = payment_start(payment=payment)
        assert self.payment.provider == provider
        self.delivered: list[str] = []
        self.refund_id = ""
        if provider == "stripe":
            self.session = dict(fake_stripe.sessions[self.payment.provider_id])
        else:
            self.checkout = SandboxCheckout.objects.get(pk=self.payment.provider_id)
            self.session = session_object(self.checkout)
        self.intent = self.session["payment_intent"]
        if dashboard_refund:
            self._refund_at_provider(dashboard_refund)

    def _refund_at_provider(self, status: str) -> None:
        """The provider's record of a refund made in its dashboard, as it finally stands."""
        if self.provider == "stripe":
            refund = self.fake.dashboard_refund(self.payment.provider_id, REFUNDED, status=status)
            self.refund_id = refund["id"]
        else:
            self.refund_id = SandboxRefund.objects.create(
                checkout=self.checkout, amount_pence=REFUNDED, idempotency_key=uuid.uuid4().hex, status=status
            ).pk

    def _session(self, status: str, payment_status: str) -> dict:
        return {**self.session, "status": status, "payment_status": payment_status}

    def _refund(self, status: str, **extra) -> dict:
        refund = {
            "id": self.refund_id,
            "object": "refund",
            "amount": REFUNDED,
            "currency": "gbp",
            "payment_intent": self.intent,
            "status": status,
            "metadata": {},
            **extra,
        }
        if status == "failed":
            refund["failure_reason"] = "expired_or_canceled_card"
        return refund

    def message(self, name: str) -> tuple[str, dict]:
        obj = {
            "completed": lambda: self._session("complete", "paid"),
            "completed_unpaid": lambda: self._session("complete", "unpaid"),
            "async_succeeded": lambda: self._session("complete", "paid"),
            "async_failed": lambda: self._session("complete", "unpaid"),
            "expired": lambda: self._session("expired", "unpaid"),
            "charge_refunded": lambda: {
                "id": f"ch_{secrets.token_hex(8)}",
                "object": "charge",
                "amount": PAID,
                "amount_refunded": REFUNDED,
                "refunded": False,
                "payment_intent": self.intent,
                "metadata": {},
            },
            "refund_created": lambda: self._refund("pending"),
            "refund_updated": lambda: self._refund("succeeded"),
            "refund_failed": lambda: self._refund("failed"),
        }[name]()
        return MESSAGES[name], obj

    def deliver(self, name: str, obj: dict | None = None) -> None:
        kind, default = self.message(name)
        event_id = f"evt_{secrets.token_hex(12)}"
        body = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": kind,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj if obj is not None else default},
            }
        )
        secret = WEBHOOK_SECRET if self.provider == "stripe" else sandbox_webhook_secret()
        response = self.web.post(
            reverse("payments:webhook", kwargs={"provider": self.provider}),
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe.WebhookSignature.generate_signature_header(body, secret),
        )
        assert response.status_code == 200, response.content
        self.delivered.append(event_id)

    def outcome(self) -> dict:
        payment = Payment.objects.get(pk=self.payment.pk)
        self.case.refresh_from_db()
        events = WebhookEvent.objects.filter(provider=self.provider, event_id__in=self.delivered)
        return {
            "payment": (payment.status, payment.failure_code, payment.amount_refunded_pence),
            "case": self.case.status,
            "refunds": sorted(
                (r.amount_pence, r.status, "dashboard" if r.provider_id == self.refund_id else r.reason)
                for r in payment.refunds.all()
            ),
            "times paid": payment.events.filter(type="status_change", status_to="success").count(),
            "receipt sent": payment.receipt_sent_at is not None,
            "still waiting": sorted(events.filter(status="deferred").values_list("type", flat=True)),
            "failed": events.filter(status=WebhookStatus.FAILED).count(),
        }


def _refund_status_at_provider(names) -> str:
    if not REFUND_MESSAGES & set(names):
        return ""
    return "failed" if "refund_failed" in names else "succeeded"


def _run(web, provider, fake_stripe, order) -> dict:
    world = World(web, provider, fake_stripe, dashboard_refund=_refund_status_at_provider(order))
    for name in order:
        world.deliver(name)
    return world.outcome()


@pytest.fixture(params=["stripe", "sandbox"])
def provider(request):
    """The provider every payment in the test is made with."""
    if request.param == "stripe":
        return "stripe", request.getfixturevalue("fake_stripe")
    request.getfixturevalue("settings").PAYMENTS_PROVIDER = "sandbox"
    return "sandbox", None


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(pair) for pair in PAIRS])
def test_every_pair_of_messages_in_either_order_ends_the_same(web, provider, pair):
    name, fake = provider
    first, second = _run(web, name, fake, pair), _run(web, name, fake, tuple(reversed(pair)))
    assert first == second, f"{pair} and its reverse end differently"
    assert first["failed"] == 0
    paid = {"completed", "async_succeeded"} & set(pair)
    assert (first["payment"][0] == PaymentStatus.SUCCESS) == bool(paid)
    assert first["times paid"] == (1 if paid else 0)
    if paid and REFUND_MESSAGES & set(pair):
        assert not first["still waiting"], "a refund message was left waiting after the payment succeeded"


STORIES = {
    "card payment, then part refunded in the dashboard": (
        ("completed", "charge_refunded", "refund_created", "refund_updated"),
        {
            "payment": ("success", "", REFUNDED),
            "refunds": [(REFUNDED, RefundStatus.SUCCESS, "dashboard")],
        },
    ),
    "card payment, then a dashboard refund that fails": (
        ("completed", "charge_refunded", "refund_created", "refund_failed"),
        {
            "payment": ("success", "", 0),
            "refunds": [(REFUNDED, RefundStatus.ERROR, "dashboard")],
        },
    ),
    "delayed payment method that settles, then part refunded": (
        ("completed_unpaid", "async_succeeded", "charge_refunded", "refund_created", "refund_updated"),
        {
            "payment": ("success", "", REFUNDED),
            "refunds": [(REFUNDED, RefundStatus.SUCCESS, "dashboard")],
        },
    ),
    "delayed payment method that settles": (
        ("completed_unpaid", "async_succeeded"),
        {"payment": ("success", "", 0), "refunds": []},
    ),
    "delayed payment method that fails": (
        ("completed_unpaid", "async_failed"),
        {"payment": ("failed", "declined", 0), "refunds": []},
    ),
    "checkout expired, but the money was taken, then part refunded": (
        ("expired", "completed", "charge_refunded", "refund_updated"),
        {
            "payment": ("success", "", REFUNDED),
            "refunds": [(REFUNDED, RefundStatus.SUCCESS, "dashboard")],
        },
    ),
}
# The sandbox sends only the checkout messages; the longest story runs once, with Stripe.
SANDBOX_STORIES = (
    "card payment, then part refunded in the dashboard",
    "delayed payment method that settles",
)


def _story_cases():
    for title in STORIES:
        yield pytest.param("stripe", title, id=f"stripe: {title}")
        if title in SANDBOX_STORIES:
            yield pytest.param("sandbox", title, id=f"sandbox: {title}")


@pytest.mark.parametrize(("provider_name", "title"), list(_story_cases()))
def test_every_ordering_of_a_story_ends_in_its_one_outcome(web, settings, request, provider_name, title):
    if provider_name == "stripe":
        fake = request.getfixturevalue("fake_stripe")
    else:
        fake, settings.PAYMENTS_PROVIDER = None, "sandbox"
    messages, expected = STORIES[title]
    paid = expected["payment"][0] == PaymentStatus.SUCCESS
    want = {
        **expected,
        "case": "submitted" if paid else "awaiting_payment",
        "times paid": 1 if paid else 0,
        "receipt sent": paid,
        "still waiting": [],
        "failed": 0,
    }
    ends = {}
    for order in itertools.permutations(messages):
        outcome = _run(web, provider_name, fake, order)
        if outcome != want:
            ends[order] = outcome
    assert not ends, f"{len(ends)} orderings ended differently, e.g. {next(iter(ends.items()))}"


def test_every_ordering_of_the_messages_about_a_refund_made_in_the_portal(web, fake_stripe):
    """Staff refund part of a payment; Stripe's messages about it and the payment's own
    (late) ``completed`` arrive in any order: one refund, which succeeded."""
    staff = StaffFactory()
    fake_stripe.refund_status = "pending"
    ends = {}
    messages = ("completed", "refund_created", "refund_updated", "charge_refunded")
    for order in itertools.permutations(messages):
        world = World(web, "stripe", fake_stripe)
        fake_stripe.complete(world.payment.provider_id)
        payment_status_sync(payment=world.payment)  # the payer came back before any webhook
        refund = payment_refund(
            payment=world.payment, amount_pence=REFUNDED, reason="Partly cancelled", staff=staff
        )
        assert refund.status == RefundStatus.SUBMITTED
        world.refund_id = refund.provider_id
        fake_stripe.refunds[refund.provider_id]["status"] = "succeeded"  # what Stripe holds by now
        metadata = {"refund_id": str(refund.pk), "payment_reference": world.payment.reference}
        for name in order:
            kind, obj = world.message(name)
            if name.startswith("refund_"):
                obj = {**obj, "metadata": metadata}
            world.deliver(name, obj)
        outcome = world.outcome()
        want = {
            "payment": ("success", "", REFUNDED),
            "case": "submitted",
            # (labelled "dashboard": the provider's refund is the portal's own)
            "refunds": [(REFUNDED, RefundStatus.SUCCESS, "dashboard")],
            "times paid": 1,
            "receipt sent": True,
            "still waiting": [],
            "failed": 0,
        }
        if outcome != want:
            ends[order] = outcome
    assert not ends, f"{len(ends)} orderings ended differently, e.g. {next(iter(ends.items()))}"


# --- A message that cannot apply yet is kept, then applied ----------------------------------


def test_a_refund_that_arrives_before_the_payments_success_is_kept_and_applied(web, fake_stripe):
    """The finding: charge.refunded before checkout.session.completed was marked processed and
    lost, so the £5 refund was never recorded."""
    world = World(web, "stripe", fake_stripe, dashboard_refund="succeeded")
    world.deliver("charge_refunded")
    early = WebhookEvent.objects.get(type="charge.refunded")
    assert early.status == WebhookStatus.DEFERRED and early.processed_at is None
    assert Payment.objects.get(pk=world.payment.pk).amount_refunded_pence == 0

    world.deliver("completed")
    early.refresh_from_db()
    payment = Payment.objects.get(pk=world.payment.pk)
    assert payment.status == PaymentStatus.SUCCESS and payment.amount_refunded_pence == REFUNDED
    assert early.status == WebhookStatus.PROCESSED and early.processed_at is not None
    assert early.payment_id == payment.pk


def test_a_refund_of_a_charge_not_known_yet_waits_for_the_payment_that_names_it(web, fake_stripe):
    """Stripe names a Checkout Session's PaymentIntent only once it is paid: until the
    ``completed`` event says which payment a charge belongs to, its refund cannot be placed."""
    world = World(web, "stripe", fake_stripe, dashboard_refund="succeeded")
    Payment.objects.filter(pk=world.payment.pk).update(provider_payment_intent="")
    world.deliver("charge_refunded")
    early = WebhookEvent.objects.get(type="charge.refunded")
    assert (early.status, early.payment) == (WebhookStatus.DEFERRED, None)
    world.deliver("completed")  # names the PaymentIntent
    early.refresh_from_db()
    assert early.status == WebhookStatus.PROCESSED and early.payment_id == world.payment.pk
    assert Payment.objects.get(pk=world.payment.pk).amount_refunded_pence == REFUNDED


def test_a_waiting_refund_applies_when_the_payer_returns_and_the_status_is_fetched(
    web, fake_stripe, django_capture_on_commit_callbacks
):
    world = World(web, "stripe", fake_stripe, dashboard_refund="succeeded")
    world.deliver("charge_refunded")
    fake_stripe.complete(world.payment.provider_id)
    with django_capture_on_commit_callbacks(execute=True):
        payment_status_sync(payment=world.payment)  # no webhook: the return page's status fetch
    payment = Payment.objects.get(pk=world.payment.pk)
    assert payment.status == PaymentStatus.SUCCESS and payment.amount_refunded_pence == REFUNDED
    assert WebhookEvent.objects.get(type="charge.refunded").status == WebhookStatus.PROCESSED


def test_housekeeping_applies_waiting_messages_and_gives_up_after_a_week(web, fake_stripe, caplog):
    from payments.services import payment_transition

    world = World(web, "stripe", fake_stripe, dashboard_refund="succeeded")
    world.deliver("charge_refunded")
    # The payment succeeds by a path that wakes nothing (e.g. an older release): the job finds it.
    fake_stripe.complete(world.payment.provider_id)
    payment_transition(payment=world.payment, to=PaymentStatus.SUCCESS, source="system")
    payments_housekeeping()
    assert Payment.objects.get(pk=world.payment.pk).amount_refunded_pence == REFUNDED

    # A refund of a charge no payment here has: kept for a week, then given up and logged.
    stranger = World(web, "stripe", fake_stripe)
    stranger.intent = "pi_not_ours"
    stranger.deliver("refund_updated", {**stranger.message("refund_updated")[1], "id": "re_not_ours"})
    event = WebhookEvent.objects.get(payload__data__object__id="re_not_ours")
    assert event.status == WebhookStatus.DEFERRED
    payments_housekeeping()
    event.refresh_from_db()
    assert event.status == WebhookStatus.DEFERRED
    week_ago = timezone.now() - DEFER_FOR - timedelta(minutes=1)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=week_ago)
    payments_housekeeping()
    event.refresh_from_db()
    assert event.status == WebhookStatus.IGNORED and event.note.startswith("given up after 7 days")
    assert event.processed_at is not None
    assert "given up" in caplog.text
