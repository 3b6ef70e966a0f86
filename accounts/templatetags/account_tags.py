from django import template

from portal.lib.dates import datetime_display

register = template.Library()


@register.filter
def chunks(value: str, size: int = 4) -> str:
    """``JBSWY3DPEHPK3PXP`` becomes ``JBSW Y3DP EHPK 3PXP``: easier to copy into an app by hand."""
    value = str(value or "")
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


@register.filter
def mfa_kind(value: str) -> str:
    return {
        "totp": "Authenticator app",
        "webauthn": "Passkey or security key",
        "recovery_codes": "Recovery codes",
    }.get(value, value)


@register.filter
def when(value) -> str:
    """``22 November 2026 at 10:13am``, the GOV.UK way, in the local time zone."""
    return datetime_display(value)
