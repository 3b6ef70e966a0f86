"""My account: the people who act for a resident, their invitation, and the residents a person
acts for (with their requests, opened on the usual case pages).

Every page with an id looks it up by id *and* the signed-in account (the resident's own
arrangement, or an active one the person acts under), so anyone else gets a 404. The
invitation page is only for an account with a verified address matching the invitation.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.cases import selectors as case_selectors

from ..forms.proxies import PERMISSION_PAY, PERMISSION_SUBMIT, ProxyInviteForm
from ..models import Proxy
from ..selectors import (
    acting_for,
    proxies_for_resident,
    proxy_acting,
    proxy_invitation_for_token,
    proxy_invitation_match,
    proxy_of_resident,
)
from ..services import ProxyError, proxy_accept, proxy_decline, proxy_end, proxy_invite

_FORM_FIELDS = {"ends_on": "ends_on_day"}


@login_required
@never_cache
def proxies(request: HttpRequest) -> HttpResponse:
    """People who can act for you (and invitations waiting for an answer), and people you act for."""
    return render(
        request,
        "accounts/proxies.html",
        {"proxies": proxies_for_resident(request.user), "acting": acting_for(request.user)},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def proxy_add(request: HttpRequest) -> HttpResponse:
    form = ProxyInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proxy, _token = proxy_invite(
                resident=request.user,
                email=data["email"],
                relationship=data["relationship"],
                can_submit=PERMISSION_SUBMIT in data["permissions"],
                can_pay=PERMISSION_PAY in data["permissions"],
                ends_on=data["ends_on"],
            )
        except ProxyError as error:
            form.add_error(_FORM_FIELDS.get(error.field or "", error.field), error.message)
        else:
            messages.success(
                request,
                f"We have emailed an invitation to {proxy.invite_email}. "
                "They can act for you once they accept it.",
            )
            return redirect("account_proxies")
    return render(request, "accounts/proxies_add.html", {"form": form})


def _own(request: HttpRequest, pk: int) -> Proxy:
    proxy = proxy_of_resident(request.user, pk)
    if proxy is None:
        raise Http404("No such person")
    return proxy


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def proxy_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Are you sure?", then stop someone acting for you (or withdraw an invitation)."""
    proxy = _own(request, pk)
    if not proxy.can_be_ended:
        messages.info(request, "This has already ended")
        return redirect("account_proxies")
    if request.method == "POST":
        try:
            proxy_end(proxy=proxy, by=request.user)
        except ProxyError as error:
            messages.info(request, error.message)
        else:
            who = proxy.person.full_name if proxy.person and proxy.person.full_name else proxy.invite_email
            messages.success(
                request,
                f"{who} can no longer act for you" if proxy.accepted_at else f"Invitation to {who} withdrawn",
            )
        return redirect("account_proxies")
    return render(request, "accounts/proxies_end.html", {"proxy": proxy})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def proxy_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: accept or decline acting for the resident who sent it.

    Another account (no address matching the invitation) gets a 404, as for any page that is
    not theirs; the invited person whose address is not confirmed yet is told to confirm it.
    """
    proxy = proxy_invitation_for_token(token)
    match = proxy_invitation_match(proxy=proxy, user=request.user) if proxy else ""
    if proxy is None or not match:
        raise Http404("No such invitation")
    if request.method == "POST" and match == "verified" and proxy.is_pending:
        try:
            if "decline" in request.POST:
                proxy_decline(proxy=proxy, person=request.user)
                messages.success(request, f"You have declined to act for {proxy.resident}")
                return redirect("my_account")
            proxy = proxy_accept(proxy=proxy, person=request.user)
        except ProxyError as error:
            messages.info(request, error.message)
            return redirect("account_proxy_invitation", token=token)
        messages.success(request, f"You can now act for {proxy.resident}")
        return redirect("account_acting_for", pk=proxy.pk)
    response = render(request, "accounts/proxies_invitation.html", {"proxy": proxy, "match": match})
    # The token is in the URL: never send it on to another site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _acting(request: HttpRequest, pk: int) -> Proxy:
    proxy = proxy_acting(request.user, pk)
    if proxy is None:
        raise Http404("No such person")
    return proxy


@login_required
@never_cache
def acting_for_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """The requests of a resident the signed-in person acts for (each opens on its case page),
    a page at a time as on the resident's own list."""
    proxy = _acting(request, pk)
    page = case_selectors.case_page_for_resident(proxy.resident, request.GET.get("page"))
    return render(
        request,
        "accounts/proxies_acting.html",
        {
            "proxy": proxy,
            "page": page,
            "cases": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def acting_stop(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Are you sure?", then stop acting for the resident."""
    proxy = _acting(request, pk)
    if request.method == "POST":
        try:
            proxy_end(proxy=proxy, by=request.user)
        except ProxyError as error:
            messages.info(request, error.message)
        else:
            messages.success(request, f"You no longer act for {proxy.resident}")
        return redirect("account_proxies")
    return render(request, "accounts/proxies_stop.html", {"proxy": proxy})
