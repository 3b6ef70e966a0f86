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
from portal.lib.dates import datetime_display
from portal.notifications.models import Notification
from portal.notifications.selectors import undeliverable_addresses

from .constants import DataExportStatus, StaffAccessAction
from .devices import device_label
from .mfa import staff_mfa_step as staff_mfa_step  # public: other apps read the staff MFA rule here
from .models import DataExport, Proxy, StaffAccess, User
from .proxies import proxy_invitation_for_token as proxy_invitation_for_token  # public: the invitation page
from .proxies import proxy_invitation_match as proxy_invitation_match
from .records import RecordOffer as RecordOffer  # public: records offered to an account, in .records
from .records import resident_record_merged_into as resident_record_merged_into
from .records import resident_record_offer as resident_record_offer
from .records import resident_record_offers as resident_record_offers

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


# People who act for a resident (``accounts.proxies`` writes them)


def proxies_for_resident(resident: User) -> list[Proxy]:
    """Everyone ``resident`` has named to act for them, invitations and ended ones included,
    newest first, with the person (``proxy.person``, None until accepted), the relationship
    (``get_relationship_display``), what they may do (``can_submit``, ``can_pay``,
    ``permission_labels``), ``ends_on``, and where it stands (``state``, ``state_label``,
    ``is_active``). For the resident's page and the contact centre's resident record."""
    return list(Proxy.objects.filter(resident=resident).select_related("person"))


def acting_for(person: User | AnonymousUser) -> list[Proxy]:
    """The active arrangements under which ``person`` acts for someone, with ``proxy.resident``
    (ended, declined, expired and unanswered ones left out), by the resident's name."""
    if not person.is_authenticated:
        return []
    return list(
        Proxy.objects.active()
        .filter(person=person)
        .select_related("resident")
        .order_by("resident__full_name", "pk")
    )


def proxy_of_resident(resident: User | AnonymousUser, pk: int) -> Proxy | None:
    """One of ``resident``'s own arrangements (any state), or None (a 404)."""
    if not resident.is_authenticated:
        return None
    return Proxy.objects.select_related("person").filter(pk=pk, resident=resident).first()


def proxy_acting(person: User | AnonymousUser, pk: int) -> Proxy | None:
    """An active arrangement under which ``person`` acts, or None (a 404): an ended or expired
    one gives no access."""
    if not person.is_authenticated:
        return None
    return Proxy.objects.active().select_related("resident").filter(pk=pk, person=person).first()


# When council staff looked at the resident's record (``StaffAccess``, written by the contact centre)

STAFF_ACCESS_MONTHS = 12
# At most this many entries on the security page (the data export has them all).
STAFF_ACCESS_LIMIT = 300
# "... while helping you by phone": how the resident was in touch, by the call's channel.
_HELPED_BY = {
    "phone": "by phone",
    "face_to_face": "face to face",
    "email": "by email",
    "letter": "by letter",
    "social": "on social media",
}


@dataclass(frozen=True)
class StaffVisit:
    """One conversation in which a member of staff opened the resident's record, and what
    they did for the resident in it, in the words the resident reads."""

    at: datetime
    staff_name: str
    what: str  # "looked at your record", from the conversation's first entry
    helped_by: str  # "by phone", or "" when the channel is not known
    actions: tuple[str, ...]  # "Started a form for you: Report a missed bin", oldest first

    @property
    def sentence(self) -> str:
        """ "On 3 March 2026 at 10:05am, council staff looked at your record while helping you by
        phone". Residents are not told staff members' names (auditors are): staff safety."""
        helping = f" while helping you {self.helped_by}" if self.helped_by else ""
        return f"On {datetime_display(self.at)}, council staff {self.what}{helping}"


def _access_text(entry: StaffAccess) -> str:
    label = (
        StaffAccessAction(entry.action).label if entry.action in StaffAccessAction.values else entry.action
    )
    return f"{label}: {entry.detail}" if entry.detail else label


def staff_visits_for(*, user: User, now: datetime | None = None) -> list[StaffVisit]:
    """``user``'s own staff access entries of the last ``STAFF_ACCESS_MONTHS`` months, one
    ``StaffVisit`` per conversation (the entries of one call), newest first."""
    now = now or timezone.now()
    since = now - timedelta(days=round(365.25 * STAFF_ACCESS_MONTHS / 12))
    entries = list(
        StaffAccess.objects.filter(resident=user, at__gte=since, at__lte=now)
        .order_by("-at", "-pk")
        .only("at", "staff_name", "action", "channel", "call", "detail")[:STAFF_ACCESS_LIMIT]
    )
    groups: dict[str, list[StaffAccess]] = {}
    for entry in entries:
        groups.setdefault(str(entry.call) if entry.call else f"entry-{entry.pk}", []).append(entry)
    visits = []
    for group in groups.values():
        group.reverse()  # oldest first
        first = group[0]
        text = _access_text(first)
        what = text[:1].lower() + text[1:]
        actions: list[str] = []
        for entry in group[1:]:
            line = _access_text(entry)
            if entry.action != StaffAccessAction.RECORD_OPENED and line not in actions:
                actions.append(line)
        visits.append(
            StaffVisit(
                at=first.at,
                staff_name=first.staff_name or "A member of staff",
                what=what,
                helped_by=_HELPED_BY.get(first.channel, ""),
                actions=tuple(actions),
            )
        )
    visits.sort(key=lambda visit: visit.at, reverse=True)
    return visits


# Contact details Notify could not deliver to


def contact_flags_unseen(user: User) -> dict[str, Notification]:
    """The resident's email address or phone number that messages could not be delivered to
    (channel -> the failed message), and that they have not yet been asked to check since."""
    if not user.is_authenticated or not user.has_account:
        return {}
    seen = user.contact_check_shown_at
    return {
        channel: failed
        for channel, failed in undeliverable_addresses(user).items()
        if seen is None or failed.updated_at > seen
    }
