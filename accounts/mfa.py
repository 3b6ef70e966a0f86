"""Two-factor authentication policy: who must have it, and how allauth.mfa stores and words it."""

import base64
import hashlib

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
        from allauth.mfa import app_settings

        return app_settings.TOTP_ISSUER or settings.WAGTAIL_SITE_NAME
