import logging
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.services import interaction_record
from portal.lib import personal_data
from portal.lib.retry import backoff_delay, task_enqueue
from portal.lib.validation import (
    MOBILE_REQUIRED,
    phone_is_uk_mobile,
    phone_normalise,
    postcode_normalise,
    uprn_clean,
)
from portal.notifications.constants import NotificationChannel
from portal.notifications.services import message_send

from .archive import archive_write
from .constants import (
    DATA_EXPORT_MAX_ATTEMPTS,
    DATA_EXPORT_RESUME_MARGIN,
    DATA_EXPORT_RETRY_DELAYS,
    ContactPreference,
    DataExportStatus,
    StaffAccessAction,
    SupportNeed,
)
from .mfa import has_admin_access
from .models import DataExport, StaffAccess, SupportNeeds, User

# People who act for a resident: written in .proxies, public here.
from .proxies import (
    ProxyError as ProxyError,
)
from .proxies import (
    proxy_accept as proxy_accept,
)
from .proxies import (
    proxy_decline as proxy_decline,
)
from .proxies import (
    proxy_end as proxy_end,
)
from .proxies import (
    proxy_invite as proxy_invite,
)

# A record the contact centre kept without an account, added to the person's account: in .records.
from .records import RecordMergeError as RecordMergeError
from .records import RecordNotOffered as RecordNotOffered
from .records import resident_record_link_propose as resident_record_link_propose
from .records import resident_record_merge as resident_record_merge

logger = logging.getLogger(__name__)


