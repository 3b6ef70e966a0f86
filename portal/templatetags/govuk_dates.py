"""``{% load govuk_dates %}``: ``{{ value|govuk_time }}`` "10:05am", ``{{ value|govuk_datetime }}``
"7 December 2026 at 10:05am", ``{{ value|govuk_datetime_short }}`` "7 Dec 2026 at 10:05am".

Use these, never ``|time`` or a ``|date`` format with a time in it (see ``portal.lib.dates``).
"""

from django import template

from portal.lib.dates import datetime_display, time_display

register = template.Library()


@register.filter
def govuk_time(value) -> str:
    return time_display(value)


@register.filter
def govuk_datetime(value) -> str:
    return datetime_display(value)


@register.filter
def govuk_datetime_short(value) -> str:
    return datetime_display(value, short=True)
