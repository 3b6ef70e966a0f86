"""Public views of the content app that are not Wagtail pages: site search, robots.txt, and
"Was this page useful?" (htmx swaps in place, or POST/redirect without JavaScript)."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from wagtail.models import Site

from portal.interactions.visitor import visitor_key
from portal.lib.ratelimit import ratelimit_hit, ratelimit_retry_after, too_many_requests

from .. import selectors, services
from ..forms import PageFeedbackForm, PageFeedbackReasonForm


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Site search. With htmx, only the results region is sent back and swapped in place."""
    search = services.site_search_run(
        request=request, query=request.GET.get("q", ""), page_number=request.GET.get("page") or 1
    )
    context = {"search": search, "show_page_feedback": True}
    if search.query and not search.count and not search.promotions:
        context.update(selectors.search_next_steps(site=Site.find_for_request(request)))
    partial = request.htmx and not request.htmx.history_restore_request
    return render(request, "cms/search.html#results" if partial else "cms/search.html", context)


@require_GET
@cache_control(max_age=60 * 60, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers out of the admins, accounts, the API, search and feedback; point to the sitemap."""
    disallow = ["/admin/", "/django-admin/", "/my-account/", "/accounts/", "/api/", "/search/", "/feedback/"]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), ""]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# --- "Was this page useful?" ---------------------------------------------------------------

PARTIALS = "cms/includes/page_feedback.html"
# Besides one answer per page per session: at most this many answers per visitor an hour.
MAX_ANSWERS_PER_HOUR = 60


def _rate_limited(request) -> bool:
    return ratelimit_hit(
        f"cms:feedback-rate:{visitor_key(request)}", limit=MAX_ANSWERS_PER_HOUR, window_seconds=60 * 60
    )


def _context(request, *, page, path, form=None, swapped=False) -> dict:
    return {
        "feedback_page": page,
        "feedback_page_id": page.pk if page else "",
        "feedback_path": path,
        "reasons": services.FeedbackReason.CHOICES,
        "form": form,
        "swapped": swapped,
    }


def _back_to_page(path: str) -> HttpResponse:
    return redirect(path + "#page-feedback")


@require_http_methods(["GET", "POST"])
def page_feedback(request: HttpRequest) -> HttpResponse:
    """Record a Yes/No answer; "No" goes on to the optional "what went wrong" form.

    The address is only for answers: opened in a browser (a bookmark, a reload, a pasted
    link) it goes back to the page in ``?path=`` if that is a page of this site, or home.
    """
    if request.method == "GET":
        path = request.GET.get("path", "")
        safe = path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None)
        return redirect(path if safe else "/")
    form = PageFeedbackForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Invalid feedback")
    if _rate_limited(request):
        key, window = f"cms:feedback-rate:{visitor_key(request)}", 60 * 60
        return too_many_requests(request, retry_after=ratelimit_retry_after(key, window_seconds=window))
    path = form.cleaned_data["path"]
    page = selectors.public_page_get(site=Site.find_for_request(request), page_id=form.cleaned_data["page"])
    useful = form.cleaned_data["useful"] == "yes"
    recorded = services.page_feedback_record(request=request, page=page, path=path, useful=useful)
    ask_reason = recorded is not None and not useful
    if request.htmx:
        partial = "reason_form" if ask_reason else "thanks"
        return render(request, f"{PARTIALS}#{partial}", _context(request, page=page, path=path, swapped=True))
    if ask_reason:
        query = urlencode({"page": page.pk if page else "", "path": path})
        return redirect(f"{reverse('page_feedback_reason')}?{query}")
    return _back_to_page(path)


@require_http_methods(["GET", "POST"])
def page_feedback_reason(request: HttpRequest) -> HttpResponse:
    """The optional "what went wrong" form, after "No" (a page of its own without JavaScript)."""
    data = request.POST if request.method == "POST" else request.GET
    target = PageFeedbackForm({"page": data.get("page"), "path": data.get("path"), "useful": "no"})
    if not target.is_valid():
        return HttpResponseBadRequest("Invalid feedback")
    path = target.cleaned_data["path"]
    state = services.page_feedback_state(session=request.session, path=path)
    if not state or state["useful"] or state["reason"]:
        # Nothing to add to: "No" was not answered in this session, or the reason is in.
        if request.htmx:
            return render(
                request, f"{PARTIALS}#thanks", _context(request, page=None, path=path, swapped=True)
            )
        return _back_to_page(path)
    page = selectors.public_page_get(site=Site.find_for_request(request), page_id=target.cleaned_data["page"])
    if request.method == "GET":
        return render(request, "cms/feedback_reason.html", _context(request, page=page, path=path))
    form = PageFeedbackReasonForm(request.POST, auto_id="feedback-%s")
    if not form.is_valid():
        template = f"{PARTIALS}#reason_form" if request.htmx else "cms/feedback_reason.html"
        return render(request, template, _context(request, page=page, path=path, form=form, swapped=True))
    services.page_feedback_add_reason(
        request=request,
        path=path,
        reason_code=form.cleaned_data["reason"],
        comment=form.cleaned_data["comment"],
    )
    if request.htmx:
        return render(request, f"{PARTIALS}#thanks", _context(request, page=page, path=path, swapped=True))
    return _back_to_page(path)
