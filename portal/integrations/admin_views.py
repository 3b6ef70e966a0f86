"""Integration managers' screens in the Wagtail admin: API clients and their keys, where each
form's submissions go, the delivery log (with "Resend"), and exports of a form's submissions.

Every view needs ``integrations.manage_integrations`` (the "Integration managers" group,
accounts/groups.py); anyone else is refused before anything is read. Staff reach the admin
only after 2-step verification (accounts' middleware), so these views need not ask again.

An API key is shown once, on the page that answers the POST that made it (never stored,
never cached: ``never_cache``), and never again: only its hash is kept. Staff actions are
written to Wagtail's log (Settings → Reports → Site history): keys made, rotated and
revoked, destinations added and changed, webhook secrets replaced, resends, and every export
(they carry residents' personal data).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from portal.lib.forms import error_summary

from .constants import DestinationKind
from .exports import export_csv, export_json, submissions_export
from .forms import ApiClientForm, DeliveryFilterForm, DestinationForm, ExportForm
from .models import ApiClient, Delivery, Destination
from .selectors import (
    api_clients_list,
    api_key_uses_for,
    can_manage_integrations,
    case_ids_linkable,
    case_link_allowed,
    deliveries_filtered,
    delivery_attempts,
    delivery_for_staff,
    destinations_list,
    form_question_names,
    form_schema_current,
)
from .services import deliveries as delivery_services
from .services.api_keys import api_client_create, api_client_revoke, api_client_rotate
from .transports.webhook import SIGNATURE_HEADER

MENU_LABEL = "Integrations"
PER_PAGE = 50

# Wagtail log actions (labels registered in wagtail_hooks.py).
API_CLIENT_CREATE = "integrations.api_client_create"
API_CLIENT_ROTATE = "integrations.api_client_rotate"
API_CLIENT_REVOKE = "integrations.api_client_revoke"
DELIVERY_RESEND = "integrations.delivery_resend"
SUBMISSIONS_EXPORT = "integrations.submissions_export"
DESTINATION_SECRET_REPLACE = "integrations.destination_secret_replace"
LOG_ACTIONS = {
    API_CLIENT_CREATE: ("Create API client", "API client created, its key shown once"),
    API_CLIENT_ROTATE: ("Rotate API key", "API key replaced: the old key stopped working"),
    API_CLIENT_REVOKE: ("Revoke API key", "API key revoked"),
    DELIVERY_RESEND: ("Resend delivery", "Delivery sent again"),
    SUBMISSIONS_EXPORT: ("Export submissions", "Submissions exported"),
    DESTINATION_SECRET_REPLACE: (
        "Replace webhook signing secret",
        "Webhook signing secret replaced: the old one signs too for 24 hours",
    ),
}


def _page(request, queryset):
    paginator = Paginator(queryset, PER_PAGE)
    return paginator.get_page(request.GET.get("p"))


class IntegrationsView(WagtailAdminTemplateMixin, View):
    """Refuses anyone without ``manage_integrations``, before the view reads anything."""

    header_icon = "link"
    template_name = ""
    section: tuple[str, str] | None = None  # (label, url name) of the list above this page

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_integrations(request.user):
            raise PermissionDenied
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, **kwargs: Any) -> None:
        """Read the object the URL names (404 if there is none): after the permission check."""

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        if self.section:
            label, name = self.section
            items.append({"url": reverse(name), "label": label})
        items.append({"url": "", "label": self.get_page_title()})
        return items

    def render(self, *, status: int = 200, errors: list[tuple[str, str]] | None = None, **context):
        context["errors"] = errors or []
        return TemplateResponse(
            self.request, self.template_name, self.get_context_data(**context), status=status
        )


class IntegrationsIndexView(IntegrationsView):
    """/admin/integrations/: the delivery log, where the day's work is."""

    def get(self, request):
        return HttpResponseRedirect(reverse("integrations_admin:deliveries"))


# --- API clients ------------------------------------------------------------------------------

API_CLIENTS = ("API clients", "integrations_admin:api_clients")


class ApiClientListView(IntegrationsView):
    page_title = "API clients"
    template_name = "integrations/admin/api_clients.html"

    def get(self, request):
        return self.render(clients=list(api_clients_list()))


