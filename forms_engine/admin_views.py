"""The forms editor in the Wagtail admin: the "Forms" snippet viewset, Archive and Reopen,
and per-form statistics.

Drafts, revisions, preview, locking, moderation, scheduling and publishing are Wagtail's own
(ServiceForm is a WorkflowMixin / DraftStateMixin / LockableMixin / RevisionMixin /
PreviewableMixin snippet): editors submit a form to the moderation workflow, moderators
approve or publish it, and ``ServiceForm.publish`` freezes each published revision into a
FormVersion. The editor's form is ``forms.ServiceFormAdminForm`` (labels, pounds, the fee
question chooser). Saving from the add page is safe to repeat (``ServiceFormCreateView``)
and saving a form and publishing it happen in one transaction. The permission policy is
registered in ``wagtail_hooks.py`` before the viewset, as Wagtail 8 requires.
"""

import functools
import uuid

import django_filters

from django import forms
from django.conf import settings
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import BadRequest, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDictKeyError
from django.utils.functional import cached_property
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn, UpdatedAtColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, IndexView, SnippetViewSet

from portal.interactions.models import LgslService
from portal.interactions.permissions import can_view_contact_insights
from portal.lib.money import pounds

from .constants import FeeType, FormState
from .forms import ServiceFormAdminForm
from .lifecycle import FormStateError, form_archive, form_reopen
from .models import FormVersion, ServiceForm
from .stats import DEFAULT_PERIOD_DAYS, PERIOD_DAYS, form_statistics


class ServiceFormPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, except that a form that has ever been published cannot be deleted.

    Its versions are what residents' drafts and submissions were answered against (the
    database protects them too); closing such a form is done by archiving it.
    """

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.pk and FormVersion.objects.filter(form_id=instance.pk).exists():
            return False
        return super().user_has_permission_for_instance(user, action, instance)


permission_policy = ServiceFormPermissionPolicy(ServiceForm)


def fee_display(form: ServiceForm) -> str:
    if form.fee_type == FeeType.NONE or not form.fee_amount_pence:
        return "No fee"
    amount = pounds(form.fee_amount_pence, pence_always=True)
    return f"{amount} per item" if form.fee_type == FeeType.PER_ANSWER else amount


def can_view_statistics(user) -> bool:
    """Form editors, and service managers who read the contact measures."""
    return permission_policy.user_has_any_permission(user, ["add", "change", "publish"]) or (
        can_view_contact_insights(user)
    )


class ServiceFormFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label="State",
        choices=FormState.choices,
        empty_label="Any state",
        method="filter_state",
        widget=forms.RadioSelect,
    )
    service = django_filters.ModelChoiceFilter(
        label="Service",
        queryset=LgslService.objects.filter(code__in=ServiceForm.objects.values("service")),
        empty_label="Any service",
    )

    class Meta:
        model = ServiceForm
        fields = ["state", "service"]

    def filter_state(self, queryset, name, value):
        if value == FormState.ARCHIVED:
            return queryset.filter(archived=True)
        return queryset.filter(archived=False, live=value == FormState.LIVE)


def _statistics_button(url_name: str, form) -> Button:
    return Button("Statistics", url=reverse(url_name, args=[quote(form.pk)]), icon_name="table", priority=40)


class ServiceFormIndexView(IndexView):
    statistics_url_name = None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if can_view_statistics(self.request.user):
            buttons.append(_statistics_button(self.statistics_url_name, instance))
        if instance.live:
            buttons.append(
                Button(
                    "Open the form", url=instance.get_absolute_url(), icon_name="link-external", priority=50
                )
            )
        return buttons

    def get_delete_url(self, instance):
        if permission_policy.user_has_permission_for_instance(self.request.user, "delete", instance):
            return super().get_delete_url(instance)
        return None


SLUG_TAKEN = "Another form already uses this address: choose a different one"


def _one_save_at_a_time(view):
    """Saves of one form wait for each other (a row lock until the save is done).

    Wagtail's edit view reads the form, then writes it back; an autosave that read the form
    just before a Publish from the same page committed would write it back unpublished.
    """

    @functools.wraps(view)
    def locked(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with transaction.atomic():
            pk = unquote(str(kwargs["pk"]))
            list(ServiceForm.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))
            return view(request, *args, **kwargs)

    return locked


class _SaveAndPublishTogetherMixin:
    """Saving a form and what the button asked for (publish, submit for moderation) happen in
    one transaction, so a publish that fails leaves no half-made draft behind; a clash on the
    form's address found only by the database is shown as an error on the address field."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except MultiValueDictKeyError as error:
            # The steps editor's own counters are missing: not a post from the form builder.
            raise BadRequest("The form builder's fields are incomplete") from error

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            slug = form.cleaned_data.get("slug")
            clash = ServiceForm.objects.filter(slug=slug)
            if self.object is not None and self.object.pk:
                clash = clash.exclude(pk=self.object.pk)
            if not slug or not clash.exists():
                raise
            return self.slug_clash(form)

    def slug_clash(self, form):
        form.add_error("slug", SLUG_TAKEN)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class ServiceFormCreateView(_SaveAndPublishTogetherMixin, CreateView):
    """The add page, safe to save from more than once.

    Wagtail autosaves the add page: the first autosave creates the form as a draft and only
    then, when its answer arrives, points the page at the new form's edit view. A "Publish"
    (or another autosave) sent before that answer came back to the add view again, failed
    with "Service form with this Slug already exists" and left the autosaved draft behind.
    Every save from one add page carries the same ``creation_key``; a save whose key already
    made a form is handed to that form's edit view instead of creating another.
    """

    edit_view_func = None

    def made_from_this_page(self) -> ServiceForm | None:
        try:
            key = uuid.UUID(self.request.POST.get("creation_key", ""))
        except ValueError:
            return None
        return ServiceForm.objects.filter(creation_key=key).first()

    def continue_as_edit(self, form: ServiceForm):
        return self.edit_view_func(self.request, pk=quote(form.pk))

    def post(self, request, *args, **kwargs):
        made = self.made_from_this_page()
        if made is not None:
            return self.continue_as_edit(made)
        return super().post(request, *args, **kwargs)

    def slug_clash(self, form):
        self.object = None
        return super().slug_clash(form)

    def form_invalid(self, form):
        # Two saves from this page at once: the other one made the form while this one was
        # being checked ("already exists") or inserted (``slug_clash``). Carry on with that form.
        made = self.made_from_this_page()
        if made is not None:
            return self.continue_as_edit(made)
        return super().form_invalid(form)


