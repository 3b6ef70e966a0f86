"""Resident payment pages, "Pay a bill", the sandbox's card page and the provider webhooks.

A payment made while signed in is only ever shown to its owner (anyone else gets 404, and
so does everyone but finance staff once the account is deleted); a payment made without an
account is reached by its reference, which cannot be guessed. A payment link (staff sent it,
or opened it at a desk) lets whoever holds it pay, and then see that one payment's pages in
that browser session, signed in or not.
"""

import contextlib
import hashlib
import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cms.models import CouncilSettings
from portal.lib.client import client_ip
from portal.lib.money import pounds, pounds_value
from portal.lib.pagination import page_of
from portal.lib.ratelimit import (
    ratelimit_count,
    ratelimit_exceeded,
    ratelimit_hit,
    ratelimit_retry_after,
    too_many_requests,
)

from . import services
from .constants import EventSource, Provider, SandboxStatus
from .forms import BillAmountForm, BillLookupForm, SandboxCardForm
from .models import Bill, Payment, SandboxCheckout
from .providers import ProviderError, provider_default
from .providers.sandbox import TEST_CARDS, sandbox_card_submit
from .selectors import payment_for_link_payer, payment_for_resident, payment_list_for_user, receipt_refunds

logger = logging.getLogger(__name__)

# Pages whose form sends the payer on to Stripe Checkout: browsers apply form-action to the
# redirect that follows the POST.
_PAY_CSP = {
    **settings.SECURE_CSP,
    "form-action": [*settings.SECURE_CSP.get("form-action", []), "https://checkout.stripe.com"],
}
SESSION_BILL = "payments_bill"
# "Pay a bill" look-ups that fail (wrong reference or postcode), counted per client
# (``portal.lib.client.client_ip``) over a window: one client guessing postcodes is stopped,
# and nobody else is affected.
LOOKUP_LIMIT = 10
LOOKUP_WINDOW_SECONDS = 15 * 60
# Against guessing one bill's postcode from many clients: once a bill has had this many
# failed look-ups in the window, each client may fail on that bill only
# ``GUARDED_BILL_CLIENT_LIMIT`` times. A client that has not failed on it is never refused,
# so the real payer with the right postcode always gets through.
GUARDED_BILL_AFTER = 50
GUARDED_BILL_CLIENT_LIMIT = 3
# The payments a payment link opened in this browser session (their references).
SESSION_LINK_PAYMENTS = "payments_link_payments"
# Unknown payment-link tokens a client may try in the window before it is answered 429.
LINK_GUESS_LIMIT = 20
LINK_GUESS_WINDOW_SECONDS = 15 * 60


def _payment(request: HttpRequest, reference: str) -> Payment:
    payment = payment_for_resident(request.user, reference)
    if payment is None and _via_link(request, reference):
        payment = payment_for_link_payer(reference)
    if payment is None:
        # Signing in can only help with a payment whose account still exists.
        if (
            not request.user.is_authenticated
            and Payment.objects.filter(reference=reference, user__isnull=False).exists()
        ):
            raise _SignIn
        raise Http404("No such payment")
    return payment


class _SignIn(Exception):
    pass


def _via_link(request: HttpRequest, reference: str) -> bool:
    """This browser reached the payment through a payment link."""
    return reference in request.session.get(SESSION_LINK_PAYMENTS, [])


def _link_grant(request: HttpRequest, payment: Payment) -> None:
    granted = request.session.get(SESSION_LINK_PAYMENTS, [])
    if payment.reference not in granted:
        request.session[SESSION_LINK_PAYMENTS] = [*granted[-19:], payment.reference]


def _not_owner(request: HttpRequest, payment: Payment) -> bool:
    """Paying through a link for someone else's account: the pages say nothing more of theirs."""
    return payment.user_id is not None and request.user.pk != payment.user_id


