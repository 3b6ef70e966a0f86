"""Two-factor authentication policy: who must have it, and how allauth.mfa stores and words it."""

import base64
import hashlib

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from django.conf import settings

# Authenticators that are a second factor on their own. Recovery codes are a fallback.
STRONG_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
_ENCRYPTED_PREFIX = "fernet:"


def has_admin_access(user) -> bool:
    """Whether the account can reach the Wagtail or Django admin (and so personal data)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def has_strong_mfa(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=STRONG_TYPES).exists()


def staff_mfa_missing(user) -> bool:
    """Staff must use two-factor authentication; this says they have not set it up yet."""
    return has_admin_access(user) and not has_strong_mfa(user)


def session_completed_mfa(request) -> bool:
    """Whether *this session* passed a 2-step verification for the signed-in user.

    Having an authenticator is not enough: a session signed in by a password alone (any
    path that skips allauth's MFA stage) must not reach staff screens. allauth records every
    authentication step on the session, tied to the user it was for; a passkey sign-in,
    an authenticator code, a recovery code or a "confirm it's you" by code all record "mfa".
    """
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_mfa_step(request) -> str | None:
    """What a staff member must still do before an admin opens: ``"set_up"``, ``"verify"`` or None."""
    user = request.user
    if not has_admin_access(user):
        return None
    if not has_strong_mfa(user):
        return "set_up"
    if not session_completed_mfa(request):
        return "verify"
    return None


def session_record_enrolment(request, user, *, authenticator_type: str) -> None:
    """Count setting up an authenticator as this session's 2-step verification.

    Setting up an app or a passkey proves possession of it (the person has just entered
    its code or used it), so a staff member sent to set one up goes straight on to the
    admin instead of being asked for a second code at once.
    """
    if request is None or getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", type=authenticator_type, enrolled=True)


def _fernet() -> MultiFernet:
    """A key per SECRET_KEY (and each of SECRET_KEY_FALLBACKS), so rotating the key the
    Django way (new key first, old one in the fallbacks) keeps every authenticator working."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"portal.mfa:{key}".encode()).digest()))
            for key in keys
        ]
    )


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa for the portal: secrets encrypted at rest, GOV.UK wording, staff keep MFA."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "add_email_blocked": "You cannot add an email address while 2-step verification is on",
        "cannot_delete_authenticator": "You cannot turn this off because your account can use the "
        "admin, which needs 2-step verification. Set up another method first",
        "cannot_generate_recovery_codes": "Set up an authenticator app or a passkey before you create "
        "recovery codes",
        "incorrect_code": "The code is not correct. Check the code and try again",
        "unverified_email": "Confirm your email address before you set up 2-step verification",
    }

    def encrypt(self, text: str) -> str:
        """TOTP secrets and recovery-code seeds are stored encrypted, never in the clear."""
        return _ENCRYPTED_PREFIX + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_ENCRYPTED_PREFIX):
            return encrypted_text
        try:
            return _fernet().decrypt(encrypted_text.removeprefix(_ENCRYPTED_PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "An MFA secret cannot be decrypted: SECRET_KEY changed without keeping the old "
                "one in SECRET_KEY_FALLBACKS."
            ) from exc

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff may swap methods but never remove their last authenticator app or passkey."""
        user = authenticator.user
        if authenticator.type not in STRONG_TYPES or not has_admin_access(user):
            return True
        return (
            Authenticator.objects.filter(user_id=user.pk, type__in=STRONG_TYPES)
            .exclude(pk=authenticator.pk)
            .exists()
        )

    def _get_site_name(self) -> str:
        """The name authenticator apps and passkey prompts show: the council's."""
        return app_settings.TOTP_ISSUER or settings.WAGTAIL_SITE_NAME