class ServiceFormEditView(_SaveAndPublishTogetherMixin, EditView):
    statistics_url_name = None
    archive_url_name = None
    reopen_url_name = None

    @cached_property
    def live_row(self) -> ServiceForm:
        """The form as residents see it (``self.object`` is the latest draft revision)."""
        return ServiceForm.objects.only("pk", "live", "archived").get(pk=self.object.pk)

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        form = self.object
        live_row = self.live_row
        if can_view_statistics(self.request.user):
            buttons.append(_statistics_button(self.statistics_url_name, form))
        if self.user_has_permission("publish"):
            if live_row.archived:
                buttons.append(
                    Button(
                        "Reopen",
                        url=reverse(self.reopen_url_name, args=[quote(form.pk)]),
                        icon_name="undo",
                        priority=45,
                    )
                )
            elif live_row.live:
                buttons.append(
                    Button(
                        "Archive (close the form)",
                        url=reverse(self.archive_url_name, args=[quote(form.pk)]),
                        icon_name="lock",
                        priority=45,
                    )
                )
        if live_row.live:
            buttons.append(
                Button("Open the form", url=form.get_absolute_url(), icon_name="link-external", priority=50)
            )
        return buttons

    @cached_property
    def can_delete(self):
        return permission_policy.user_has_permission_for_instance(self.request.user, "delete", self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form_archived"] = self.live_row.archived
        return context


class ServiceFormDeleteView(DeleteView):
    """Only a form that was never published can be deleted; others are archived."""

    def dispatch(self, request, *args, **kwargs):
        if not permission_policy.user_has_permission_for_instance(request.user, "delete", self.object):
            messages.error(
                request,
                f"'{self.object}' has been published, so it cannot be deleted: residents' answers "
                "were given against it. Archive it instead to close it.",
            )
            return redirect(self.edit_url_name, quote(self.object.pk))
        return super().dispatch(request, *args, **kwargs)


class _FormActionView(WagtailAdminTemplateMixin, TemplateView):
    """Shared by the archive, reopen and statistics views: the form, breadcrumbs, permission."""

    viewset = None
    header_icon = "form"

    def dispatch(self, request, *args, **kwargs):
        try:
            pk = ServiceForm._meta.pk.to_python(unquote(str(kwargs["pk"])))
        except ValidationError:
            raise Http404("No such form") from None
        self.object = get_object_or_404(ServiceForm, pk=pk)
        if not self.has_permission(request.user):
            return self.permission_denied()
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self, user) -> bool:
        return permission_policy.user_has_permission(user, "publish")

    def permission_denied(self):
        messages.error(self.request, "Sorry, you do not have permission to do that.")
        return redirect("wagtailadmin_home")

    @property
    def edit_url(self) -> str:
        return reverse(self.viewset.get_url_name("edit"), args=[quote(self.object.pk)])

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.viewset.breadcrumbs_items,
            {"url": reverse(self.viewset.get_url_name("list")), "label": self.viewset.menu_label},
            {"url": self.edit_url, "label": str(self.object)},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(object=self.object, edit_url=self.edit_url)
        return context


