"""People who act for a resident (a carer, a relative, an attorney): inviting them, their
answer, and ending the arrangement. Re-exported from ``accounts.services``.

The resident invites an email address; the invitation link carries a random token of
which only the SHA-256 is kept (the outbox keeps a placeholder, never the link). The person
accepts with their own account, from a verified address that matches the invitation, and
from then on sees (and, as allowed, acts on) the resident's requests until either side ends
it or its end date passes (``Proxy.objects.active``).
"""

import hashlib
import secrets
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from portal.lib.ratelimit import ratelimit_hit
from portal.notifications.constants import NotificationChannel
from portal.notifications.services import message_send

from .constants import PROXY_INVITATION_DAYS, ProxyEndedBy, ProxyRelationship, ProxyState
from .models import Proxy, User

# Invitations one resident may send in a day.
INVITES_PER_DAY = 5


class ProxyError(ValueError):
    """A change to who acts for a resident that cannot be made; ``field`` is the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def proxy_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _name(user: User) -> str:
    return user.full_name or user.email or "A resident"


def verified_emails(user: User) -> set[str]:
    """The addresses ``user`` has proved they own (allauth's verified email addresses)."""
    return {
        address.lower()
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


def _all_emails(user: User) -> set[str]:
    emails = {
        address.lower() for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    if user.email:
        emails.add(user.email.lower())
    return emails


def _relationship(proxy: Proxy) -> str:
    return proxy.get_relationship_display().lower()


def _date(day: date | datetime) -> str:
    return date_format(timezone.localtime(day) if isinstance(day, datetime) else day, "j F Y")


@transaction.atomic
def proxy_invite(
    *,
    resident: User,
    email: str,
    relationship: str,
    can_submit: bool,
    can_pay: bool,
    ends_on: date | None = None,
) -> tuple[Proxy, str]:
    """Invite the person at ``email`` to act for ``resident``, and email them the link.

    Viewing the resident's requests is always allowed; ``can_submit`` and ``can_pay`` add
    sending messages and paying. ``ends_on`` (optional) is the last day they may act and
    cannot be in the past. The invitation can be accepted for ``PROXY_INVITATION_DAYS``.
    Returns the invitation and its token (the token is only in the email; tests use it).
    """
    email = (email or "").strip().lower()
    if not email:
        raise ProxyError("Enter the email address of the person who will act for you", field="email")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ProxyError(
            "Enter an email address in the correct format, like name@example.com", field="email"
        ) from exc
    if email in _all_emails(resident):
        raise ProxyError(
            "Enter the email address of someone else. You cannot act for yourself", field="email"
        )
    if relationship not in ProxyRelationship.values:
        raise ProxyError("Select how you know the person", field="relationship")
    today = timezone.localdate()
    if ends_on is not None and ends_on < today:
        raise ProxyError("The end date must be today or in the future", field="ends_on")
    User.objects.select_for_update().filter(pk=resident.pk).first()  # one invitation at a time
    for existing in Proxy.objects.filter(resident=resident, ended_at__isnull=True).select_related("person"):
        if existing.state == ProxyState.INVITED and existing.invite_email == email:
            raise ProxyError(
                "You have already invited this person. They need to accept the invitation we emailed them",
                field="email",
            )
        if (
            existing.state == ProxyState.ACTIVE
            and existing.person
            and email in verified_emails(existing.person)
        ):
            raise ProxyError(
                "This person can already act for you. End that first if you want to change what they can do",
                field="email",
            )
    # Each invitation emails an address the resident typed, in the council's name.
    if ratelimit_hit(f"accounts:proxy_invites:{resident.pk}", limit=INVITES_PER_DAY, window_seconds=86400):
        raise ProxyError(
            f"You can invite up to {INVITES_PER_DAY} people a day. Try again tomorrow", field="email"
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    proxy = Proxy.objects.create(
        resident=resident,
        invite_email=email,
        relationship=relationship,
        can_submit=can_submit,
        can_pay=can_pay,
        ends_on=ends_on,
        created_at=now,
        token_hash=proxy_token_hash(token),
        invitation_expires_at=now + timedelta(days=PROXY_INVITATION_DAYS),
    )
    url = settings.SITE_URL + reverse("account_proxy_invitation", kwargs={"token": token})
    permissions = ["- see their requests and how they are going"]
    if can_submit:
        permissions.append("- send messages and replies about their requests for them")
    if can_pay:
        permissions.append("- pay fees on their requests for them")
    # Only by email, to the address the resident typed: the person accepts by signing in with it.
    message_send(
        key="accounts/proxy_invitation",
        email=email,
        channel=NotificationChannel.EMAIL,
        context={
            "resident_name": _name(resident),
            "relationship": _relationship(proxy),
            "permissions": "\n".join(permissions),
            "until": f"until {_date(ends_on)}." if ends_on else "",
            "link": url,
            "expires_on": _date(proxy.invitation_expires_at),
        },
    )
    return proxy, token


def proxy_invitation_for_token(token: str) -> Proxy | None:
    """The invitation a link points at (in any state: the page says why it cannot be used)."""
    if not token or len(token) > 200:
        return None
    return Proxy.objects.select_related("resident").filter(token_hash=proxy_token_hash(token)).first()


def proxy_invitation_match(*, proxy: Proxy, user: User) -> str:
    """Whether ``user`` is the person invited: ``"verified"`` (one of their verified addresses
    is the one invited), ``"unverified"`` (they have it, not yet confirmed) or ``""`` (not them)."""
    if not user.is_authenticated:
        return ""
    if proxy.invite_email in verified_emails(user):
        return "verified"
    if proxy.invite_email in _all_emails(user):
        return "unverified"
    return ""


def _locked_invitation(proxy: Proxy, person: User) -> Proxy:
    locked = Proxy.objects.select_for_update().select_related("resident").get(pk=proxy.pk)
    if locked.state != ProxyState.INVITED:
        raise ProxyError("This invitation can no longer be used. Ask the person to send you a new one")
    if person.pk == locked.resident_id:
        raise ProxyError("You cannot act for yourself")
    if proxy_invitation_match(proxy=locked, user=person) != "verified":
        raise ProxyError(
            "This invitation was sent to a different email address. Sign in with that address, "
            "or add it to your account and confirm it"
        )
    return locked


@transaction.atomic
def proxy_accept(*, proxy: Proxy, person: User) -> Proxy:
    """``person`` accepts an invitation sent to one of their verified addresses; the resident
    is emailed. An earlier arrangement between the same two people (one whose end date has
    passed, or one still active) is ended: the new one, with what it allows, replaces it."""
    proxy = _locked_invitation(proxy, person)
    now = timezone.now()
    Proxy.objects.filter(resident_id=proxy.resident_id, person=person, ended_at__isnull=True).exclude(
        pk=proxy.pk
    ).update(ended_at=now, ended_by=ProxyEndedBy.RESIDENT)
    proxy.person = person
    proxy.accepted_at = now
    proxy.token_hash = None
    proxy.save(update_fields=["person", "accepted_at", "token_hash"])
    resident = proxy.resident
    message_send(
        key="accounts/proxy_accepted",
        user=resident,
        context={
            "resident_name": _name(resident),
            "person_name": _name(person),
            "relationship": _relationship(proxy),
            "link": settings.SITE_URL + reverse("account_proxies"),
        },
    )
    return proxy


@transaction.atomic
def proxy_decline(*, proxy: Proxy, person: User) -> Proxy:
    """``person`` turns the invitation down; it can no longer be used."""
    proxy = _locked_invitation(proxy, person)
    proxy.ended_at = timezone.now()
    proxy.ended_by = ProxyEndedBy.PERSON
    proxy.token_hash = None
    proxy.save(update_fields=["ended_at", "ended_by", "token_hash"])
    return proxy


@transaction.atomic
def proxy_end(*, proxy: Proxy, by: User) -> Proxy:
    """End an arrangement (or withdraw an invitation not yet answered): access stops at once.

    Either side may end it. When the resident ends an accepted one, the person is emailed;
    when the person stops acting, the resident is.
    """
    proxy = (
        Proxy.objects.select_for_update(of=("self",)).select_related("resident", "person").get(pk=proxy.pk)
    )
    if by.pk == proxy.resident_id:
        ended_by = ProxyEndedBy.RESIDENT
    elif proxy.person_id is not None and by.pk == proxy.person_id:
        ended_by = ProxyEndedBy.PERSON
    else:
        raise ProxyError("You cannot change this")
    if not proxy.can_be_ended:
        raise ProxyError("This has already ended")
    was_accepted = proxy.accepted_at is not None
    proxy.ended_at = timezone.now()
    proxy.ended_by = ended_by
    proxy.token_hash = None
    proxy.save(update_fields=["ended_at", "ended_by", "token_hash"])
    if not was_accepted or proxy.person is None:
        return proxy
    context = {
        "resident_name": _name(proxy.resident),
        "person_name": _name(proxy.person),
        "relationship": _relationship(proxy),
        "link": settings.SITE_URL + reverse("account_proxies"),
    }
    if ended_by == ProxyEndedBy.RESIDENT:
        message_send(key="accounts/proxy_ended", user=proxy.person, context=context)
    else:
        message_send(key="accounts/proxy_stopped", user=proxy.resident, context=context)
    return proxy
