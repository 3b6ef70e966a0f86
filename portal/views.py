import logging
import sys

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.selectors import acting_for, resident_record_offers
from forms_engine.selectors import draft_summaries, drafts_for_user
from payments.selectors import payment_list_for_user
from portal.cases.selectors import case_claimable_for_resident, case_list_for_resident
from portal.lib.outage import database_unavailable_mark
from portal.lib.pagination import page_of

logger = logging.getLogger(__name__)


MY_ACCOUNT_CASES = 10
# My account shows the latest saved forms; the saved forms page has them all.
MY_ACCOUNT_DRAFTS = 5
SAVED_FORMS_PER_PAGE = 20


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    """The resident's home: open cases (with unread markers), the latest saved forms and payments."""
    cases = list(case_list_for_resident(request.user).filter(closed_at__isnull=True)[: MY_ACCOUNT_CASES + 1])
    drafts = drafts_for_user(request.user)
    return render(
        request,
        "portal/my_account.html",
        {
            "cases": cases[:MY_ACCOUNT_CASES],
            "more_cases": len(cases) > MY_ACCOUNT_CASES,
            "unread_count": sum(1 for case in cases if case.has_unread),
            "drafts": draft_summaries(drafts[:MY_ACCOUNT_DRAFTS]),
            "drafts_count": drafts.count(),
            "payments": list(payment_list_for_user(request.user)[:5]),
            "claimable_count": case_claimable_for_resident(request.user).count(),
            "record_offers": resident_record_offers(user=request.user),
            "acting": acting_for(request.user),
        },
    )


@login_required
@never_cache
def saved_forms(request: HttpRequest) -> HttpResponse:
    """All the resident's saved forms, most recent first, a page at a time (``?page=``: a bad
    number is the first page, one past the end the last)."""
    page = page_of(drafts_for_user(request.user), request.GET.get("page"), per_page=SAVED_FORMS_PER_PAGE)
    return render(
        request,
        "portal/saved_forms.html",
        {
            "page": page,
            "drafts": draft_summaries(page.object_list),
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers and monitoring."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("Health check: database unreachable: %s", exc)
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# Seconds a client is asked to wait when the database is unavailable.
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: 503 "try again shortly" when the database is what failed.

    A database that can't be reached (or a connection that broke) is an outage, not a bug:
    the page says to try again, with ``Retry-After``, and the outage is marked so that the
    page cache serves what it has (``portal.lib.outage``). Nothing here touches the
    database. Every other error gets the usual 500 page.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        database_unavailable_mark()
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request)
