"""Residents' case pages in My account, and the tracking link for anonymous requests.

Every resident URL looks the case up by reference *and* owner, so another resident's
case is a 404, never a 403: nothing about it leaks. Someone acting for the resident under an
active arrangement (``accounts`` proxies) sees the same pages; they may message, withdraw or
reopen only if it lets them send requests and messages (otherwise 403: they can see the case).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from payments import selectors as payment_selectors
from portal.lib.client import client_ip
from portal.lib.pagination import page_number
from portal.lib.ratelimit import ratelimit_hit
from portal.lib.uploads import upload_limit

from ..forms import ATTACHMENT_LIMITS, MessageForm, TrackMessageForm, WithdrawForm, reopen_form_class
from ..models import Case, CaseAttachment
from ..selectors import (
    CaseAccess,
    case_access_for,
    case_answer_rows,
    case_claimable_for_resident,
    case_next_steps,
    case_page_for_resident,
    case_public_timeline,
)
from ..services import (
    CaseError,
    case_claim,
    case_message_send,
    case_message_send_anonymous,
    case_reopen,
    case_reopen_anonymous,
    case_view_record,
    case_withdraw,
)
from .satisfaction import satisfaction_context

ANSWERS_TEMPLATE = "forms_engine/includes/answers.html"

# Messages (and review requests) from a tracking link: per case, and per address, each hour.
TRACK_MESSAGES_PER_HOUR = 5
TRACK_MESSAGES_PER_IP_PER_HOUR = 20
TRACK_RATE_LIMITED = (
    "You have sent too many messages in the last hour. Try again in an hour, or contact us quoting "
    "your reference {reference}."
)


def _case_access(request: HttpRequest, reference: str, *, submit: bool = False) -> CaseAccess:
    """The case, for its resident or someone acting for them; ``submit`` also needs the right
    to send messages and make changes."""
    access = case_access_for(request.user, reference)
    if access is None:
        raise Http404("No such case")
    if submit and not access.can_submit:
        raise PermissionDenied("You cannot make changes to this request")
    return access


def _own_case(request: HttpRequest, reference: str, *, submit: bool = False) -> Case:
    return _case_access(request, reference, submit=submit).case


def _answers_template() -> str | None:
    try:
        get_template(ANSWERS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return ANSWERS_TEMPLATE


@login_required
@never_cache
def case_list(request: HttpRequest) -> HttpResponse:
    """The resident's requests, a page at a time (``?page=``: a bad number is the first page,
    one past the end the last)."""
    page = case_page_for_resident(request.user, request.GET.get("page"))
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "cases": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
            "claimable_count": case_claimable_for_resident(request.user).count(),
        },
    )


# Where "Show older updates" leads: the timeline's heading on the same page.
TIMELINE_ANCHOR = "updates"


def _timeline_context(request: HttpRequest, case: Case, url: str) -> dict:
    """The newest page of updates, or the one ``?timeline_page=`` asks for, and where its
    "Show older updates" and "Show newer updates" links go (plain links: no JavaScript needed)."""
    timeline = case_public_timeline(case, page=request.GET.get("timeline_page"))
    return {"timeline": timeline, "timeline_url": url, "timeline_anchor": TIMELINE_ANCHOR}


def _first_look(request: HttpRequest) -> bool:
    """The case page itself, not an older page of its updates: only that is a case view (its
    progress-chasing outcome and unread marker); paging back through the updates is the same look."""
    return page_number(request.GET.get("timeline_page")) == 1


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_claim_view(request: HttpRequest) -> HttpResponse:
    """ "We found N requests made with this email: add them to your account?" and its confirmation."""
    claimable = list(case_claimable_for_resident(request.user))
    if not claimable:
        messages.info(request, "There are no requests to add to your account")
        return redirect("cases:list")
    if request.method == "POST":
        claimed = case_claim(user=request.user, references=[case.reference for case in claimable])
        count = len(claimed)
        messages.success(
            request,
            f"{count} request{'s' if count != 1 else ''} added to your account"
            if count
            else "There are no requests to add to your account",
        )
        return redirect("cases:list")
    return render(request, "cases/case_claim.html", {"cases": claimable})


def _detail_context(
    request, case: Case, *, form=None, reopen_form=None, access: CaseAccess | None = None
) -> dict:
    access = access or _case_access(request, case.reference)
    rows = case_answer_rows(case)
    can_submit = access.can_submit
    return {
        "case": case,
        "access": access,
        "acting_for": access.proxy.resident if access.proxy else None,
        **_timeline_context(request, case, reverse("cases:detail", kwargs={"reference": case.reference})),
        "next_steps": case_next_steps(case),
        "rows": rows,
        "answers_template": _answers_template() if rows is not None else None,
        "form": form if form is not None else (MessageForm() if case.is_open and can_submit else None),
        "reopen_form": reopen_form or (reopen_form_class(case)() if case.can_reopen and can_submit else None),
        "reopen_action": reverse("cases:reopen", kwargs={"reference": case.reference}),
        # Someone acting for the resident pays from here; the resident also has My account.
        "payment_due": payment_selectors.payment_open_for_case(case.pk)
        if access.can_pay and case.is_awaiting_payment
        else None,
        # The outcome question is the resident's own to answer.
        **(satisfaction_context(case) if not access.is_proxy else {"satisfaction_form": None}),
    }


@login_required
@never_cache
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    access = _case_access(request, reference)
    context = _detail_context(request, access.case, access=access)
    if _first_look(request):
        case_view_record(case=access.case, request=request, by_proxy=access.is_proxy)
    return render(request, "cases/case_detail.html", context)


@upload_limit(ATTACHMENT_LIMITS)
@login_required
@never_cache
@require_http_methods(["POST"])
def case_message(request: HttpRequest, reference: str) -> HttpResponse:
    """A message, or the reply the officer asked for, with any files."""
    case = _own_case(request, reference, submit=True)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        was_awaiting = case.is_awaiting_resident
        try:
            case_message_send(
                case=case,
                user=request.user,
                message=form.cleaned_data["message"],
                files=form.cleaned_data["files"],
                request=request,
            )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Your reply has been sent. The officer will carry on with your request."
                if was_awaiting
                else "Your message has been sent",
            )
            return redirect("cases:detail", reference=case.reference)
    case.refresh_from_db()
    return render(request, "cases/case_detail.html", _detail_context(request, case, form=form), status=200)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_withdraw_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _own_case(request, reference, submit=True)
    if not case.can_withdraw:
        messages.info(request, "This request can no longer be withdrawn")
        return redirect("cases:detail", reference=case.reference)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case_withdraw(case=case, user=request.user, reason=form.cleaned_data["reason"], request=request)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"You have withdrawn request {case.reference}")
            return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/case_withdraw.html", {"case": case, "form": form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_reopen_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _own_case(request, reference, submit=True)
    if not case.can_reopen:
        messages.info(request, "This request can no longer be reopened. Make a new request instead.")
        return redirect("cases:detail", reference=case.reference)
    review = case.is_rejected
    form = reopen_form_class(case)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case_reopen(case=case, user=request.user, reason=form.cleaned_data["reason"], request=request)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _reopened_message(case, review=review))
            return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/case_reopen.html", {"case": case, "form": form, "review": review})


def _reopened_message(case: Case, *, review: bool) -> str:
    if review:
        return f"You have asked for a review of request {case.reference}. An officer will look at it again."
    return f"You have reopened request {case.reference}. An officer will look at it again."


def attachment_response(attachment: CaseAttachment) -> FileResponse:
    """A private file as a download, never rendered inline by the browser."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache
def attachment_download(request: HttpRequest, reference: str, pk) -> HttpResponse:
    case = _own_case(request, reference)
    attachment = get_object_or_404(CaseAttachment, pk=pk, case=case)
    return attachment_response(attachment)


def _tracked_case(token: str) -> Case:
    case = Case.objects.filter(tracking_token=token, resident__isnull=True).first()
    if case is None or len(token) < 20:
        raise Http404("No such case")
    return case


def _track_response(request: HttpRequest, case: Case, *, form=None, reopen_form=None) -> HttpResponse:
    context = {
        "case": case,
        **_timeline_context(request, case, reverse("cases:track", kwargs={"token": case.tracking_token})),
        "next_steps": case_next_steps(case),
        "form": form if form is not None else (TrackMessageForm() if case.is_open else None),
        "reopen_form": reopen_form or (reopen_form_class(case)() if case.can_reopen else None),
        "reopen_action": reverse("cases:track_reopen", kwargs={"token": case.tracking_token}),
        **satisfaction_context(case),
    }
    response = render(request, "cases/case_track.html", context)
    # The tokenised URL never leaves the site; "same-origin" rather than "no-referrer", under
    # which browsers send "Origin: null" with the page's own forms and CSRF refuses them.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _track_rate_limited(request: HttpRequest, case: Case) -> bool:
    by_case = ratelimit_hit(f"cases:track:{case.pk}", limit=TRACK_MESSAGES_PER_HOUR, window_seconds=3600)
    by_ip = ratelimit_hit(
        f"cases:track:ip:{client_ip(request)}", limit=TRACK_MESSAGES_PER_IP_PER_HOUR, window_seconds=3600
    )
    return by_case or by_ip


