"""Residents' service alerts: subscribe (public, and in My account), confirm, unsubscribe.

The unsubscribe link in every alert works without JavaScript (GET shows a button, POST
unsubscribes) and for mail programs' one-click unsubscribe (RFC 8058: a POST with the body
``List-Unsubscribe=One-Click`` and no cookies or CSRF token)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.constants import ContactPreference
from portal.interactions.visitor import visitor_key
from portal.lib.ratelimit import ratelimit_hit, ratelimit_retry_after, too_many_requests

from .. import selectors, services
from ..constants import AlertChannel, AlertSubscriptionEnd
from ..forms import AlertSubscribeForm
from ..models import AlertSubscription, postcode_district

# Each visitor may ask for this many subscriptions an hour, and each address get this many
# confirmation links: the public form sends messages to whatever address is typed.
SUBSCRIBES_PER_HOUR = 10
LINKS_PER_ADDRESS_PER_HOUR = 3


def _subscribe(form: AlertSubscribeForm, *, user=None) -> AlertSubscription:
    data = form.cleaned_data
    return services.alert_subscribe(
        channel=data["channel"],
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        area=data.get("area", ""),
        user=user,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Get alerts by email or text without an account: started by a link sent to the address."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("alert_subscriptions")
    form = AlertSubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = data.get("email") or data.get("phone") or ""
        visitor, per_address = f"cms:alerts-subscribe:{visitor_key(request)}", f"cms:alerts-link:{address}"
        if ratelimit_hit(visitor, limit=SUBSCRIBES_PER_HOUR, window_seconds=3600) or ratelimit_hit(
            per_address, limit=LINKS_PER_ADDRESS_PER_HOUR, window_seconds=3600
        ):
            return too_many_requests(request, retry_after=ratelimit_retry_after(visitor, window_seconds=3600))
        _subscribe(form)
        return redirect(f"{request.path}check/?by={data['channel']}")
    return render(request, "alerts/subscribe.html", {"form": form})


@require_GET
def subscribe_check(request: HttpRequest) -> HttpResponse:
    """Sent: "check your email" (or phone). Said the same whether or not the address was new."""
    by_text = request.GET.get("by") == AlertChannel.SMS
    return render(request, "alerts/subscribe_check.html", {"by_text": by_text})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a new subscriber: a button starts the alerts (a link scanner's GET does not)."""
    if request.method == "POST":
        subscription = services.alert_subscription_confirm(token=token)
        if subscription is None:
            return render(request, "alerts/link_invalid.html", {"confirming": True}, status=404)
        return render(request, "alerts/confirmed.html", {"subscription": subscription})
    return render(request, "alerts/confirm.html", {})


@csrf_exempt  # mail programs' one-click POST has no CSRF token; the token in the address is the secret
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop alerts from a message's link: GET asks to confirm, POST (the button, or a mail
    program's RFC 8058 one-click request) unsubscribes. Unsubscribing twice is not an error."""
    subscription = selectors.alert_subscription_by_unsubscribe_token(token)
    if subscription is None:
        return render(request, "alerts/link_invalid.html", {}, status=404)
    if request.method == "POST":
        services.alert_unsubscribe(token=token)
        return render(request, "alerts/unsubscribed.html", {"subscription": subscription})
    if subscription.ended_at is not None:
        return render(request, "alerts/unsubscribed.html", {"subscription": subscription})
    return render(request, "alerts/unsubscribe.html", {"subscription": subscription})


def _initial_for(user) -> dict[str, str]:
    district = postcode_district(user.postcode)
    texts = user.contact_preference == ContactPreference.SMS and user.phone
    return {
        "channel": AlertChannel.SMS if texts else AlertChannel.EMAIL,
        "email": user.message_email,
        "phone": user.phone,
        "where": "area" if district else "all",
        "postcode": user.postcode,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """My account: the resident's alert subscriptions, and a form to add one (filled in from
    their details). To their account's own email or phone it starts at once."""
    if request.method == "POST":
        form = AlertSubscribeForm(request.POST)
        if form.is_valid():
            subscription = _subscribe(form, user=request.user)
            where = f"for {subscription.area}" if subscription.area else "for all of the council area"
            if subscription.confirmed_at and subscription.user_id == request.user.pk:
                messages.success(
                    request, f"You will get alerts {where} by {subscription.get_channel_display().lower()}."
                )
            else:
                # The same words whether or not the address was already subscribed by someone
                # else: this page never tells whether another person gets alerts.
                messages.info(
                    request,
                    f"We have sent a link to {subscription.address}, unless it already gets these "
                    f"alerts. Alerts {where} start when the link is followed.",
                )
            return redirect("alert_subscriptions")
    else:
        form = AlertSubscribeForm(initial=_initial_for(request.user))
    return render(
        request,
        "alerts/my_subscriptions.html",
        {"form": form, "subscriptions": list(selectors.alert_subscriptions_for(request.user))},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def subscription_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop one of the resident's own subscriptions (404 for anyone else's)."""
    subscription = selectors.alert_subscription_for(user=request.user, pk=pk)
    if subscription is None:
        raise Http404("No such subscription")
    if request.method == "POST":
        services.alert_subscription_end(subscription=subscription, reason=AlertSubscriptionEnd.CANCELLED)
        messages.success(request, "You will not get those alerts any more.")
        return redirect("alert_subscriptions")
    return render(request, "alerts/my_subscription_cancel.html", {"subscription": subscription})
