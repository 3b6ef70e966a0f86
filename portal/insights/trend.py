"""The trend: the period's daily figures in days, weeks or months, as SVG columns and a table."""

from bisect import bisect_right
from datetime import date, timedelta

from django.utils.dateformat import format as format_date

from .figures import (
    _number,
)
from .measures import MONTHLY_TREND_DAYS, Measures


def _day(d: date) -> str:
    return format_date(d, "j M Y")


def _period_label(start: date, end: date) -> str:
    if start == end:
        return format_date(start, "j F Y")
    return f"{format_date(start, 'j F Y')} to {format_date(end, 'j F Y')}"


TREND_SERIES = [
    ("page_views", "Page views"),
    ("transactions", "Transactions"),
    ("assisted_contacts", "Assisted contacts"),
]
_CHART_W, _CHART_H, _PLOT_TOP, _PLOT_BOTTOM, _PLOT_LEFT = 640, 160, 12, 130, 72


def _trend_buckets(start: date, end: date) -> tuple[str, list[tuple[date, date]]]:
    """Days for up to 2 months, weeks up to 6 months, then calendar months."""
    days = (end - start).days + 1
    if days <= 62:
        return "day", [(start + timedelta(n), start + timedelta(n)) for n in range(days)]
    buckets: list[tuple[date, date]] = []
    unit = "week" if days <= MONTHLY_TREND_DAYS else "month"
    first = start
    while True:
        if unit == "week":
            last = first + timedelta(days=6 - first.weekday())
        else:
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        last = min(last, end)
        buckets.append((first, last))
        if last >= end:
            return unit, buckets
        first = last + timedelta(days=1)


def _bucket_label(unit: str, first: date, last: date) -> str:
    if unit == "day":
        return format_date(first, "D j M Y")
    if unit == "month":
        label = format_date(first, "F Y")
        if first.day != 1 or (last + timedelta(days=1)).day != 1:
            label += f" ({format_date(first, 'j')} to {format_date(last, 'j M')})"
        return label
    return f"Week from {format_date(first, 'j M Y')}" + (
        "" if (last - first).days == 6 else f" to {format_date(last, 'j M')}"
    )


def trend(measures: Measures) -> dict:
    """The daily figures in buckets, as a small SVG column chart per series and a table."""
    unit, buckets = _trend_buckets(measures.start, measures.end)
    keys = [key for key, _ in TREND_SERIES]
    rows = [{"label": _bucket_label(unit, first, last), **dict.fromkeys(keys, 0)} for first, last in buckets]
    firsts = [first for first, _ in buckets]
    for day in measures.daily:
        index = bisect_right(firsts, day["date"]) - 1
        if index >= 0 and day["date"] <= buckets[index][1]:
            for key in keys:
                rows[index][key] += day.get(key, 0)

    step = (_CHART_W - _PLOT_LEFT - 4) / max(len(rows), 1)
    bar_w = min(max(step * 0.8, 0.5), 48)
    plot_h = _PLOT_BOTTOM - _PLOT_TOP
    period = _period_label(measures.start, measures.end)
    charts = []
    for key, name in TREND_SERIES:
        values = [row[key] for row in rows]
        top = max(values, default=0)
        columns = []
        for n, (row, value) in enumerate(zip(rows, values, strict=True)):
            height = plot_h * value / top if top else 0
            columns.append(
                {
                    "x": f"{_PLOT_LEFT + n * step + (step - bar_w) / 2:.2f}",
                    "y": f"{_PLOT_BOTTOM - height:.2f}",
                    "width": f"{bar_w:.2f}",
                    "height": f"{height:.2f}",
                    "title": f"{row['label']}: {_number(value)}",
                }
            )
        if top:
            peak = rows[values.index(top)]["label"]
            summary = (
                f"{name} per {unit}, {period}: {_number(sum(values))} in total; "
                f"the highest was {_number(top)} ({peak})."
            )
        else:
            summary = f"{name} per {unit}, {period}: none recorded."
        charts.append(
            {
                "key": key,
                "name": name,
                "summary": summary,
                "columns": columns,
                "top": _number(top),
                "total": _number(sum(values)),
            }
        )
    return {
        "unit": unit,
        "rows": rows,
        "charts": charts,
        "first_label": rows[0]["label"] if rows else "",
        "last_label": rows[-1]["label"] if len(rows) > 1 else "",
        "width": _CHART_W,
        "height": _CHART_H,
        "plot_left": _PLOT_LEFT,
        "plot_right": _CHART_W - 4,
        "plot_top": _PLOT_TOP,
        "plot_bottom": _PLOT_BOTTOM,
        "label_y": _PLOT_BOTTOM + 20,
    }
