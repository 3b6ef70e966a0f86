"""The accounts app's share of a resident's data export, and what deleting the account does to it."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession

from django.utils import timezone

from portal.interactions.constants import Channel
from portal.lib.personal_data import register

from .devices import device_label
from .models import Proxy, StaffAccess, SupportNeeds
from .services import data_exports_delete_for


def _profile(user) -> dict:
    return {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "address": {
            "line_1": user.address_line_1,
            "line_2": user.address_line_2,
            "town": user.town,
            "postcode": user.postcode,
            "uprn": user.uprn,
        },
        "account_created": user.date_joined,
        "last_signed_in": user.last_login,
    }


def _email_addresses(user) -> list[dict]:
    return [
        {"email": address.email, "verified": address.verified, "primary": address.primary}
        for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    ]


def _contact_preferences(user) -> dict:
    return {
        "how_we_contact_you": user.contact_preference,
        "how_we_contact_you_label": user.get_contact_preference_display(),
    }


def _support_needs(user) -> dict | None:
    record = user.support_needs_or_none
    if record is None:
        return None
    return {
        "needs": record.labels,
        "interpreter_language": record.language,
        "details": record.details,
        "recorded_by": "you" if record.recorded_by_id in (None, user.pk) else "a council officer",
        "updated": record.updated_at,
    }


def _security(user) -> dict:
    """How the account is protected, without any secret: no TOTP key, recovery code or key material."""
    return {
        "two_step_verification": [
            {
                "type": authenticator.type,
                "name": authenticator.data.get("name", "")
                if authenticator.type == Authenticator.Type.WEBAUTHN
                else "",
                "added": authenticator.created_at,
                "last_used": authenticator.last_used_at,
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "signed_in_devices": [
            {
                "device": device_label(session.user_agent),
                "user_agent": session.user_agent,
                "ip_address": session.ip,
                "signed_in": session.created_at,
                "last_seen": session.last_seen_at,
            }
            for session in UserSession.objects.filter(user=user).order_by("created_at")
        ],
    }


def _sign_out_everywhere(user) -> None:
    get_usersessions_adapter().end_sessions(list(UserSession.objects.filter(user=user)))


def _delete_exports(user) -> None:
    data_exports_delete_for(user=user)


def _staff_access(user) -> list[dict]:
    """Every look at the record and action for the resident by council staff, oldest first."""
    return [
        {
            "when": entry.at,
            "staff_member": entry.staff_name,
            "what": entry.get_action_display(),
            "details": entry.detail,
            "how_you_contacted_us": Channel(entry.channel).label if entry.channel in Channel.values else "",
            "how_staff_checked_who_you_are": entry.get_identity_display() if entry.identity else "",
        }
        for entry in StaffAccess.objects.filter(resident=user).order_by("at", "pk")
    ]


def _purge_staff_access(cutoff) -> int:
    """Entries kept from deleted accounts (no resident any more), older than the cutoff."""
    deleted, _ = StaffAccess.objects.filter(resident__isnull=True, at__lt=cutoff).delete()
    return deleted


def _reassign_support_needs(source, target) -> None:
    """A record's support needs go to the account only if it has none of its own: the
    resident's own answers win, and the record's are deleted with it."""
    if not SupportNeeds.objects.filter(user=target).exists():
        SupportNeeds.objects.filter(user=source).update(user=target)


def _reassign_staff_access(source, target) -> None:
    """Staff's looks at and actions on the record now show on the account's security page;
    each entry keeps the person key it was written under. People the record's holder named
    to act for them (``Proxy``) move too: an arrangement the account already has with the
    same person is kept, and the record's copy ends; one naming the account itself goes."""
    StaffAccess.objects.filter(resident=source).update(resident=target)
    proxies = Proxy.objects.filter(resident=source)
    proxies.filter(person=target).delete()
    already = Proxy.objects.filter(resident=target, ended_at__isnull=True, person__isnull=False)
    proxies.filter(ended_at__isnull=True, person__in=already.values("person")).update(ended_at=timezone.now())
    proxies.update(resident=target)


register(
    name="profile",
    label="Your name, address, phone number and when you created your account",
    export=_profile,
    deleted="Your name, address and phone number are deleted.",
    order=10,
)
register(
    name="email_addresses",
    label="Your email address",
    export=_email_addresses,
    deleted="Your email address is deleted, so you can no longer sign in with it.",
    order=20,
)
register(
    name="contact_preferences",
    label="How you asked us to contact you",
    export=_contact_preferences,
    order=30,
)
register(
    name="support_needs",
    label="Extra support you told us you need",
    export=_support_needs,
    deleted="What you told us about extra support you need is deleted.",
    reassign=_reassign_support_needs,
    order=35,
)
register(
    name="security",
    label="How your account is protected and the devices signed in to it (no passwords, codes or keys)",
    export=_security,
    erase=_sign_out_everywhere,
    deleted="You are signed out on every device, and your password and 2-step verification are deleted.",
    order=40,
)
register(
    name="data_exports",
    label="Copies of your data",
    erase=_delete_exports,
    deleted="Any copy of your data waiting to be downloaded is deleted.",
    order=90,
)
register(
    name="staff_access",
    label="When council staff looked at your record or acted for you",
    export=_staff_access,
    # No ``erase``: deleting the account sets each entry's resident to NULL (``SET_NULL``);
    # the entry keeps the pseudonymous ``resident_key`` and no name or contact details of the
    # resident, so auditors can still check what staff did. ``purge`` deletes it in time.
    kept=(
        "A note of when council staff looked at your record, and what they did, is kept for "
        "{retention_years} years without your name, so it can be checked."
    ),
    purge=_purge_staff_access,
    reassign=_reassign_staff_access,
    order=45,
)


def _proxies(user) -> dict:
    def row(proxy: Proxy, who) -> dict:
        return {
            "person": who,
            "relationship": proxy.get_relationship_display(),
            "can_send_requests_and_messages": proxy.can_submit,
            "can_pay": proxy.can_pay,
            "ends_on": proxy.ends_on,
            "status": proxy.state_label,
            "invited": proxy.created_at,
            "accepted": proxy.accepted_at,
            "ended": proxy.ended_at,
        }

    named = Proxy.objects.filter(resident=user).select_related("person")
    acting = Proxy.objects.filter(person=user).select_related("resident")
    return {
        "people_who_can_act_for_you": [
            row(p, (p.person.full_name or p.person.email) if p.person else p.invite_email) for p in named
        ],
        "people_you_act_for": [row(p, p.resident.full_name or p.resident.email) for p in acting],
    }


register(
    name="proxies",
    label="People who can act for you, and people you act for",
    export=_proxies,
    # No ``erase``: the arrangements go with the account (``on_delete=CASCADE`` both ways).
    deleted="Nobody can act for you any more, and you can no longer act for anyone.",
    order=50,
)
