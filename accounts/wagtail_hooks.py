from wagtail import hooks
from wagtail.log_actions import LogFormatter

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
