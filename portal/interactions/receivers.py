"""Sign-in events into the interaction log (``auth`` interactions).

Recording an event is instrumentation, not business logic, so it may hang off the
framework's own signals; a failure is logged and never breaks signing in.
"""

import logging

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals

from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from .constants import InteractionType, Outcome
from .services import interaction_record

logger = logging.getLogger(__name__)


def _record(outcome: str, request, user=None, **extras) -> None:
    try:
        interaction_record(
            type=InteractionType.AUTH, request=request, user=user, outcome=outcome, extras=extras
        )
    except Exception:
        logger.exception("Could not log the %s event", outcome)


@receiver(auth_signals.user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    if request is not None:
        _record(Outcome.LOGIN_OK, request, user)


@receiver(auth_signals.user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        _record(Outcome.LOGIN_FAILED, request, account_for_credentials(credentials))


def account_for_credentials(credentials: dict):
    """The account a failed sign-in was for, so its owner sees the attempt on the security page."""
    email = (credentials or {}).get("email") or (credentials or {}).get("username")
    if not email or not isinstance(email, str):
        return None
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


@receiver(auth_signals.user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if request is not None and user is not None and user.pk is not None:
        _record(Outcome.LOGOUT, request, user)


@receiver(account_signals.password_reset)
def _password_reset(sender, request, user, **kwargs):
    _record(Outcome.PASSWORD_RESET, request, user)


@receiver(account_signals.password_changed)
def _password_changed(sender, request, user, **kwargs):
    _record(Outcome.PASSWORD_CHANGED, request, user)


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender, request, user, authenticator, **kwargs):
    _record(Outcome.MFA, request, user, action="added", kind=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    _record(Outcome.MFA, request, user, action="removed", kind=authenticator.type)


@receiver(mfa_signals.authenticator_reset)
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    _record(Outcome.MFA, request, user, action="reset", kind=authenticator.type)


@receiver(mfa_signals.authenticator_used)
def _mfa_used(sender, request, user, authenticator, **kwargs):
    # Only a recovery code is worth telling the owner about: it means the usual method was not to hand.
    if authenticator.type == "recovery_codes":
        _record(Outcome.MFA, request, user, action="used", kind=authenticator.type)


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender, request, user, authenticator, **kwargs):
    _record(Outcome.MFA_FAILED, request, user, kind=authenticator.type)


@receiver(account_signals.login_code_rejected)
def _login_code_rejected(sender, request, user, **kwargs):
    _record(Outcome.LOGIN_CODE_FAILED, request, user)


@receiver(account_signals.password_set)
def _password_set(sender, request, user, **kwargs):
    _record(Outcome.PASSWORD_SET, request, user)


@receiver(account_signals.email_changed)
def _email_changed(sender, request, user, **kwargs):
    # allauth also sends this when the first address is confirmed at sign-up (no previous
    # address): that sets the email, it does not change it, so it is no security event.
    if kwargs.get("from_email_address") is None:
        return
    # The addresses themselves are personal data the log does not need.
    _record(Outcome.EMAIL_CHANGED, request, user)