class ProfileError(ValueError):
    """A profile change that cannot be made; ``field`` is the form field to show it on."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AccountDeletionError(ValueError):
    pass


# Profile

PROFILE_EDITABLE = (
    "full_name",
    "phone",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "uprn",
    "contact_preference",
    "bill_reminders_by_text",
)
_ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode")
_MAX_LENGTHS = {"full_name": 200, "address_line_1": 100, "address_line_2": 100, "town": 60}
_LABELS = {
    "full_name": "Full name",
    "address_line_1": "Address line 1",
    "address_line_2": "Address line 2",
    "town": "Town or city",
}


def _clean(name: str, value: str | bool | None) -> str | bool:
    if name == "bill_reminders_by_text":
        return bool(value)
    value = str(value or "").strip()
    try:
        if name == "phone":
            return phone_normalise(value)
        if name == "postcode":
            return postcode_normalise(value)
        if name == "uprn":
            return uprn_clean(value)
    except ValidationError as exc:
        raise ProfileError(exc.messages[0], field=name) from exc
    if name == "contact_preference" and value not in ContactPreference.values:
        raise ProfileError("Choose how you want us to contact you", field=name)
    if name == "full_name" and not value:
        raise ProfileError("Enter your full name", field=name)
    limit = _MAX_LENGTHS.get(name)
    if limit and len(value) > limit:
        raise ProfileError(f"{_LABELS[name]} must be {limit} characters or less", field=name)
    return value


@transaction.atomic
def profile_update(*, user: User, by_resident: bool = False, **changes: str | bool) -> User:
    """Change some of a resident's details; the rest stay as they are.

    Values are cleaned (postcodes as ``SW1A 1AA``, phone numbers as digits) and the
    profile must still hang together afterwards: an address has a first line, town and
    postcode; text messages (and bill reminders by text) need a UK mobile; post needs an
    address. Changing the address without a UPRN clears the old one, which belonged to the
    old address.

    ``by_resident``: the resident changed it themselves (My account). A STOP their number sent
    is not undone here: a number is typed, not proved, so only START texted from the number
    itself asks for texts again (``portal.notifications.inbound``).
    """
    unknown = set(changes) - set(PROFILE_EDITABLE)
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    cleaned = {name: _clean(name, value) for name, value in changes.items()}
    after = {name: getattr(user, name) for name in PROFILE_EDITABLE} | cleaned

    if any(after[name] for name in _ADDRESS_FIELDS):
        for name, message in (
            ("address_line_1", "Enter address line 1, typically the building and street"),
            ("town", "Enter town or city"),
            ("postcode", "Enter postcode"),
        ):
            if not after[name]:
                raise ProfileError(message, field=name)
    address_changed = any(
        name in cleaned and cleaned[name] != getattr(user, name) for name in _ADDRESS_FIELDS
    )
    if address_changed and "uprn" not in cleaned:
        cleaned["uprn"] = after["uprn"] = ""

    preference = after["contact_preference"]
    if preference == ContactPreference.SMS and not phone_is_uk_mobile(after["phone"]):
        raise ProfileError(MOBILE_REQUIRED, field="phone" if "phone" in changes else "contact_preference")
    if preference == ContactPreference.POST and not after["address_line_1"]:
        field = "address_line_1" if "address_line_1" in changes else "contact_preference"
        raise ProfileError("Enter your address to get letters by post", field=field)
    if (
        after["bill_reminders_by_text"]
        and "bill_reminders_by_text" not in changes
        and "phone" in cleaned
        and not phone_is_uk_mobile(after["phone"])
    ):
        # The mobile number went (elsewhere than on the reminders' own page): so do the reminders.
        cleaned["bill_reminders_by_text"] = after["bill_reminders_by_text"] = False
    if after["bill_reminders_by_text"] and not phone_is_uk_mobile(after["phone"]):
        raise ProfileError(
            "Enter a UK mobile number to get bill reminders by text, or untick bill reminders",
            field="phone" if "phone" in changes else "bill_reminders_by_text",
        )

    phone_before = user.phone
    for name, value in cleaned.items():
        setattr(user, name, value)
    if cleaned:
        user.save(update_fields=list(cleaned))
    if user.phone != phone_before and user.email and user.has_account:
        _phone_change_tell(user)
    return user


def _phone_change_tell(user: User) -> None:
    """Email the account's own address that its phone number changed: sign-in codes may go by
    text, so someone who took over a session and set their own number is noticed at once."""
    message_send(
        key="accounts/phone_changed",
        channel=NotificationChannel.EMAIL,
        email=user.email or "",
        user=user,
        context={
            "name": user.first_name or "there",
            "ending": user.phone[-3:] if user.phone else "(none: it was removed)",
            "link": settings.SITE_URL + reverse("account_security"),
        },
    )


def contact_check_shown(*, user: User) -> None:
    """The resident has been asked to check the contact details Notify could not deliver to:
    the same failures are not asked about again (a later one is)."""
    user.contact_check_shown_at = timezone.now()
    user.save(update_fields=["contact_check_shown_at"])


# Resident records without an account (made by the contact centre)


@transaction.atomic
def resident_record_create(*, staff: User, full_name: str, contact_email: str = "", **profile: str) -> User:
    """A record for a caller with no account, or no email: no password and no sign-in.

    ``profile`` takes the profile fields (phone, address, contact preference), cleaned and
    checked as a resident's own changes are. A name and one way to reach the person (a
    phone number, an address or an email) are required. The person can later add the record
    to an account they make (``portal.cases`` and ``contact_centre`` offer that).
    """
    contact_email = (contact_email or "").strip().lower()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError as exc:
            raise ProfileError(
                "Enter an email address in the correct format, like name@example.com", field="contact_email"
            ) from exc
    user = User(email=None, has_account=False, contact_email=contact_email, created_by=staff)
    user.set_unusable_password()
    user.save()
    profile_update(user=user, full_name=full_name, **profile)  # type: ignore[arg-type]
    if not (user.phone or user.has_address or user.contact_email):
        raise ProfileError("Enter a phone number, an address or an email address", field="phone")
    return user


def staff_access_record(
    *,
    staff: User | None,
    resident: User,
    action: str,
    channel: str = "",
    identity: str = "",
    call: UUID | str | None = None,
    detail: str = "",
) -> StaffAccess:
    """Audit one look at, or one action on, ``resident``'s record by ``staff``.

    Written in the caller's transaction: if the action fails, so does its entry, and an
    action is never taken without one.
    """
    if action not in StaffAccessAction.values:
        raise ValueError(f"Unknown staff access {action!r}")
    return StaffAccess.objects.create(
        resident=resident,
        resident_key=resident.person_key,
        staff=staff,
        staff_name=((staff.full_name or staff.email or "") if staff else "")[:200],
        action=action,
        channel=channel,
        identity=identity,
        call=call,
        detail=detail[:300],
    )


def staff_access_contact_link(*, call: UUID | str, contact_id: int) -> int:
    """Give every entry of one conversation its reason: the contact the agent recorded."""
    return StaffAccess.objects.filter(call=call, contact__isnull=True).update(contact_id=contact_id)


# Sessions


def account_sessions_end_others(
    *, user: User, current_session_key: str, request: HttpRequest | None = None
) -> int:
    """Sign the account out on every device except this one; returns how many were ended."""
    others = list(UserSession.objects.filter(user=user).exclude(session_key=current_session_key))
    get_usersessions_adapter().end_sessions(others)
    interaction_record(
        type=InteractionType.AUTH,
        request=request,
        user=user,
        outcome=Outcome.SESSIONS_ENDED,
        extras={"count": len(others)},
    )
    return len(others)


# Data export


def _export_expiry(start: datetime) -> datetime:
    return start + timedelta(days=settings.PORTAL_DATA_EXPORT_DAYS)


def _enqueue_export(export_id: UUID | str, *, delay_seconds: int = 0) -> None:
    from .tasks import build_data_export  # imported late: accounts.tasks imports this module

    # A retry the backend cannot defer is left to ``data_exports_resume`` (tasks_housekeeping).
    task_enqueue(build_data_export, str(export_id), delay_seconds=delay_seconds)


@transaction.atomic
def data_export_request(*, user: User, request: HttpRequest | None = None) -> DataExport:
    """Ask for a copy of everything held about the account; it is built in the background.

    While one is being prepared, asking again returns that one rather than starting another.
    """
    now = timezone.now()
    pending = DataExport.objects.filter(
        user=user, status=DataExportStatus.PENDING, expires_at__gt=now
    ).first()
    if pending is not None:
        return pending
    export = DataExport.objects.create(user=user, requested_at=now, expires_at=_export_expiry(now))
    interaction_record(
        type=InteractionType.AUTH,
        request=request,
        user=user,
        outcome=Outcome.DATA_EXPORT,
        extras={"action": "requested"},
    )
    transaction.on_commit(lambda: _enqueue_export(export.pk))
    return export


def data_export_build(*, export_id: UUID | str) -> DataExport | None:
    """Build one export's ZIP, at most once; retry with backoff if it fails.

    When it is ready, older exports of the account are deleted (only the latest is kept)
    and the resident is emailed a link to the "Your data" page (not to the file itself).
    """
    with transaction.atomic():
        export = DataExport.objects.select_for_update().filter(pk=export_id).select_related("user").first()
        if export is None or export.status != DataExportStatus.PENDING:
            return export
        export.attempts += 1
        export.save(update_fields=["attempts"])
    user = export.user
    try:
        with archive_write(user) as archive:
            size = archive.seek(0, 2)
            archive.seek(0)
            export.file.save(f"{export.pk}.zip", File(archive), save=False)
    except Exception as exc:
        logger.exception("Data export %s failed (attempt %s)", export.pk, export.attempts)
        export.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if export.attempts >= DATA_EXPORT_MAX_ATTEMPTS:
            export.status = DataExportStatus.FAILED
            export.save(update_fields=["status", "last_error"])
            return export
        export.save(update_fields=["last_error"])
        _enqueue_export(export.pk, delay_seconds=backoff_delay(export.attempts, DATA_EXPORT_RETRY_DELAYS))
        return export

    now = timezone.now()
    with transaction.atomic():
        export.status = DataExportStatus.READY
        export.completed_at = now
        export.expires_at = _export_expiry(now)
        export.size = size
        export.last_error = ""
        export.save(update_fields=["status", "completed_at", "expires_at", "size", "file", "last_error"])
        older = list(
            DataExport.objects.filter(user=user, requested_at__lt=export.requested_at).exclude(pk=export.pk)
        )
        _data_exports_delete(older)
        message_send(
            key="accounts/data_export_ready",
            user=user,
            context={
                "name": user.full_name,
                "link": settings.SITE_URL + reverse("data_export"),
                "expires_on": date_format(timezone.localtime(export.expires_at), "j F Y"),
            },
        )
    return export


def data_exports_resume(*, now: datetime | None = None) -> int:
    """Queue again the exports whose last attempt failed and whose retry is overdue.

    A retry is normally queued with a delay (``DATA_EXPORT_RETRY_DELAYS``); a backend that
    cannot defer does not run it at once (that would loop), so the housekeeping does. An
    export is overdue when its backoff has passed since it was asked for, plus a margin, so
    a retry the backend did defer is not run twice. Returns how many were queued.
    """
    from .tasks import build_data_export  # imported late: accounts.tasks imports this module

    now = now or timezone.now()
    waiting = DataExport.objects.filter(
        status=DataExportStatus.PENDING, attempts__gt=0, expires_at__gt=now
    ).exclude(last_error="")
    queued = 0
    for export in waiting.only("pk", "attempts", "requested_at"):
        backoff = sum(backoff_delay(n, DATA_EXPORT_RETRY_DELAYS) for n in range(1, export.attempts + 1))
        if export.requested_at + timedelta(seconds=backoff) + DATA_EXPORT_RESUME_MARGIN <= now:
            task_enqueue(build_data_export, str(export.pk))
            queued += 1
    return queued


def _data_exports_delete(exports: list[DataExport]) -> None:
    """Delete export rows now and their files once the transaction has committed."""
    names = [export.file.name for export in exports if export.file.name]  # FieldFile is truthy iff named
    DataExport.objects.filter(pk__in=[export.pk for export in exports]).delete()
    if names:
        storage = DataExport._meta.get_field("file").storage

        def delete_files() -> None:
            for name in names:
                try:
                    storage.delete(name)
                except OSError:
                    logger.warning("Could not delete data export file %s", name)

        transaction.on_commit(delete_files)


def data_export_downloaded(*, export: DataExport, request: HttpRequest | None = None) -> None:
    interaction_record(
        type=InteractionType.AUTH,
        request=request,
        user=export.user,
        outcome=Outcome.DATA_EXPORT,
        extras={"action": "downloaded"},
    )


def data_exports_delete_for(*, user: User) -> None:
    _data_exports_delete(list(DataExport.objects.filter(user=user)))


@transaction.atomic
def data_exports_purge_expired() -> int:
    expired = list(DataExport.objects.filter(expires_at__lte=timezone.now()))
    _data_exports_delete(expired)
    return len(expired)


# Account deletion


def account_can_be_deleted(user: User) -> bool:
    """Staff accounts are closed by an administrator, not from My account."""
    return not has_admin_access(user)


@transaction.atomic
def account_delete(*, user: User, request: HttpRequest | None = None) -> str:
    """Delete a resident's account and everything about them the council does not have to keep.

    Every registered personal-data part erases or anonymises its own records first (see
    ``portal.lib.personal_data``); then every session of the account is ended and the user row is
    deleted, so the account can no longer sign in and its data export links stop working.
    Returns a reference the resident can quote, which is also on the logged event.
    """
    if not account_can_be_deleted(user):
        raise AccountDeletionError(
            "Accounts that can use the admin cannot be deleted here. Ask an administrator to close it"
        )
    # Lock the row; then delete the very instance the caller holds (often request.user), so
    # nothing afterwards (signing out, for one) can log an event against the old id.
    get_user_model().objects.select_for_update().get(pk=user.pk)
    reference = "DEL-" + secrets.token_hex(4).upper()
    for part in personal_data.parts():
        if part.erase is not None:
            part.erase(user)
    user.delete()
    interaction_record(
        type=InteractionType.AUTH,
        path=request.path if request is not None else "",
        outcome=Outcome.ACCOUNT_DELETED,
        extras={"reference": reference},
    )
    return reference


def personal_data_housekeeping() -> dict[str, int]:
    """Delete expired data exports, and retained records older than PORTAL_RETENTION_YEARS."""
    counts = {"data_exports": data_exports_purge_expired()}
    cutoff = timezone.now() - timedelta(days=round(365.25 * settings.PORTAL_RETENTION_YEARS))
    for part in personal_data.parts():
        if part.purge is not None:
            with transaction.atomic():
                counts[part.name] = part.purge(cutoff)
    return counts


def support_needs_clean(*, needs: list[str], language: str, details: str) -> tuple[list[str], str, str]:
    """Known needs in a stable order; the language only kept with an interpreter; text trimmed."""
    needs = [code for code in SupportNeed.values if code in set(needs)]
    language = language.strip() if SupportNeed.INTERPRETER in needs else ""
    return needs, language, details.strip()


@transaction.atomic
def support_needs_update(
    *,
    user: User,
    needs: list[str],
    language: str = "",
    details: str = "",
    recorded_by: User | None = None,
) -> SupportNeeds | None:
    """Record the extra support ``user`` needs (by themselves, or by an officer as
    ``recorded_by``). Clearing every answer deletes the record: nothing is kept "just in case"."""
    needs, language, details = support_needs_clean(needs=needs, language=language, details=details)
    if not needs and not details:
        SupportNeeds.objects.filter(user=user).delete()
        return None
    record, _ = SupportNeeds.objects.update_or_create(
        user=user,
        defaults={"needs": needs, "language": language, "details": details, "recorded_by": recorded_by},
    )
    return record