class FormArchiveView(_FormActionView):
    template_name = "forms_engine/admin/confirm_archive.html"
    page_title = "Archive form"
    service = staticmethod(form_archive)
    done = "'{form}' is archived: residents now see its closed message."

    def post(self, request, *args, **kwargs):
        try:
            self.service(form=self.object, user=request.user)
        except FormStateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, self.done.format(form=self.object))
        return redirect(self.edit_url)


class FormReopenView(FormArchiveView):
    template_name = "forms_engine/admin/confirm_reopen.html"
    page_title = "Reopen form"
    service = staticmethod(form_reopen)
    done = "'{form}' is open again."


class FormStatisticsView(_FormActionView):
    template_name = "forms_engine/admin/statistics.html"
    page_title = "Statistics"
    header_icon = "table"

    def has_permission(self, user) -> bool:
        return can_view_statistics(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            days = int(self.request.GET.get("days", DEFAULT_PERIOD_DAYS))
        except ValueError:
            days = DEFAULT_PERIOD_DAYS
        if days not in PERIOD_DAYS:
            days = DEFAULT_PERIOD_DAYS
        url = reverse(self.viewset.get_url_name("statistics"), args=[quote(self.object.pk)])
        context.update(
            stats=form_statistics(form=self.object, days=days),
            periods=[(n, f"Last {n} days", f"{url}?days={n}", n == days) for n in PERIOD_DAYS],
            abandon_hours=settings.FORM_ABANDON_HOURS,
        )
        return context


def _state_label(form) -> str:
    return FormState(form.state).label


class ServiceFormViewSet(SnippetViewSet):
    model = ServiceForm
    icon = "form"
    menu_label = "Forms"
    menu_name = "forms"
    menu_order = 210
    add_to_admin_menu = True
    url_prefix = "forms"

    index_view_class = ServiceFormIndexView
    add_view_class = ServiceFormCreateView
    edit_view_class = ServiceFormEditView
    delete_view_class = ServiceFormDeleteView
    filterset_class = ServiceFormFilterSet
    search_fields = ["title", "slug"]
    search_backend_name = None
    ordering = ["title"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False

    edit_template_name = "forms_engine/admin/edit.html"

    @cached_property
    def list_display(self):
        return [
            "title",
            StatusTagColumn(
                "state",
                label="State",
                accessor=_state_label,
                primary=lambda form: form.state == FormState.LIVE,
            ),
            Column("service", label="Service", accessor=lambda form: str(form.service or "")),
            Column("fee", label="Fee", accessor=fee_display),
            Column("live_version", label="Live version", accessor=lambda form: form.live_version or "-"),
            UpdatedAtColumn(),
        ]

    def get_queryset(self, request):
        live_version = FormVersion.objects.filter(
            form=OuterRef("pk"), revision=OuterRef("live_revision")
        ).values("number")[:1]
        return ServiceForm.objects.select_related("service").annotate(live_version=Subquery(live_version))

    def get_edit_handler(self):
        # The model's panels, on the editor's own form: labels, pounds, the fee question chooser.
        return ObjectList(ServiceForm.panels, base_form_class=ServiceFormAdminForm).bind_to_model(ServiceForm)

    @property
    def edit_view(self):
        return _one_save_at_a_time(super().edit_view)

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(edit_view_func=self.edit_view, **kwargs)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(statistics_url_name=self.get_url_name("statistics"), **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(
            statistics_url_name=self.get_url_name("statistics"),
            archive_url_name=self.get_url_name("archive"),
            reopen_url_name=self.get_url_name("reopen"),
            **kwargs,
        )

    def _action_view(self, view_class):
        return view_class.as_view(viewset=self)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("archive/<str:pk>/", self._action_view(FormArchiveView), name="archive"),
            path("reopen/<str:pk>/", self._action_view(FormReopenView), name="reopen"),
            path("statistics/<str:pk>/", self._action_view(FormStatisticsView), name="statistics"),
        ]


class FormStatisticsIndexView(WagtailAdminTemplateMixin, TemplateView):
    """Reports > Form statistics: every form, each linking to its statistics. Service managers
    cannot open the forms editor, so this is their way in."""

    template_name = "forms_engine/admin/statistics_index.html"
    page_title = "Form statistics"
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_statistics(request.user):
            messages.error(request, "Sorry, you do not have permission to do that.")
            return redirect("wagtailadmin_home")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        url_name = ServiceForm.snippet_viewset.get_url_name("statistics")
        context["forms"] = [
            (form, _state_label(form), reverse(url_name, args=[quote(form.pk)]))
            for form in ServiceForm.objects.order_by("title")
        ]
        return context
