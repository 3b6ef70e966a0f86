"""Reads that views (and, later, the forms engine) share."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.utils import timezone

from payments import selectors as payment_selectors
from payments.models import Payment
from portal.cases import selectors as case_selectors
from portal.cases.models import Case
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction

from .constants import DataExportStatus
from .devices import device_label
from .mfa import staff_mfa_step as staff_mfa_step  # public: other apps read the staff MFA rule here
from .models import DataExport, User

PROFILE_FIELDS = (
    "full_name",
    "email",
    "phone",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "uprn",
    "contact_preference",
)
DATA_EXPORT_SALT = "accounts.data_export"


def profile_initial(user: User | AnonymousUser | None) -> dict[str, str]:
    """What a form can prefill about the signed-in resident, keyed by profile field name.

    Empty for anyone not signed in, so a form can always call ``profile_initial(request.user)``.
    """
    if user is None or not user.is_authenticated:
        return {}
    return {name: getattr(user, name) or "" for name in PROFILE_FIELDS}


# The security page: sign-ins, failures, and changes to how the account is protected.

_MFA_KINDS = {
    Authenticator.Type.TOTP: "Authenticator app",
    Authenticator.Type.WEBAUTHN: "Passkey or security key",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes",
}
_MFA_ACTIONS = {"added": "set up", "removed": "removed"}
_EVENT_TEXT: dict[str, str] = {
    Outcome.LOGIN_OK: "Signed in",
    Outcome.LOGIN_FAILED: "Sign-in attempt with the wrong password",
    Outcome.LOGOUT: "Signed out",
    Outcome.PASSWORD_RESET: "Password reset",
    Outcome.PASSWORD_CHANGED: "Password changed",
    Outcome.PASSWORD_SET: "Password created",
    Outcome.MFA_FAILED: "Wrong 2-step verification code entered",
    Outcome.LOGIN_CODE_FAILED: "Wrong sign-in code entered",
    Outcome.EMAIL_CHANGED: "Email address changed",
    Outcome.SESSIONS_ENDED: "Signed out of all other devices",
}
_WARNINGS = {Outcome.LOGIN_FAILED, Outcome.MFA_FAILED, Outcome.LOGIN_CODE_FAILED}


@dataclass(frozen=True)
class SecurityEvent:
    occurred_at: datetime
    description: str
    is_warning: bool


def _describe(outcome: str, extras: dict[str, Any]) -> str:
    if outcome == Outcome.MFA:
        kind, action = extras.get("kind", ""), extras.get("action", "")
        if action == "reset":
            return "New recovery codes created"
        if action == "used":
            return "Recovery code used to sign in"
        return f"{_MFA_KINDS.get(kind, '2-step verification')} {_MFA_ACTIONS.get(action, action)}".strip()
    if outcome == Outcome.DATA_EXPORT:
        return (
            "Copy of your data downloaded"
            if extras.get("action") == "downloaded"
            else "Copy of your data requested"
        )
    if outcome in _EVENT_TEXT:
        return _EVENT_TEXT[outcome]
    return Outcome(outcome).label if outcome in Outcome.values else outcome.replace("_", " ").capitalize()


def security_events(*, user: User, limit: int = 20) -> list[SecurityEvent]:
    """The account's latest security events, newest first, from the interaction log."""
    rows = (
        Interaction.objects.filter(user=user, type=InteractionType.AUTH)
        .order_by("-occurred_at", "-pk")
        .values("occurred_at", "outcome", "extras")[:limit]
    )
    return [
        SecurityEvent(
            occurred_at=row["occurred_at"],
            description=_describe(row["outcome"], row["extras"] or {}),
            is_warning=row["outcome"] in _WARNINGS,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class DeviceSession:
    device: str
    ip: str
    signed_in_at: datetime
    last_seen_at: datetime
    is_current: bool


def account_sessions(*, user: User, current_session_key: str) -> list[DeviceSession]:
    """Devices signed in to the account, this one first, then the most recently seen."""
    sessions = [
        DeviceSession(
            device=device_label(session.user_agent),
            ip=session.ip,
            signed_in_at=session.created_at,
            last_seen_at=session.last_seen_at,
            is_current=session.session_key == current_session_key,
        )
        for session in UserSession.objects.purge_and_list(user)
    ]
    return sorted(sessions, key=lambda s: (not s.is_current, -s.last_seen_at.timestamp()))


def mfa_summary(*, user: User) -> dict[str, Any]:
    authenticators = list(Authenticator.objects.filter(user_id=user.pk))
    recovery = next((a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None)
    return {
        "totp": any(a.type == Authenticator.Type.TOTP for a in authenticators),
        "webauthn": [a for a in authenticators if a.type == Authenticator.Type.WEBAUTHN],
        "recovery_codes_left": len(recovery.wrap().get_unused_codes()) if recovery else None,
        "enabled": any(a.type != Authenticator.Type.RECOVERY_CODES for a in authenticators),
    }


# Data exports


def data_exports_for(*, user: User) -> list[DataExport]:
    """Exports still worth showing: being prepared, or ready and not yet expired."""
    now = timezone.now()
    return [
        export
        for export in DataExport.objects.filter(user=user, expires_at__gt=now).order_by("-requested_at")[:5]
        if export.status != DataExportStatus.FAILED or export.requested_at > now - timedelta(days=1)
    ]


def data_export_for_token(*, token: str, user: User) -> DataExport | None:
    """The export a download link points at, if the link is genuine, unexpired and ``user``'s own."""
    try:
        payload = signing.loads(
            token, salt=DATA_EXPORT_SALT, max_age=settings.PORTAL_DATA_EXPORT_DAYS * 86400
        )
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    export_id = payload.get("e")
    if export_id is None:
        return None
    export = DataExport.objects.filter(pk=export_id, user=user).first()
    if export is None or not export.is_downloadable:
        return None
    return export


def data_export_token(*, export: DataExport) -> str:
    """A signed, expiring token naming the export and the one account allowed to fetch it."""
    return signing.dumps({"e": str(export.pk), "u": export.user_id}, salt=DATA_EXPORT_SALT)


# Deleting the account: what the resident should know before they confirm.


@dataclass(frozen=True)
class DeletionImpact:
    """The resident's open requests and the payments they made, as the delete page lists them."""

    open_cases: list[Case]
    paid_payments: list[Payment]
    retention_years: int


def account_deletion_impact(*, user: User) -> DeletionImpact:
    """What deleting ``user`` would leave behind: open requests, and payments already taken."""
    return DeletionImpact(
        open_cases=[case for case in case_selectors.case_list_for_resident(user) if case.is_open],
        paid_payments=[
            payment for payment in payment_selectors.payment_list_for_user(user) if payment.is_success
        ],
        retention_years=settings.PORTAL_RETENTION_YEARS,
    )
