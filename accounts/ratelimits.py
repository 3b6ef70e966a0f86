"""How long allauth's rate limits make someone wait, for the messages that say when to try again.

allauth counts attempts in sliding windows (``ACCOUNT_RATE_LIMITS``, ``MFA_RATE_LIMITS``): once
refused, waiting the longest window of the action's rates is always enough. allauth says
nothing about the time itself, so its limits are read here, and the messages follow them
whatever the settings say.
"""

from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates  # allauth's own reading of "5/5m/key"
from allauth.mfa import app_settings as mfa_settings

from django.utils.functional import lazy

from portal.lib.ratelimit import retry_after_message

# Where allauth answers 429 itself: the URL name of the page, and the action it limits.
ACTIONS_BY_URL_NAME = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_email": "manage_email",
    "account_email_verification_sent": "confirm_email",
    "account_reauthenticate": "reauthenticate",
    "account_request_login_code": "request_login_code",
    "account_confirm_login_code": "login_failed",
    "mfa_authenticate": "login_failed",
    "mfa_reauthenticate": "login_failed",
}


def _all_rates() -> dict[str, str]:
    return {**(account_settings.RATE_LIMITS or {}), **(mfa_settings.RATE_LIMITS or {})}


def allauth_wait_seconds(action: str | None) -> int:
    """The longest window of ``action``'s rates (of every action's, when not known)."""
    rates = _all_rates()
    chosen = [rates[action]] if action in rates else list(rates.values())
    durations = [rate.duration for value in chosen for rate in parse_rates(value)]
    return int(max(durations, default=60))


def allauth_retry_message(action: str | None) -> str:
    """ "Try again in 5 minutes", from the action's rate limits."""
    return retry_after_message(allauth_wait_seconds(action))


def _sentence(prefix: str, action: str) -> str:
    return f"{prefix}. {allauth_retry_message(action)}"


# Error messages are declared on form classes, at import; these read the settings when shown.
retry_sentence = lazy(_sentence, str)
