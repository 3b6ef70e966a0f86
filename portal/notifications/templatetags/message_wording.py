"""For the editors' Messages form: what the live text-message count needs (examples, alphabets)."""

from typing import Any

from django import template

from ..messages import GSM_BASIC, GSM_EXTENDED, SMS_MAX_CHARACTERS, message_type, sample_context

register = template.Library()


@register.simple_tag
def sms_count_data(instance: Any) -> dict[str, Any]:
    """The examples each placeholder is filled with and the GSM alphabets, as ``messages.preview``
    counts them, for ``notifications/admin/sms-count.js`` (``json_script``)."""
    message = message_type(getattr(instance, "key", ""))
    return {
        "examples": sample_context(message) if message else {},
        "gsm": "".join(sorted(GSM_BASIC)),
        "extended": "".join(sorted(GSM_EXTENDED)),
        "max": SMS_MAX_CHARACTERS,
    }