def _owner_view(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _SignIn:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _council_contact() -> dict:
    try:
        council = CouncilSettings.load()
    except Exception:  # noqa: BLE001 - the page still works without the council's settings
        return {}
    return {"phone": council.phone, "opening_hours": getattr(council, "opening_hours", "")}


def _what_for(payment: Payment) -> dict:
    return {
        "case": payment.case,
        "bill": payment.bill,
        "vat_label": payment.get_vat_status_display() if payment.vat_status else "",
    }


@never_cache
@csp_override(_PAY_CSP)
@require_http_methods(["GET", "POST"])
@_owner_view
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """What is being paid for and how much, with the button that opens the payment page."""
    payment = _payment(request, reference)
    if not payment.is_open:
        return redirect("payments:result", reference=payment.reference)
    error = ""
    if request.method == "POST":
        try:
            payment = services.payment_start(payment=payment, request=request)
        except services.PaymentError as exc:
            error = str(exc)
        else:
            if payment.is_started and payment.next_url:
                return redirect(payment.next_url)
            return redirect("payments:result", reference=payment.reference)
    return render(
        request,
        "payments/pay.html",
        {
            "payment": payment,
            "error": error,
            "expiry_hours": settings.PAYMENT_EXPIRY_HOURS,
            **_what_for(payment),
        },
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET"])
@_owner_view
def payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the payer back: the status is fetched from the provider, never
    taken from this URL."""
    payment = _payment(request, reference)
    services.payment_status_sync(payment=payment, source=EventSource.RETURN, request=request)
    return redirect("payments:result", reference=payment.reference)


@never_cache
@require_http_methods(["GET", "POST"])
@_owner_view
def payment_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """The payer chose "cancel" on the payment page.

    A GET (the provider's "back" link is one) only asks "are you sure?": cancelling is a
    POST with the CSRF token, so a link or image elsewhere cannot cancel someone's payment.
    """
    payment = _payment(request, reference)
    if payment.is_finished:
        return redirect("payments:result", reference=payment.reference)
    if request.method == "POST":
        services.payment_cancel(payment=payment, source=EventSource.RETURN, request=request)
        return redirect("payments:result", reference=payment.reference)
    return render(request, "payments/cancel.html", {"payment": payment, **_what_for(payment)})


@never_cache
@csp_override(_PAY_CSP)
@_owner_view
def result(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation (paid), the "not paid" page with try again, or "being confirmed"."""
    payment = _payment(request, reference)
    if payment.is_created:
        return redirect("payments:pay", reference=payment.reference)
    context = {"payment": payment, "not_owner": _not_owner(request, payment), **_what_for(payment)}
    if payment.is_success:
        return render(request, "payments/confirmation.html", context)
    if payment.is_failure:
        later = payment.retries.order_by("-created_at").first()
        return render(
            request,
            "payments/failure.html",
            {**context, "council": _council_contact(), "newer": later, "can_retry": _can_retry(payment)},
        )
    return render(request, "payments/pending.html", context)


def _can_retry(payment: Payment) -> bool:
    if payment.case_id:
        return payment.case.is_awaiting_payment
    if payment.bill_id:
        return payment.bill.is_payable
    return True


@require_POST
@_owner_view
def retry(request: HttpRequest, reference: str) -> HttpResponse:
    """Try again after a failure: a new attempt for the same amount, straight to the payment page."""
    payment = _payment(request, reference)
    try:
        attempt = services.payment_retry(payment=payment, request=request)
        if _via_link(request, payment.reference):
            _link_grant(request, attempt)
            services.payment_links_attempt_follow(previous=payment, attempt=attempt)
        if attempt.is_created:
            attempt = services.payment_start(payment=attempt, request=request)
    except services.PaymentError as exc:
        context = {"payment": payment, "council": _council_contact(), "error": str(exc), **_what_for(payment)}
        return render(request, "payments/failure.html", context, status=400)
    if attempt.is_started and attempt.next_url:
        return redirect(attempt.next_url)
    return redirect("payments:result", reference=attempt.reference)


@never_cache
@_owner_view
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment(request, reference)
    if not payment.is_success:
        raise Http404("No receipt for this payment")
    return render(
        request,
        "payments/receipt.html",
        {
            "payment": payment,
            "refunds": receipt_refunds(payment),
            "not_owner": _not_owner(request, payment),
            **_what_for(payment),
        },
    )


# The resident's payments, newest first, a page at a time (``?page=``: a bad number is the
# first page, one past the end the last).
HISTORY_PER_PAGE = 20


@never_cache
def history(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    page = page_of(payment_list_for_user(request.user), request.GET.get("page"), per_page=HISTORY_PER_PAGE)
    return render(
        request,
        "payments/history.html",
        {
            "page": page,
            "payments": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        },
    )


# --- Pay a bill -----------------------------------------------------------------------------


def _lookup_keys(request: HttpRequest, reference: str) -> dict[str, str]:
    who = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    bill = hashlib.sha256(reference.strip().upper().encode()).hexdigest()[:32]
    prefix = "payments:bill-lookup"
    return {
        "client": f"{prefix}:client:{who}",
        "bill": f"{prefix}:bill:{bill}",
        "client_bill": f"{prefix}:client-bill:{who}:{bill}",
    }


def _lookup_blocked(keys: dict[str, str]) -> bool:
    # ``ratelimit_exceeded`` is "more than limit": blocked once a count reaches the limit.
    if ratelimit_exceeded(keys["client"], limit=LOOKUP_LIMIT - 1):
        return True
    return ratelimit_exceeded(keys["bill"], limit=GUARDED_BILL_AFTER - 1) and ratelimit_exceeded(
        keys["client_bill"], limit=GUARDED_BILL_CLIENT_LIMIT - 1
    )


def _lookup_failed(keys: dict[str, str]) -> None:
    for key in keys.values():
        ratelimit_count(key, window_seconds=LOOKUP_WINDOW_SECONDS)


@never_cache
@require_http_methods(["GET", "POST"])
def bill_start(request: HttpRequest) -> HttpResponse:
    """Pay a bill: find it by its reference and postcode.

    Failed look-ups are limited per client, never per bill, so nobody can lock a bill for
    its payer by guessing wrong on purpose (see ``LOOKUP_LIMIT`` and ``GUARDED_BILL_AFTER``).
    """
    form = BillLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference, postcode = form.cleaned_data["reference"], form.cleaned_data["postcode"]
        keys = _lookup_keys(request, reference)
        if _lookup_blocked(keys):
            # The window starts at the first failure, so the whole window is the longest wait.
            return too_many_requests(
                request, retry_after=LOOKUP_WINDOW_SECONDS, template="payments/bill_too_many.html"
            )
        bill = services.bill_find(reference=reference, postcode=postcode)
        if bill is None:
            _lookup_failed(keys)
            form.add_error(
                "reference",
                "We could not find a bill with that reference and postcode. Check both against your bill",
            )
        else:
            request.session[SESSION_BILL] = bill.pk
            # Found by its reference and postcode while signed in: the bill is theirs (reminders).
            services.bill_resident_set(bill=bill, user=request.user)
            return redirect("payments:bill_amount")
    return render(request, "payments/bill_start.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def bill_amount(request: HttpRequest) -> HttpResponse:
    """The bill found: the amount due, part payment where allowed, then on to pay."""
    bill = Bill.objects.filter(pk=request.session.get(SESSION_BILL)).first()
    if bill is None:
        return redirect("payments:bill_start")
    if not bill.is_payable:
        return render(request, "payments/bill_paid.html", {"bill": bill})
    ask_email = not request.user.is_authenticated
    form = BillAmountForm(request.POST or None, bill=bill, ask_email=ask_email)
    error = ""
    if request.method == "POST" and form.is_valid():
        amount = form.cleaned_data.get("amount") if bill.allows_part_payment else None
        try:
            payment = services.bill_payment_create(
                bill=bill,
                amount_pence=amount,
                user=request.user if request.user.is_authenticated else None,
                email=form.cleaned_data.get("email", ""),
            )
        except services.PaymentError as exc:
            error = str(exc)
        else:
            request.session.pop(SESSION_BILL, None)
            return redirect("payments:pay", reference=payment.reference)
    if not form.is_bound and "amount" in form.fields:
        form.initial["amount"] = pounds_value(bill.outstanding_pence)
    return render(
        request,
        "payments/bill_amount.html",
        {"bill": bill, "form": form, "error": error, "outstanding": pounds(bill.outstanding_pence)},
        status=400 if (form.errors or error) else 200,
    )


# --- Payment links -------------------------------------------------------------------------


def _link_guess_key(request: HttpRequest) -> str:
    who = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    return f"payments:link-guess:{who}"


@never_cache
@csp_override(_PAY_CSP)
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """A payment link: what is owed and "Continue to payment", with no sign-in (the link is
    the credential, so it works for anyone holding it, signed in or not, staff included).

    An unknown token is a 404; one replaced, cancelled or expired, or with nothing left to
    pay, a 410 saying how to pay another way; a paid one says so, with the payment
    reference. Unknown tokens are counted per client: after ``LINK_GUESS_LIMIT`` in the
    window the client is answered 429, so tokens cannot be guessed by brute force.
    """
    key = _link_guess_key(request)
    if ratelimit_exceeded(key, limit=LINK_GUESS_LIMIT - 1):  # LINK_GUESS_LIMIT misses already
        return too_many_requests(
            request,
            retry_after=ratelimit_retry_after(key, window_seconds=LINK_GUESS_WINDOW_SECONDS),
            template="payments/link_too_many.html",
        )
    found = services.payment_link_find(token=token)
    context = {"council": _council_contact()}
    if found is None:
        ratelimit_hit(key, limit=LINK_GUESS_LIMIT, window_seconds=LINK_GUESS_WINDOW_SECONDS)
        return render(request, "payments/link_gone.html", {**context, "reason": "unknown"}, status=404)
    what, reference, amount_pence = services.payment_link_owed(found)
    context.update(
        {
            "link": found,
            "what": what,
            "reference": reference,
            "amount": pounds(amount_pence),
            "is_test": provider_default() == Provider.SANDBOX,
        }
    )
    if found.paid_at is not None:
        return render(request, "payments/link_paid.html", {**context, "paid_payment": found.paid_payment})
    reason = "revoked" if found.revoked_at else "expired" if found.is_expired else ""
    if not reason and not services.payment_link_payable(found):
        reason = "closed"
    if reason:
        return render(request, "payments/link_gone.html", {**context, "reason": reason}, status=410)
    services.payment_link_open(link=found)
    error = ""
    if request.method == "POST":
        try:
            attempt = services.payment_link_checkout(link=found, request=request)
        except services.PaymentError as exc:
            error = str(exc)
        else:
            _link_grant(request, attempt)
            if attempt.is_started and attempt.next_url:
                return redirect(attempt.next_url)
            return redirect("payments:result", reference=attempt.reference)
    return render(request, "payments/link.html", {**context, "error": error}, status=400 if error else 200)


# --- The sandbox provider's own page --------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest, checkout_id: str) -> HttpResponse:
    """The sandbox's hosted card page, clearly marked as a test: card numbers choose the outcome.

    Gone (404) whenever the sandbox is not the portal's provider, so no test card can "pay"
    on a site that takes real payments."""
    if settings.PAYMENTS_PROVIDER != Provider.SANDBOX:
        raise Http404
    checkout = get_object_or_404(SandboxCheckout, pk=checkout_id)
    if checkout.status != SandboxStatus.OPEN:
        return redirect(checkout.return_url)
    form = SandboxCardForm(request.POST or None, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        # Already used (e.g. in a second tab): the return page shows where it stands.
        with contextlib.suppress(ProviderError):
            sandbox_card_submit(checkout=checkout, card_number=form.cleaned_data["card_number"])
        return redirect(checkout.return_url)
    cards = [(f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}", outcome) for n, outcome in TEST_CARDS.items()]
    return render(
        request,
        "payments/sandbox.html",
        {"checkout": checkout, "form": form, "amount": pounds(checkout.amount_pence), "cards": cards},
        status=400 if form.errors else 200,
    )


# --- Webhooks -------------------------------------------------------------------------------


# Unverified webhook requests a client may send in the window before it is answered 429.
WEBHOOK_UNVERIFIED_LIMIT = 20
WEBHOOK_UNVERIFIED_WINDOW_SECONDS = 10 * 60


def _webhook_live(provider: str) -> bool:
    """Only the configured provider's endpoint answers: the sandbox's only while it is the
    provider (it takes no money), Stripe's only while its webhook secret is set."""
    if provider == "sandbox":
        return settings.PAYMENTS_PROVIDER == "sandbox"
    if provider == "stripe":
        return bool(settings.STRIPE_WEBHOOK_SECRET)
    return False


def _unverified_key(request: HttpRequest) -> str:
    who = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    return f"payments:webhook-unverified:{who}"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's webhook. Nothing is written for a request that does not verify; a client
    that sends more than ``WEBHOOK_UNVERIFIED_LIMIT`` of them in the window is answered 429
    (a verified delivery from it is still accepted, so forged traffic behind a shared proxy
    cannot hold up the provider's)."""
    if not _webhook_live(provider):
        raise Http404
    key = _unverified_key(request)
    over_limit = ratelimit_exceeded(key, limit=WEBHOOK_UNVERIFIED_LIMIT - 1)
    status, reason = services.webhook_receive(
        provider_name=provider,
        body=request.body,
        signature=request.headers.get("Stripe-Signature", ""),
        log_rejection=not over_limit,
    )
    if status == 400:
        if not over_limit:
            over_limit = ratelimit_hit(
                key, limit=WEBHOOK_UNVERIFIED_LIMIT, window_seconds=WEBHOOK_UNVERIFIED_WINDOW_SECONDS
            )
            if over_limit:
                logger.warning(
                    "A client sent more than %s unverified %s webhooks: they are refused with 429, "
                    "and not logged, for up to %s seconds",
                    WEBHOOK_UNVERIFIED_LIMIT,
                    provider,
                    WEBHOOK_UNVERIFIED_WINDOW_SECONDS,
                )
        if over_limit:
            return HttpResponse(
                "Too many unverified requests",
                status=429,
                content_type="text/plain",
                headers={"Retry-After": str(WEBHOOK_UNVERIFIED_WINDOW_SECONDS)},
            )
    return HttpResponse(reason, status=status, content_type="text/plain")
