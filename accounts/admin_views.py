"""Staff views inside the Wagtail admin: Wagtail's user admin, with our forms, and the
auditors' report of staff access to resident records."""

import datetime
from dataclasses import dataclass

import django_filters

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.users.views.users import UserViewSet

from portal.interactions.constants import Channel
from portal.interactions.models import LgslService
from portal.lib.csv import SafeSpreadsheetExportMixin
from portal.lib.dates import datetime_display

from .constants import StaffAccessAction
from .forms.staff import PortalUserCreationForm, PortalUserEditForm
from .models import StaffAccess


class PortalUserViewSet(UserViewSet):
    """Wagtail's user admin for a user with a single full-name field."""

    create_template_name = "wagtailusers/users/portal_create.html"
    edit_template_name = "wagtailusers/users/portal_edit.html"

    def get_form_class(self, for_update=False):
        return PortalUserEditForm if for_update else PortalUserCreationForm


# --- Reports > Resident record access (auditors) --------------------------------------------


def _resident_label(entry: StaffAccess) -> str:
    resident = entry.resident
    if resident is None:
        return "Deleted account"
    return resident.full_name or resident.email or resident.contact_email or f"Resident record {resident.pk}"


def _access_label(entry: StaffAccess) -> str:
    label = entry.get_action_display()
    return f"{label}: {entry.detail}" if entry.detail else label


def _channel_label(code: str) -> str:
    return Channel(code).label if code in Channel.values else code


@dataclass(frozen=True)
class AccessRow:
    """One entry as the report shows it (and its CSV writes it)."""

    at: datetime.datetime
    when: str
    staff_name: str
    resident: str
    resident_email: str
    resident_key: str
    action: str
    channel: str
    identity: str
    reason: str


def _reason(entry: StaffAccess, services: dict[int, str]) -> str:
    """The contact the agent recorded for the call: its channel, service and avoidable flag."""
    contact = entry.contact
    if contact is None:
        return "Call not closed yet" if entry.call else "No call"
    parts = [_channel_label(contact.channel)]
    if contact.service_code:
        parts.append(services.get(contact.service_code, f"Service {contact.service_code}"))
    if contact.avoidable:
        category = contact.get_avoidable_category_display()
        parts.append(f"avoidable ({category})" if category else "avoidable")
    elif contact.avoidable is False:
        parts.append("not avoidable")
    return "; ".join(parts)


def _staff_choices(request):
    return (
        get_user_model()
        .objects.filter(pk__in=StaffAccess.objects.exclude(staff=None).values("staff"))
        .order_by("full_name", "email")
    )


class StaffAccessFilterSet(WagtailFilterSet):
    staff = django_filters.ModelChoiceFilter(
        label="Staff member", queryset=_staff_choices, empty_label="Any staff member"
    )
    resident = django_filters.CharFilter(
        label="Resident (name or email)", method="filter_resident", help_text="Part of a name or email"
    )
    at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)
    action = django_filters.ChoiceFilter(
        label="Action", choices=StaffAccessAction.choices, empty_label="Any action"
    )

    class Meta:
        model = StaffAccess
        fields = ["staff", "resident", "at", "action"]

    def filter_resident(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(resident__full_name__icontains=value)
            | Q(resident__email__icontains=value)
            | Q(resident__contact_email__icontains=value)
        )


class StaffAccessReportView(SafeSpreadsheetExportMixin, ReportView):
    """Reports > Resident record access: every look at, and action on, a resident's record by
    staff, for auditors (``accounts.audit_staffaccess``, the Auditors group; superusers).
    Anyone else is refused (Wagtail's permission denied), whatever their other permissions."""

    page_title = "Resident record access"
    header_icon = "view"
    model = StaffAccess
    permission_policy = ModelPermissionPolicy(StaffAccess)
    permission_required = "audit"  # accounts.audit_staffaccess
    filterset_class = StaffAccessFilterSet
    index_url_name = "accounts_staff_access_report"
    index_results_url_name = "accounts_staff_access_report_results"
    default_ordering = "-at"
    paginate_by = 50
    columns = [
        Column("when", label="When", sort_key="at"),
        Column("staff_name", label="Staff member", sort_key="staff_name"),
        Column("resident", label="Resident"),
        Column("action", label="Action"),
        Column("channel", label="Channel"),
        Column("identity", label="Identity checked by"),
        Column("reason", label="Reason (the recorded contact)"),
    ]
    list_export = [
        "at",
        "staff_name",
        "resident",
        "resident_email",
        "resident_key",
        "action",
        "channel",
        "identity",
        "reason",
    ]
    export_headings = {
        "at": "When",
        "staff_name": "Staff member",
        "resident": "Resident",
        "resident_email": "Resident's email",
        "resident_key": "Resident key",
        "action": "Action",
        "channel": "Channel",
        "identity": "Identity checked by",
        "reason": "Reason (the recorded contact)",
    }

    def get_filename(self):
        return f"resident-record-access-{timezone.localdate():%Y-%m-%d}"

    def get_valid_orderings(self):
        return ["at", "-at", "staff_name", "-staff_name"]

    def get_base_queryset(self):
        return StaffAccess.objects.select_related("resident", "contact")

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "-pk")

    def get_table(self, object_list):
        return super().get_table(self.decorate_paginated_queryset(object_list))

    def decorate_paginated_queryset(self, object_list):
        """The entries of the page (or of the whole export) as ``AccessRow``s, with one query
        for the services' names."""
        entries = list(object_list)
        if entries and isinstance(entries[0], AccessRow):
            return entries
        codes = {e.contact.service_code for e in entries if e.contact is not None and e.contact.service_code}
        services = (
            dict(LgslService.objects.filter(code__in=codes).values_list("code", "label")) if codes else {}
        )
        return [
            AccessRow(
                at=timezone.localtime(entry.at).replace(tzinfo=None),
                when=datetime_display(entry.at, short=True),
                staff_name=entry.staff_name,
                resident=_resident_label(entry),
                resident_email=(entry.resident.email or entry.resident.contact_email)
                if entry.resident
                else "",
                resident_key=entry.resident_key,
                action=_access_label(entry),
                channel=_channel_label(entry.channel),
                identity=entry.get_identity_display() if entry.identity else "Not checked",
                reason=_reason(entry, services),
            )
            for entry in entries
        ]
