"""The accounts app's share of a resident's data export, and what deleting the account does to it."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession

from portal.lib.personal_data import register

from .devices import device_label
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
