"""The outcome question: the rating page (linked from the email) and the form on the case page.

Signed-in residents answer under their case in My account (another resident's case is a
404); anonymous requests answer under the tracking link, so no sign-in is needed. A
"No thanks" button in the same form dismisses the question. Everything works without
JavaScript: the form posts, then redirects back to the case.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..forms import SatisfactionForm
from ..models import Case
from ..selectors import case_for_resident, case_satisfaction_due, case_satisfaction_path
from ..services import CaseError, case_satisfaction_answer, case_satisfaction_dismiss

THANKS = "Thank you for telling us how satisfied you are with the outcome"
DISMISSED = "We will not ask you about the outcome of this request again"
ALREADY = "You have already told us about the outcome of this request. Thank you."


def satisfaction_context(case: Case, *, form: SatisfactionForm | None = None) -> dict:
    """What the case and tracking pages need to show the question, if it is due."""
    if not case_satisfaction_due(case):
        return {"satisfaction_form": None}
    return {
        "satisfaction_form": form or SatisfactionForm(),
        "satisfaction_action": case_satisfaction_path(case),
    }


def _case_url(case: Case) -> str:
    if case.resident_id:
        return reverse("cases:detail", kwargs={"reference": case.reference})
    return reverse("cases:track", kwargs={"token": case.tracking_token})


def _handle(request: HttpRequest, case: Case) -> HttpResponse:
    back = _case_url(case)
    if not case_satisfaction_due(case):
        if case.satisfaction_state:
            messages.info(request, ALREADY)
        return redirect(back)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST":
        try:
            if "dismiss" in request.POST:
                case_satisfaction_dismiss(case=case)
                messages.success(request, DISMISSED)
                return redirect(back)
            if form.is_valid():
                recorded = case_satisfaction_answer(
                    case=case,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    request=request,
                )
                if recorded:
                    messages.success(request, THANKS)
                else:
                    messages.info(request, ALREADY)
                return redirect(back)
        except CaseError as error:
            messages.info(request, str(error))
            return redirect(back)
    response = render(
        request,
        "cases/satisfaction.html",
        {
            "case": case,
            "form": form,
            "satisfaction_form": form,
            "satisfaction_action": request.path,
            "back_url": back,
            "anonymous": case.resident_id is None,
        },
    )
    if case.resident_id is None:
        # The tokenised URL never leaves the site; "same-origin" rather than "no-referrer", under
        # which browsers send "Origin: null" with the page's own forms and CSRF refuses them.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_satisfaction(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_for_resident(request.user, reference)
    if case is None:
        raise Http404("No such case")
    return _handle(request, case)


@never_cache
@require_http_methods(["GET", "POST"])
def track_satisfaction(request: HttpRequest, token: str) -> HttpResponse:
    case = Case.objects.filter(tracking_token=token, resident__isnull=True).first()
    if case is None or len(token) < 20:
        raise Http404("No such case")
    return _handle(request, case)
