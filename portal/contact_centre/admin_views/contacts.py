"""Staff workspace: recording and reviewing assisted contacts in the Wagtail admin.

Case officers record a call in a few seconds and land on an empty form for the next
one; service managers can read the list. The permission policy is registered in
``wagtail_hooks.py`` before the viewset, as Wagtail 8 requires.

Contacts carry residents' names, emails and notes, so every view shows only the contacts
the officer may see: those about a case they can see in the case queue, and general ones
recorded by them or a team-mate (``portal.cases.selectors.interactions_visible_to_staff``,
the queue's own rule). Any other contact's URL answers 404, as a missing one does.
"""

from functools import wraps

import django_filters

from django import forms
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, OuterRef, ProtectedError, Subquery
from django.db.models.functions import Cast
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View

from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from portal.cases.selectors import case_for_staff, interactions_visible_to_staff
from portal.cases.services import CaseError, case_assisted_contact_record, satisfaction_record_for_contact
from portal.interactions.constants import ASSISTED_CHANNELS, AvoidableCategory
from portal.interactions.models import (
    AssistedContact,
    ContactTeam,
    Interaction,
    LgilInteractionType,
    LgslService,
)
from portal.interactions.permissions import ProxyModelPermissionPolicy
from portal.interactions.services import InteractionError, assisted_contact_record, assisted_contact_update
from portal.lib.dates import datetime_display
from portal.lib.forms import error_summary

from ..forms import AssistedContactForm, CaseAssistedContactForm, ContactTeamForm

RECORD_LABEL = "Record a contact"


def contacts_visible_to(user, queryset=None):
    """The assisted contacts ``user`` may see: the case queue's rule, asked of the cases app."""
    return interactions_visible_to_staff(
        user, AssistedContact.objects.all() if queryset is None else queryset
    )


class AssistedContactPermissionPolicy(ProxyModelPermissionPolicy):
    """The model permissions, for the contacts the user may see and no others.

    Wagtail asks this for anything about one contact outside these views too (editing
    sessions, the site history's links), so those follow the same rule.
    """

    def user_has_permission_for_instance(self, user, action, instance):
        return super().user_has_permission_for_instance(user, action, instance) and (
            contacts_visible_to(user).filter(pk=instance.pk).exists()
        )

    def instances_user_has_any_permission_for(self, user, actions):
        return contacts_visible_to(user, super().instances_user_has_any_permission_for(user, actions))


permission_policy = AssistedContactPermissionPolicy(AssistedContact)


