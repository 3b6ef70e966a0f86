"""Reads for the integrations' staff screens: API clients and their audit, destinations, the
delivery log, and the questions a destination may map.

Everything here is for Integration managers (``integrations.manage_integrations``); the
views check the permission before they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from forms_engine.models import FormVersion, ServiceForm
from portal.cases import selectors as case_selectors
from portal.cases.selectors import staff_can_view_case

from .models import ApiClient, ApiKeyUse, Delivery, DeliveryAttempt, Destination

if TYPE_CHECKING:
    from accounts.models import User

MANAGE_INTEGRATIONS = "integrations.manage_integrations"


def can_manage_integrations(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(MANAGE_INTEGRATIONS))


def api_clients_list() -> QuerySet[ApiClient]:
    """Every API client, the active ones first."""
    return ApiClient.objects.order_by("revoked_at", "name")


def api_key_uses_for(client: ApiClient) -> QuerySet[ApiKeyUse]:
    """The calls made with ``client``'s key, newest first (the audit staff read)."""
    return ApiKeyUse.objects.filter(client=client).order_by("-at", "-pk")


def destinations_list(*, form: ServiceForm | None = None) -> QuerySet[Destination]:
    """Destinations by form, with how many deliveries have failed for good (to draw the eye)."""
    destinations = Destination.objects.select_related("form", "status_client").annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status="failed"))
    )
    if form is not None:
        destinations = destinations.filter(form=form)
    return destinations.order_by("form__title", "name")


def forms_for_destinations() -> QuerySet[ServiceForm]:
    """Forms a destination may be set for: every form (a draft can be set up before it goes live)."""
    return ServiceForm.objects.order_by("title")


def deliveries_filtered(
    *, status: str = "", destination: Destination | None = None, form: ServiceForm | None = None
) -> QuerySet[Delivery]:
    """The delivery log, newest first, optionally by status, destination or form."""
    deliveries = Delivery.objects.select_related("destination__form", "case", "submission")
    if status:
        deliveries = deliveries.filter(status=status)
    if destination is not None:
        deliveries = deliveries.filter(destination=destination)
    if form is not None:
        deliveries = deliveries.filter(destination__form=form)
    return deliveries.order_by("-created_at", "-pk")


def delivery_for_staff(pk: int) -> Delivery | None:
    return Delivery.objects.select_related("destination__form", "case", "submission").filter(pk=pk).first()


def delivery_attempts(delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return delivery.attempt_log.select_related("resent_by").order_by("-started_at", "-pk")


def case_ids_linkable(user: User, deliveries: Iterable[Delivery]) -> set[int]:
    """Of the deliveries' cases, those ``user`` may open as staff: one query for a whole page
    of the delivery log, instead of a check (and its queries) per row."""
    ids = {delivery.case_id for delivery in deliveries if delivery.case_id is not None}
    if not ids:
        return set()
    return set(case_selectors.cases_visible_to_staff(user).filter(pk__in=ids).values_list("pk", flat=True))


def case_link_allowed(user: User, delivery: Delivery) -> bool:
    """Whether to link the delivery's case reference: only for staff who may open the case
    (anyone else would get 404 there)."""
    return delivery.case is not None and staff_can_view_case(user, delivery.case)


def form_schema_current(form: ServiceForm) -> dict | None:
    """The schema residents answer now: the live FormVersion's, else the newest frozen one.

    A read: a form published but never opened has no FormVersion yet, and then the newest
    version there is (or None) is what staff map against.
    """
    version = None
    if form.live and not form.archived and form.live_revision_id:
        version = FormVersion.objects.filter(form=form, revision_id=form.live_revision_id).first()
    if version is None:
        version = FormVersion.objects.filter(form=form).order_by("-number").first()
    return version.schema if version is not None else None


def form_question_names(schema: dict | None) -> dict[str, str]:
    """``{question name: label}`` of a schema, in form order."""
    if not schema:
        return {}
    return {q["name"]: q["label"] for step in schema.get("steps") or [] for q in step.get("questions") or []}