@method_decorator(never_cache, name="dispatch")
class ApiClientAddView(IntegrationsView):
    """Make a client and its key; the answer to the POST is the only page that shows the key."""

    page_title = "Add an API client"
    template_name = "integrations/admin/api_client_add.html"
    section = API_CLIENTS

    def get(self, request):
        return self.render(form=ApiClientForm())

    def post(self, request):
        form = ApiClientForm(request.POST)
        if not form.is_valid():
            return self.render(form=form, errors=error_summary(form), status=400)
        with transaction.atomic():
            new = api_client_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
                contact_email=form.cleaned_data["contact_email"],
            )
            log(
                instance=new.client,
                action=API_CLIENT_CREATE,
                user=request.user,
                data={"scopes": new.client.scopes, "key_prefix": new.client.key_prefix},
            )
        self.template_name = "integrations/admin/api_key_shown.html"
        self.page_title = f"The key for {new.client.name}"
        return self.render(client=new.client, key=new.key, made="created")


class ApiClientMixin:
    client: ApiClient

    def load(self, **kwargs: Any) -> None:
        self.client = get_object_or_404(ApiClient, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return self.client.name


class ApiClientDetailView(ApiClientMixin, IntegrationsView):
    """A client, and the audit of every call made with its key, newest first."""

    page_title = "API client"
    template_name = "integrations/admin/api_client.html"
    section = API_CLIENTS

    def get(self, request, pk):
        return self.render(
            client=self.client,
            uses=_page(request, api_key_uses_for(self.client)),
            destinations=list(self.client.destinations.select_related("form")),
        )


class ApiClientRevokeView(ApiClientMixin, IntegrationsView):
    page_title = "Revoke the key"
    template_name = "integrations/admin/api_client_revoke.html"
    section = API_CLIENTS

    def get(self, request, pk):
        return self.render(client=self.client)

    def post(self, request, pk):
        with transaction.atomic():
            if api_client_revoke(client=self.client, by=request.user):
                log(instance=self.client, action=API_CLIENT_REVOKE, user=request.user)
                messages.success(request, f"{self.client.name}’s key has been revoked. It no longer works.")
            else:
                messages.warning(request, f"{self.client.name}’s key was already revoked.")
        return HttpResponseRedirect(reverse("integrations_admin:api_client", args=[self.client.pk]))


@method_decorator(never_cache, name="dispatch")
class ApiClientRotateView(ApiClientMixin, IntegrationsView):
    """A new key for the client, shown once; the old one stops working at once."""

    page_title = "Replace the key"
    template_name = "integrations/admin/api_client_rotate.html"
    section = API_CLIENTS

    def _refused(self):
        messages.error(self.request, "A revoked key cannot be replaced: add a new API client instead.")
        return HttpResponseRedirect(reverse("integrations_admin:api_client", args=[self.client.pk]))

    def get(self, request, pk):
        if self.client.is_revoked:
            return self._refused()
        return self.render(client=self.client)

    def post(self, request, pk):
        if self.client.is_revoked:
            return self._refused()
        with transaction.atomic():
            new = api_client_rotate(client=self.client)
            log(
                instance=new.client,
                action=API_CLIENT_ROTATE,
                user=request.user,
                data={"key_prefix": new.client.key_prefix},
            )
        self.template_name = "integrations/admin/api_key_shown.html"
        self.page_title = "The new key"
        return self.render(client=new.client, key=new.key, made="replaced")


# --- Destinations -----------------------------------------------------------------------------

DESTINATIONS = ("Destinations", "integrations_admin:destinations")


class DestinationListView(IntegrationsView):
    page_title = "Destinations"
    template_name = "integrations/admin/destinations.html"

    def get(self, request):
        return self.render(destinations=list(destinations_list()))


class DestinationEditView(IntegrationsView):
    """Add a destination (no ``pk``) or change one; its webhook secret is shown, never typed."""

    template_name = "integrations/admin/destination_edit.html"
    section = DESTINATIONS

    destination: Destination | None = None

    def load(self, **kwargs: Any) -> None:
        pk = kwargs.get("pk")
        self.destination = get_object_or_404(Destination, pk=pk) if pk is not None else None

    def get_page_title(self):
        return f"Change {self.destination.name}" if self.destination else "Add a destination"

    def show(self, form: DestinationForm, *, status: int = 200):
        service_form = self.destination.form if self.destination else None
        return self.render(
            form=form,
            destination=self.destination,
            signature_header=SIGNATURE_HEADER,
            previous_secret_until=_previous_secret_until(self.destination),
            question_names=form_question_names(form_schema_current(service_form)) if service_form else {},
            errors=error_summary(form),
            status=status,
        )

    def get(self, request, pk=None):
        return self.show(DestinationForm(instance=self.destination))

    def post(self, request, pk=None):
        form = DestinationForm(request.POST, instance=self.destination)
        if not form.is_valid():
            return self.show(form, status=400)
        adding = self.destination is None
        with transaction.atomic():
            destination = form.save()
            log(
                instance=destination,
                action="wagtail.create" if adding else "wagtail.edit",
                user=request.user,
                content_changed=True,
            )
        if destination.active:
            outcome = f"new submissions to {destination.form.title} are sent there"
        else:
            outcome = "it is not active, so nothing is sent there"
        if destination.kind == DestinationKind.WEBHOOK and adding:
            outcome += ". Its signing secret is on its page"
        messages.success(request, f"{destination.name} {'added' if adding else 'saved'}: {outcome}.")
        return HttpResponseRedirect(reverse("integrations_admin:destinations"))


class DestinationSecretReplaceView(IntegrationsView):
    """Replace a webhook's signing secret: a confirmation page, then the POST that does it.

    The old secret keeps signing alongside the new one for 24 hours (two ``v1=`` values), so
    the receiver can change over without refusing deliveries.
    """

    page_title = "Replace the signing secret"
    template_name = "integrations/admin/destination_secret_replace.html"
    section = DESTINATIONS

    destination: Destination

    def load(self, **kwargs: Any) -> None:
        self.destination = get_object_or_404(Destination, pk=kwargs["pk"], kind=DestinationKind.WEBHOOK)

    def get_page_subtitle(self):
        return self.destination.name

    def get(self, request, pk):
        return self.render(destination=self.destination, overlap_hours=_overlap_hours())

    def post(self, request, pk):
        with transaction.atomic():
            destination = delivery_services.destination_secret_replace(destination=self.destination)
            log(
                instance=destination,
                action=DESTINATION_SECRET_REPLACE,
                user=request.user,
                data={"previous_secret_until": destination.previous_secret_until.isoformat()}
                if destination.previous_secret_until
                else {},
            )
        messages.success(
            request,
            f"The signing secret of {destination.name} has been replaced. Give the new secret to the "
            f"receiver: the old one also signs for {_overlap_hours()} hours.",
        )
        return HttpResponseRedirect(reverse("integrations_admin:destination", args=[destination.pk]))


def _previous_secret_until(destination: Destination | None):
    """When the replaced secret stops signing, while it still does (else None)."""
    until = destination.previous_secret_until if destination is not None else None
    return until if until is not None and until > timezone.now() else None


def _overlap_hours() -> int:
    return int(delivery_services.SECRET_OVERLAP.total_seconds() // 3600)


# --- The delivery log -------------------------------------------------------------------------

DELIVERIES = ("Delivery log", "integrations_admin:deliveries")


class DeliveryListView(IntegrationsView):
    page_title = "Delivery log"
    template_name = "integrations/admin/deliveries.html"

    def get(self, request):
        filters = DeliveryFilterForm(request.GET or None)
        chosen: dict[str, Any] = {}
        if filters.is_bound and filters.is_valid():
            chosen = {key: value for key, value in filters.cleaned_data.items() if value}
        page = _page(request, deliveries_filtered(**chosen))
        linkable = case_ids_linkable(request.user, page)
        rows = [
            {
                "delivery": delivery,
                "case_url": reverse("cases_admin:case", args=[delivery.case_id])
                if delivery.case_id in linkable
                else "",
            }
            for delivery in page
        ]
        return self.render(filters=filters, page=page, rows=rows, filtered=bool(chosen))


def _case_url(user, delivery) -> str:
    if not case_link_allowed(user, delivery):
        return ""
    return reverse("cases_admin:case", args=[delivery.case_id])


class DeliveryMixin:
    delivery: Delivery

    def load(self, **kwargs: Any) -> None:
        delivery = delivery_for_staff(kwargs["pk"])
        if delivery is None:
            raise Http404("No such delivery")
        self.delivery = delivery


class DeliveryDetailView(DeliveryMixin, IntegrationsView):
    page_title = "Delivery"
    template_name = "integrations/admin/delivery.html"
    section = DELIVERIES

    def get_page_subtitle(self):
        delivery = self.delivery
        what = delivery.case.reference if delivery.case else f"Submission {delivery.submission_id}"
        return f"{what} to {delivery.destination.name}"

    def get(self, request, pk):
        return self.render(
            delivery=self.delivery,
            attempts=list(delivery_attempts(self.delivery)),
            case_url=_case_url(request.user, self.delivery),
        )


class DeliveryResendView(DeliveryMixin, IntegrationsView):
    """POST only: send a delivery that has finished (delivered, failed or cancelled) again."""

    http_method_names = ["post"]

    def post(self, request, pk):
        delivery = self.delivery
        try:
            with transaction.atomic():
                delivery_services.delivery_resend(delivery=delivery, by=request.user)
                log(
                    instance=delivery,
                    action=DELIVERY_RESEND,
                    user=request.user,
                    data={"destination": delivery.destination.name},
                )
        except delivery_services.DeliveryStateError as error:
            messages.warning(request, str(error))
        else:
            messages.success(request, f"It will be sent to {delivery.destination.name} again in a moment.")
        return HttpResponseRedirect(reverse("integrations_admin:delivery", args=[delivery.pk]))


# --- Exports ----------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class ExportView(IntegrationsView):
    """Choose a form, a period and a format; the answer to the POST is the file."""

    page_title = "Export submissions"
    template_name = "integrations/admin/export.html"

    def get(self, request):
        return self.render(form=ExportForm())

    def post(self, request):
        form = ExportForm(request.POST)
        if not form.is_valid():
            return self.render(form=form, errors=error_summary(form), status=400)
        service_form = form.cleaned_data["form"]
        start: date = form.cleaned_data["date_from"]
        end: date = form.cleaned_data["date_to"]
        chosen = form.cleaned_data["format"]
        export = submissions_export(form=service_form, start=start, end=end)
        log(
            instance=service_form,
            action=SUBMISSIONS_EXPORT,
            user=request.user,
            data={"from": start.isoformat(), "to": end.isoformat(), "format": chosen, "count": export.count},
        )
        if chosen == "json":
            response = HttpResponse(export_json(export), content_type="application/json; charset=utf-8")
        else:
            response = HttpResponse(export_csv(export), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename(chosen)}"'
        return response


def admin_urls():
    return [
        path("", IntegrationsIndexView.as_view(), name="index"),
        path("deliveries/", DeliveryListView.as_view(), name="deliveries"),
        path("deliveries/<int:pk>/", DeliveryDetailView.as_view(), name="delivery"),
        path("deliveries/<int:pk>/resend/", DeliveryResendView.as_view(), name="delivery_resend"),
        path("api-clients/", ApiClientListView.as_view(), name="api_clients"),
        path("api-clients/new/", ApiClientAddView.as_view(), name="api_client_add"),
        path("api-clients/<int:pk>/", ApiClientDetailView.as_view(), name="api_client"),
        path("api-clients/<int:pk>/revoke/", ApiClientRevokeView.as_view(), name="api_client_revoke"),
        path("api-clients/<int:pk>/rotate/", ApiClientRotateView.as_view(), name="api_client_rotate"),
        path("destinations/", DestinationListView.as_view(), name="destinations"),
        path("destinations/new/", DestinationEditView.as_view(), name="destination_add"),
        path("destinations/<int:pk>/", DestinationEditView.as_view(), name="destination"),
        path(
            "destinations/<int:pk>/replace-secret/",
            DestinationSecretReplaceView.as_view(),
            name="destination_secret_replace",
        ),
        path("export/", ExportView.as_view(), name="export"),
    ]
