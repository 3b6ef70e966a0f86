"""Formatting filters for values the portal stores in one canonical form."""

from django import template

from portal.lib.validation import phone_display

register = template.Library()


@register.filter(name="phone_display")
def phone_display_filter(value: str | None) -> str:
    """A stored phone number as people read it: ``07700900982`` shows as ``07700 900982``."""
    return phone_display(value or "")
