"""Times and dates the GOV.UK way, in the local time zone: "10:05am", "5:30pm", "midday", "midnight".

GOV.UK style (https://www.gov.uk/guidance/style-guide/a-to-z#times) writes times as
"5:30pm", "10am" is also allowed but the portal always shows minutes so times line up,
and uses "midday" and "midnight" rather than 12pm and 12am. Django's format characters
cannot say this ("a" gives "p.m.", "A" gives "PM"), so every time shown anywhere (pages,
emails, CSVs) goes through these functions, or the template filters in
``portal/templatetags/govuk_dates.py`` that wrap them.
"""

from datetime import datetime, time

from django.utils import dateformat, timezone

DATE_FORMAT = "j F Y"  # 7 December 2026
SHORT_DATE_FORMAT = "j M Y"  # 7 Dec 2026


def _local(value: datetime | time) -> datetime | time:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def time_display(value: datetime | time | None) -> str:
    """ "10:05am", "5:30pm", "midday", "midnight"."""
    if value is None or value == "":
        return ""
    local = _local(value)
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def datetime_display(value: datetime | None, *, short: bool = False) -> str:
    """ "7 December 2026 at 10:05am" (or "7 Dec 2026 at 10:05am" with ``short``)."""
    if value is None or value == "":
        return ""
    local = _local(value)
    day = dateformat.format(local, SHORT_DATE_FORMAT if short else DATE_FORMAT)
    return f"{day} at {time_display(local)}"