@never_cache
def case_track(request: HttpRequest, token: str) -> HttpResponse:
    """An anonymous request's public timeline, for whoever holds the link we emailed."""
    case = _tracked_case(token)
    response = _track_response(request, case)
    if _first_look(request):
        case_view_record(case=case, request=request)
    return response


@never_cache
@require_http_methods(["POST"])
def track_message(request: HttpRequest, token: str) -> HttpResponse:
    """A message (or the reply the officer asked for) from the tracking page."""
    case = _tracked_case(token)
    form = TrackMessageForm(request.POST)
    if form.is_valid():
        if _track_rate_limited(request, case):
            form.add_error("message", TRACK_RATE_LIMITED.format(reference=case.reference))
            return _track_response(request, case, form=form)
        was_awaiting = case.is_awaiting_resident
        try:
            case_message_send_anonymous(
                case=case, token=token, message=form.cleaned_data["message"], request=request
            )
        except CaseError as error:
            form.add_error("message", str(error))
        else:
            messages.success(
                request,
                "Your reply has been sent. The officer will carry on with your request."
                if was_awaiting
                else "Your message has been sent",
            )
            return redirect("cases:track", token=token)
    case.refresh_from_db()
    return _track_response(request, case, form=form)


@never_cache
@require_http_methods(["POST"])
def track_reopen(request: HttpRequest, token: str) -> HttpResponse:
    """Reopening, or asking for a review of, an anonymous request from its tracking page."""
    case = _tracked_case(token)
    if not case.can_reopen:
        messages.info(request, "This request can no longer be reopened. Make a new request instead.")
        return redirect("cases:track", token=token)
    review = case.is_rejected
    form = reopen_form_class(case)(request.POST)
    if form.is_valid():
        if _track_rate_limited(request, case):
            form.add_error("reason", TRACK_RATE_LIMITED.format(reference=case.reference))
            return _track_response(request, case, reopen_form=form)
        try:
            case_reopen_anonymous(case=case, token=token, reason=form.cleaned_data["reason"], request=request)
        except CaseError as error:
            form.add_error("reason", str(error))
        else:
            messages.success(request, _reopened_message(case, review=review))
            return redirect("cases:track", token=token)
    return _track_response(request, case, reopen_form=form)
