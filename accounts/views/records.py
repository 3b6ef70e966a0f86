"""My account: adding to your account the record the contact centre kept for you before you
had one (offered by a verified email address, or by an agent on a call; see ``accounts.records``).

Both pages show only records offered to the signed-in account; any other record, or another
resident's, is a 404, so nothing about it leaks. Nothing moves until the resident confirms.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..selectors import resident_record_merged_into, resident_record_offer, resident_record_offers
from ..services import RecordMergeError, RecordNotOffered, resident_record_merge

logger = logging.getLogger(__name__)

ALREADY_ADDED = "The record we kept for you is already part of your account"


@login_required
@never_cache
def record_claim_list(request: HttpRequest) -> HttpResponse:
    """Records offered to the account: straight to the one, or a list to choose from."""
    offers = resident_record_offers(user=request.user)
    if not offers:
        raise Http404("No record offered")
    if len(offers) == 1:
        return redirect("account_record_claim", record_id=offers[0].record.pk)
    return render(request, "accounts/record_claim_list.html", {"offers": offers})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_claim(request: HttpRequest, record_id: int) -> HttpResponse:
    """What the record holds and what adding it does (GET); adding it (POST)."""
    offer = resident_record_offer(user=request.user, record_id=record_id)
    if offer is None:
        if resident_record_merged_into(user=request.user, record_id=record_id):
            messages.info(request, ALREADY_ADDED)
            return redirect("my_account")
        raise Http404("No such record offered")
    context = {"offer": offer, "own_support_needs": request.user.support_needs_or_none is not None}
    if request.method == "POST":
        try:
            merged = resident_record_merge(record=offer.record, user=request.user)
        except RecordNotOffered as exc:
            raise Http404("No such record offered") from exc
        except RecordMergeError:
            logger.exception("Record %s could not be added to account %s", record_id, request.user.pk)
            return render(request, "accounts/record_claim.html", {**context, "failed": True})
        if merged.already_done:
            messages.info(request, ALREADY_ADDED)
        else:
            count = len(merged.case_references)
            moved = f": {count} request{'s' if count != 1 else ''} added to Your requests" if count else ""
            messages.success(request, f"The record we kept for you is now part of your account{moved}")
        return redirect("my_account")
    return render(request, "accounts/record_claim.html", context)
