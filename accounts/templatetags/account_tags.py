from django import template
from django.utils import dateformat, timezone

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
    if not value:
        return ""

    local = timezone.localtime(value)
    day, time = dateformat.format(local, "j F Y"), dateformat.format(local, "g:i")
    return f"{day} at {time}{'am' if local.hour < 12 else 'pm'}"