def visible_contact_only(view):
    """404 for a contact the user may not see, before the view loads it (whatever the view)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not contacts_visible_to(request.user).filter(pk=unquote(str(kwargs["pk"]))).exists():
            raise Http404("No such contact")
        return view(request, *args, **kwargs)

    return guarded


def _when(contact) -> str:
    return datetime_display(contact.occurred_at, short=True)


def _yes_no(value) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _avoidable(contact) -> str:
    if not contact.avoidable:
        return _yes_no(contact.avoidable)
    return f"Yes: {contact.get_avoidable_category_display()}" if contact.avoidable_category else "Yes"


def _person(user) -> str:
    return (user.full_name or user.email) if user else ""


def _team(contact) -> str:
    return contact.handled_by.name if contact.handled_by_id and contact.handled_by else ""


def _service(contact) -> str:
    label = getattr(contact, "service_label", None)
    if contact.service_code is None:
        return ""
    return f"{label} ({contact.service_code})" if label else str(contact.service_code)


def with_labels(queryset):
    """Contacts with their service and reason names, and the people, in the same query."""
    services = LgslService.objects.filter(code=OuterRef("service_code")).values("label")[:1]
    reasons = (
        LgilInteractionType.objects.annotate(code_text=Cast("code", CharField()))
        .filter(code_text=OuterRef("reason_code"))
        .values("label")[:1]
    )
    return queryset.select_related("staff", "user", "handled_by").annotate(
        service_label=Subquery(services), reason_label=Subquery(reasons)
    )


class AssistedContactFilterSet(WagtailFilterSet):
    channel = django_filters.ChoiceFilter(
        label="Channel",
        choices=[(channel.value, channel.label) for channel in ASSISTED_CHANNELS],
        empty_label="All channels",
        widget=forms.RadioSelect,
    )
    avoidable = django_filters.ChoiceFilter(
        label="Avoidable",
        choices=[("yes", "Yes"), ("no", "No")],
        empty_label="All",
        method="filter_avoidable",
        widget=forms.RadioSelect,
    )
    avoidable_category = django_filters.ChoiceFilter(
        label="Why avoidable",
        choices=AvoidableCategory.choices,
        empty_label="All categories",
        widget=forms.RadioSelect,
    )
    handled_by = django_filters.ModelChoiceFilter(
        label="Handled by",
        queryset=ContactTeam.objects.order_by("-active", "name"),
        empty_label="All teams",
    )
    occurred_at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)
    recorded_by = django_filters.ChoiceFilter(
        label="Recorded by",
        choices=[("me", "Me")],
        empty_label="Anyone",
        method="filter_recorded_by",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AssistedContact
        fields = ["channel", "avoidable", "avoidable_category", "handled_by", "occurred_at", "recorded_by"]

    def filter_avoidable(self, queryset, name, value):
        return queryset.filter(avoidable=value == "yes")

    def filter_recorded_by(self, queryset, name, value):
        if value == "me" and self.request is not None:
            return queryset.filter(staff=self.request.user)
        return queryset


class AssistedContactIndexView(generic.IndexView):
    page_title = "Assisted contacts"
    search_fields = ["case_reference", "user__email"]
    search_backend_name = None

    @cached_property
    def add_item_label(self):
        return RECORD_LABEL

    def get_base_queryset(self):
        return with_labels(contacts_visible_to(self.request.user, super().get_base_queryset()))

    def order_queryset(self, queryset):
        """Newest first by default; the id breaks ties so pages never repeat or skip a row."""
        ordering = super().order_queryset(queryset).query.order_by or ("-occurred_at",)
        return queryset.order_by(*ordering, "-pk")

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)

        def get_url(instance):
            return self.get_edit_url(instance) or self.get_inspect_url(instance)

        return [
            title_column("when", label="When", accessor=_when, sort_key="occurred_at", get_url=get_url),
            Column("channel", label="Channel", accessor="get_channel_display", sort_key="channel"),
            Column("service", label="Service", accessor=_service, sort_key="service_label"),
            Column("reason", label="Reason", accessor="reason_label", sort_key="reason_label"),
            Column("avoidable", label="Avoidable", accessor=_avoidable, sort_key="avoidable"),
            Column(
                "resolved",
                label="Resolved at first contact",
                accessor=lambda contact: _yes_no(contact.resolved_first_contact),
                sort_key="resolved_first_contact",
            ),
            Column("handled_by", label="Handled by", accessor=_team, sort_key="handled_by__name"),
            Column("recorded_by", label="Recorded by", accessor=lambda contact: _person(contact.staff)),
        ]


class AssistedContactFormViewMixin:
    """What the create and edit views share: the link back to the list and the error summary."""

    def get_form_kwargs(self):
        # The case reference must name a case this officer can see.
        return {**super().get_form_kwargs(), "for_user": self.request.user}

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except InteractionError as error:
            # The service's own rules; the form checks the same, so this is a safety net.
            form.add_error(None, str(error))
            self.produced_error_code, self.produced_error_message = "validation_error", None
            return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["index_url"] = reverse(self.index_url_name)
        context["error_summary"] = error_summary(self.form, form_anchor="w-editor-form")
        return context


class AssistedContactCreateView(AssistedContactFormViewMixin, generic.CreateView):
    page_title = RECORD_LABEL
    submit_button_label = "Save contact"
    submit_button_active_label = "Saving…"
    error_message = None  # the page shows its own summary of what to fix

    def get_page_subtitle(self):
        return RECORD_LABEL

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Assisted contacts"},
            {"url": "", "label": RECORD_LABEL},
        ]

    def save_instance(self):
        kwargs = self.form.service_kwargs()
        with transaction.atomic():
            interaction = assisted_contact_record(staff=self.request.user, **kwargs)
            self.satisfaction_recorded = self._satisfaction_save(kwargs)
        contact = with_labels(AssistedContact.objects.all()).get(pk=interaction.pk)
        log(instance=contact, action="wagtail.create", user=self.request.user, content_changed=True)
        return contact

    def _satisfaction_save(self, kwargs: dict) -> bool | None:
        """The resident's answer about the outcome, if asked (once per case; see portal.cases)."""
        answer = self.form.satisfaction_kwargs()
        if answer is None:
            return None
        try:
            return satisfaction_record_for_contact(
                staff=self.request.user,
                channel=kwargs["channel"],
                service_code=kwargs["service_code"],
                resident=kwargs["resident"],
                case_reference=kwargs["case_reference"],
                occurred_at=kwargs["occurred_at"],
                **answer,
            )
        except CaseError as error:
            # Rolls the contact back too; shown on the form like any other refused answer.
            raise InteractionError(str(error)) from error

    def get_success_url(self):
        return reverse(self.add_url_name)

    def get_success_message(self, instance):
        what = f"{instance.get_channel_display()}, {_service(instance)}"
        satisfaction = {
            True: " Their answer about the outcome was recorded.",
            False: " The resident had already answered about this case's outcome, so this answer was "
            "not counted again.",
        }.get(getattr(self, "satisfaction_recorded", None), "")
        return f"Contact recorded: {what}.{satisfaction} The form is ready for the next one."

    def get_success_buttons(self):
        return [
            messages.button(reverse(self.index_url_name), "View assisted contacts"),
            messages.button(self.get_edit_url(), "Edit the contact you just recorded"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        context["recorded_today"] = AssistedContact.objects.filter(
            staff=self.request.user, occurred_at__gte=start_of_day
        ).count()
        return context


class AssistedContactEditView(AssistedContactFormViewMixin, generic.EditView):
    error_message = None

    def save_instance(self):
        """Apply the same validated answers to the row; the recorder and type never change."""
        contact = assisted_contact_update(contact=self.form.instance, **self.form.service_kwargs())
        log(instance=contact, action="wagtail.edit", user=self.request.user, content_changed=True)
        return contact

    def get_success_message(self):
        return f"Contact updated: {self.object}"


class AssistedContactInspectView(generic.InspectView):
    labels = {
        "occurred_at": "When",
        "channel": "Channel",
        "service": "Service",
        "reason": "Reason for contact",
        "avoidable": "Avoidable",
        "resolved_first_contact": "Resolved at first contact",
        "resident": "Resident",
        "case_reference": "Case reference",
        "notes": "Notes",
        "handled_by": "Handled by",
        "staff": "Recorded by",
    }

    def get_object(self, queryset=None):
        return get_object_or_404(
            with_labels(contacts_visible_to(self.request.user)), pk=unquote(str(self.pk))
        )

    def get_fields(self):
        return list(self.labels)

    def get_field_label(self, field_name, field):
        return self.labels[field_name]

    def get_occurred_at_display_value(self):
        return _when(self.object)

    def get_service_display_value(self):
        return _service(self.object) or "-"

    def get_reason_display_value(self):
        return self.object.reason_label or self.object.reason_code or "-"

    def get_avoidable_display_value(self):
        return _avoidable(self.object) or "-"

    def get_resolved_first_contact_display_value(self):
        return _yes_no(self.object.resolved_first_contact) or "-"

    def get_resident_display_value(self):
        user = self.object.user
        if user is None:
            return "Anonymous"
        return f"{user.full_name} ({user.email})" if user.full_name else user.email

    def get_case_reference_display_value(self):
        return self.object.case_reference or "-"

    def get_notes_display_value(self):
        return (self.object.extras or {}).get("notes") or "-"

    def get_handled_by_display_value(self):
        return str(self.object.handled_by) if self.object.handled_by_id else "-"

    def get_staff_display_value(self):
        return _person(self.object.staff) or "-"


class AssistedContactViewSet(ModelViewSet):
    model = AssistedContact
    icon = "clipboard-list"
    menu_label = "Assisted contacts"
    menu_order = 250
    add_to_admin_menu = True
    name = "assisted_contacts"
    url_prefix = "assisted-contacts"

    index_view_class = AssistedContactIndexView
    add_view_class = AssistedContactCreateView
    edit_view_class = AssistedContactEditView
    inspect_view_class = AssistedContactInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False

    filterset_class = AssistedContactFilterSet
    ordering = "-occurred_at"
    list_per_page = 50

    create_template_name = "contact_centre/assisted_contact/create.html"
    edit_template_name = "contact_centre/assisted_contact/edit.html"

    def get_form_class(self, for_update=False):
        return AssistedContactForm

    def get_urlpatterns(self):
        """Every view of one contact (edit, inspect, history, usage, delete...) is guarded."""
        return [
            path(str(pattern.pattern), visible_contact_only(pattern.callback), name=pattern.name)
            if "pk" in pattern.pattern.converters
            else pattern
            for pattern in super().get_urlpatterns()
        ]

    def get_permissions_to_register(self):
        """The proxy's own permissions, which Django files under the proxy's content type.

        Wagtail looks under the concrete model's (``Interaction``), which would offer the
        wrong permissions in the group editor.
        """
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        return Permission.objects.filter(content_type=content_type)


class CaseAssistedContactView(WagtailAdminTemplateMixin, View):
    """Record a phone call, visit or email about one case, in the interaction log and on its timeline.

    The case gives the service, the resident and the reference; ``case_assisted_contact_record``
    writes the contact, the timeline event and any satisfaction answer in one transaction.
    """

    template_name = "contact_centre/case_contact.html"
    header_icon = "mobile-alt"

    def dispatch(self, request, pk):
        self.case = case_for_staff(request.user, pk)
        if not (
            request.user.has_perm("cases.change_case")
            and request.user.has_perm("interactions.add_assistedcontact")
        ):
            raise PermissionDenied
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"Record a contact about {self.case.reference}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("cases_admin:queue"), "label": "Cases"},
            {"url": reverse("cases_admin:case", args=[self.case.pk]), "label": self.case.reference},
            {"url": "", "label": "Record a contact"},
        ]

    def get(self, request, pk):
        return self.render(CaseAssistedContactForm(case=self.case, for_user=request.user))

    def render(self, form):
        return TemplateResponse(
            self.request, self.template_name, self.get_context_data(case=self.case, form=form)
        )

    def post(self, request, pk):
        form = CaseAssistedContactForm(request.POST, case=self.case, for_user=request.user)
        if not form.is_valid():
            return self.render(form)
        contact = form.service_kwargs()
        satisfaction = form.satisfaction_kwargs()
        try:
            recorded = case_assisted_contact_record(
                case=self.case,
                staff=request.user,
                channel=contact["channel"],
                service_code=contact["service_code"],
                reason_code=contact["reason_code"],
                avoidable=contact["avoidable"],
                avoidable_category=contact["avoidable_category"],
                resolved_first_contact=contact["resolved_first_contact"],
                notes=contact["notes"],
                handled_by=contact["handled_by"],
                satisfaction_score=satisfaction["score"] if satisfaction else None,
                satisfaction_comment=satisfaction["comment"] if satisfaction else "",
            )
        except (InteractionError, CaseError) as error:
            form.add_error(None, str(error))
            return self.render(form)
        messages.success(request, f"Contact recorded against {self.case.reference}")
        if satisfaction is not None:
            if recorded.satisfaction_recorded:
                messages.success(request, "The resident's answer about the outcome was recorded")
            else:
                messages.warning(
                    request,
                    "The resident had already answered about the outcome, so it was not counted again",
                )
        return HttpResponseRedirect(reverse("cases_admin:case", args=[self.case.pk]))


def _team_status(team) -> str:
    return "Active" if team.active else "Archived"


class ContactTeamDeleteView(generic.DeleteView):
    """Deleting a team some contacts were handled by is refused: their history needs its name.

    Such a team is archived instead (its "Active" box unticked). A team no contact uses,
    such as one added by mistake, can be deleted.
    """

    template_name = "contact_centre/contact_team/confirm_delete.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.contacts_count = Interaction.objects.filter(handled_by=self.object).count()

    @property
    def refusal_message(self) -> str:
        count = self.contacts_count
        return (
            f"You cannot delete {self.object.name} because {count} contact{'s' if count != 1 else ''} "
            f"{'were' if count != 1 else 'was'} handled by it. Archive the team instead: edit it and "
            "untick “Active”."
        )

    def form_valid(self, form):
        if not self.contacts_count:
            try:
                return super().form_valid(form)
            except ProtectedError:
                # A contact was recorded against the team since the page was shown.
                self.contacts_count = Interaction.objects.filter(handled_by=self.object).count()
        messages.error(self.request, self.refusal_message)
        return HttpResponseRedirect(reverse(self.edit_url_name, args=[self.object.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contacts_count"] = self.contacts_count
        context["edit_url"] = reverse(self.edit_url_name, args=[self.object.pk])
        return context


class ContactTeamViewSet(ModelViewSet):
    """The teams (and outsourced contact centres) that handle assisted contacts, under Settings."""

    model = ContactTeam
    icon = "group"
    menu_label = "Contact teams"
    add_to_settings_menu = True
    name = "contact_teams"
    url_prefix = "contact-teams"
    search_fields = ["name", "description"]
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    delete_view_class = ContactTeamDeleteView

    def get_form_class(self, for_update=False):
        return ContactTeamForm

    @cached_property
    def list_display(self):
        return [
            "name",
            "description",
            Column("active", label="Status", accessor=_team_status, sort_key="active"),
        ]
