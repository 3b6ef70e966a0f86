from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from .admin_views import StaffAccessReportView
from .audit import STAFF_ACTIONS

_KINDS = {
    "totp": "authenticator app",
    "webauthn": "passkey or security key",
    "recovery_codes": "recovery codes",
}


class StaffAuditFormatter(LogFormatter):
    """Says what changed, from the entry's data: groups, permissions, MFA method or flags."""

    def format_message(self, log_entry):
        data = log_entry.data or {}
        parts = []
        if "kind" in data:
            parts.append(_KINDS.get(data["kind"], data["kind"]).capitalize())
        for change in ("added", "removed"):
            if data.get(change):
                parts.append(f"{change.capitalize()}: {', '.join(data[change])}")
        for flag, label in (("is_staff", "Staff"), ("is_superuser", "Superuser")):
            if flag in data:
                parts.append(f"{label}: {'yes' if data[flag] else 'no'}")
        return "; ".join(parts) or self.label


@hooks.register("register_log_actions")
def register_staff_audit_actions(actions):
    for action, label in STAFF_ACTIONS.items():
        actions.register_action(action)(type("Formatter", (StaffAuditFormatter,), {"label": label}))


@hooks.register("register_admin_urls")
def register_staff_access_report_urls():
    return [
        path(
            "reports/resident-record-access/",
            StaffAccessReportView.as_view(),
            name="accounts_staff_access_report",
        ),
        path(
            "reports/resident-record-access/results/",
            StaffAccessReportView.as_view(results_only=True),
            name="accounts_staff_access_report_results",
        ),
    ]


class AuditorsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("accounts.audit_staffaccess")


@hooks.register("register_reports_menu_item")
def register_staff_access_report_menu_item():
    return AuditorsMenuItem(
        "Resident record access",
        reverse("accounts_staff_access_report"),
        name="resident-record-access",
        icon_name="view",
        order=900,
    )
