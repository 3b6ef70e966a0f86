"""Sign-in events into the interaction log (``auth`` interactions).

Recording an event is instrumentation, not business logic, so it may hang off the
framework's own signals; a failure is logged and never breaks signing in.
"""

import logging

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals

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
        _record(Outcome.LOGIN_FAILED, request)


@receiver(auth_signals.user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
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
