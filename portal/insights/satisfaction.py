"""The Contact insights section on satisfaction with the outcome, and its CSV rows.

The answers are recorded by ``portal.interactions.satisfaction``; the figures come from
:func:`~portal.insights.measures.satisfaction_by_service` and the daily rollups, which
count an answer by its score (``Interaction.outcome``). An answer about a decision that no
longer stands (its case was reopened) has ``outcome`` ``superseded`` instead, so it drops
out of every figure here once its day's rollup is rebuilt
(``portal.interactions.satisfaction.satisfaction_supersede``, called by the cases app).
"""

from datetime import date

from portal.interactions.constants import Channel, SatisfactionScore
from portal.interactions.models import LgslService, SatisfactionComment
from portal.interactions.rollups import day_bounds

from .figures import pct, signed
from .measures import satisfaction_by_service

LATEST_COMMENTS = 10


def satisfaction_comments_latest(
    *, start: date, end: date, service_code: int | None = None, limit: int = LATEST_COMMENTS
) -> list[SatisfactionComment]:
    """The newest comments in the period (an indexed, bounded read of the comments only)."""
    first, _ = day_bounds(start)
    _, last = day_bounds(end)
    comments = SatisfactionComment.objects.filter(created_at__gte=first, created_at__lt=last)
    if service_code is not None:
        comments = comments.filter(service_code=service_code)
    return list(comments.order_by("-created_at", "-pk")[:limit])


def satisfaction_section(measures, *, service_url=None) -> dict:
    """The context for ``insights/dashboard/_satisfaction.html`` from one ``Measures``.

    For all services it adds a row per service (from the rollups, see
    :func:`~portal.insights.measures.satisfaction_by_service`); ``service_url(code)``
    links each to that service's figures.
    """
    m = measures
    total = m.satisfaction_answers
    counts = m.satisfaction_counts
    points = [
        {
            "score": score,
            "label": label,
            "count": counts.get(score, 0),
            "percent": pct(m.satisfaction_share(score)),
        }
        for score, label in SatisfactionScore.choices
    ]
    channels = [
        {"label": label, "count": m.by_channel.get("satisfaction", {}).get(value, 0)}
        for value, label in Channel.choices
        if m.by_channel.get("satisfaction", {}).get(value, 0)
    ]
    section = {
        "answers": total,
        "points": points,
        "satisfied_percent": m.satisfied_percent,
        "dissatisfied_percent": m.dissatisfied_percent,
        "net": m.net_satisfaction,
        "satisfied_text": pct(m.satisfied_percent),
        "dissatisfied_text": pct(m.dissatisfied_percent),
        "net_text": signed(m.net_satisfaction),
        "satisfied_count": m.satisfied_answers,
        "dissatisfied_count": m.dissatisfied_answers,
        "channels": channels,
        "services": [],
        "comments": satisfaction_comments_latest(start=m.start, end=m.end, service_code=m.service_code),
    }
    if m.service_code is None:
        rows = satisfaction_by_service(start=m.start, end=m.end)
        codes = [r["service_code"] for r in rows]
        labels = dict(LgslService.objects.filter(code__in=codes).values_list("code", "label"))
        section["services"] = [
            {
                **row,
                "label": labels.get(row["service_code"], "Unknown service")
                if row["service_code"]
                else "No service recorded",
                "url": service_url(row["service_code"]) if service_url and row["service_code"] else "",
                "satisfied_text": pct(row["satisfied_percent"]),
                "net_text": signed(row["net"]),
            }
            for row in rows
        ]
    return {"satisfaction": section}


def satisfaction_csv_rows(data: dict) -> list[list]:
    """The section's figures in the dashboard CSV's columns (measure, value, numerator, denominator, unit)."""
    s = data["satisfaction"]
    total = s["answers"]

    def value(number):
        return "" if number is None else number

    return [
        ["Satisfaction answers", total, "", "", "count"],
        ["Satisfied with the outcome", value(s["satisfied_percent"]), s["satisfied_count"], total, "%"],
        [
            "Dissatisfied with the outcome",
            value(s["dissatisfied_percent"]),
            s["dissatisfied_count"],
            total,
            "%",
        ],
        ["Net satisfaction", value(s["net"]), "", "", "points"],
        *([f"Satisfaction: {p['label']}", p["count"], "", total, "count"] for p in s["points"]),
    ]
