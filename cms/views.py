from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from wagtail.models import Site

from . import selectors, services


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
