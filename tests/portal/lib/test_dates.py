"""One way of showing times everywhere, GOV.UK's: "10:05am", "5:30pm", "midday", "midnight"."""

import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from django.conf import settings
from django.template import Context, Template

from portal.lib.dates import datetime_display, time_display

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SOURCES = [
    Path(settings.BASE_DIR) / name for name in ("accounts", "cms", "forms_engine", "payments", "portal")
]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (time(10, 5), "10:05am"),
        (time(17, 30), "5:30pm"),
        (time(12, 0), "midday"),
        (time(0, 0), "midnight"),
        (time(0, 30), "12:30am"),
        (time(12, 1), "12:01pm"),
        (time(22, 6), "10:06pm"),
    ],
)
def test_times_the_govuk_way(value, shown):
    assert time_display(value) == shown


def test_dates_and_times_in_local_time():
    summer = datetime(2026, 7, 1, 21, 5, tzinfo=UTC)  # 10:05pm in London (BST)
    assert datetime_display(summer) == "1 July 2026 at 10:05pm"
    assert datetime_display(summer, short=True) == "1 Jul 2026 at 10:05pm"
    assert datetime_display(None) == ""


def test_the_template_filters():
    winter = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    rendered = Template(
        "{% load govuk_dates account_tags %}{{ t|govuk_time }}|{{ t|govuk_datetime }}|{{ t|when }}"
    ).render(Context({"t": winter}))
    assert rendered == "midday|7 December 2026 at midday|7 December 2026 at midday"


# |time, or a |date format with an hour, minute or am/pm in it ("c", ISO, is for machines).
_TEMPLATE_TIME = re.compile(r"""\|time\b|\|date:["'][^"']*[gGhHiaAP][^"']*["']""")
_PYTHON_TIME = re.compile(r"""strftime\([^)]*%[HIMp]|date_format\([^)]*[gGhHiaAP]['"]""")


def test_no_template_formats_a_time_itself():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*")
        if path.suffix in (".html", ".txt")
        for match in _TEMPLATE_TIME.finditer(path.read_text())
    ]
    assert offenders == [], "Use |govuk_time or |govuk_datetime (portal.lib.dates)"


def test_no_python_formats_a_time_for_people_itself():
    offenders = [
        f"{path}: {match.group(0)}"
        for root in SOURCES
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
        for match in _PYTHON_TIME.finditer(path.read_text())
        # An <input type="datetime-local"> needs ISO 8601, not words.
        if "%Y-%m-%dT%H:%M" not in match.group(0)
    ]
    assert offenders == [], "Use portal.lib.dates.time_display / datetime_display"
