"""Satisfaction with the outcome: recording the answers, and the dashboard's section for them.

An answer is one ``satisfaction`` interaction: ``outcome`` and ``extras["score"]`` hold the
score (1 very dissatisfied .. 5 very satisfied), so the daily rollups count it from the
grouped query they already run (metric ``satisfaction``, key = score). An optional comment
is personal data and lives in :class:`~portal.interactions.models.SatisfactionComment`.

Residents answer on the web (``portal.cases.satisfaction`` asks them once per case); staff
record answers given on the phone or face to face with the assisted-contact forms.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .constants import (
    ASSISTED_CHANNELS,
    SATISFACTION_COMMENT_MAX_LENGTH,
    Channel,
    InteractionType,
    SatisfactionScore,
)
from .models import Interaction, LgslService, SatisfactionComment
from .services import InteractionError, _rollups_refresh_for, interaction_record


@transaction.atomic
def satisfaction_record(
    *,
    score: int,
    channel: str = Channel.WEB,
    service_code: int | None = None,
    comment: str = "",
    request=None,
    user=None,
    staff=None,
    case_reference: str = "",
    occurred_at=None,
) -> Interaction:
    """Record one answer to "How satisfied are you with the outcome?".

    ``score`` is 1..5 (:class:`SatisfactionScore`). A web answer passes ``request``; an
    answer staff took by phone or face to face passes its ``channel``, ``staff`` and, if
    known, the resident as ``user``. A non-blank ``comment`` is stored apart from the
    event. Raises ``InteractionError`` for a score or channel that makes no sense.
    """
    if score not in SatisfactionScore.values:
        raise InteractionError("Choose how satisfied the resident is with the outcome")
    if channel != Channel.WEB and channel not in ASSISTED_CHANNELS:
        raise InteractionError(f"Unknown channel {channel!r}")
    if staff is not None and channel == Channel.WEB:
        raise InteractionError("An answer staff record was given by phone, in person or in writing")
    comment = comment.strip()
    if len(comment) > SATISFACTION_COMMENT_MAX_LENGTH:
        raise InteractionError(f"The comment must be {SATISFACTION_COMMENT_MAX_LENGTH} characters or fewer")
    if occurred_at is not None:
        _rollups_refresh_for(timezone.localdate(occurred_at))
    interaction = interaction_record(
        type=InteractionType.SATISFACTION,
        request=request,
        channel=channel,
        user=user,
        service_code=service_code,
        journey=case_reference,
        outcome=str(score),
        staff=staff,
        case_reference=case_reference,
        extras={"score": score},
        occurred_at=occurred_at,
    )
    if comment:
        SatisfactionComment.objects.create(
            interaction=interaction,
            user_id=interaction.user_id,
            case_reference=case_reference[:40],
            service_code=service_code,
            channel=interaction.channel,
            score=score,
            comment=comment,
            created_at=interaction.occurred_at,
        )
    return interaction


# --- The dashboard section ------------------------------------------------------------------

LATEST_COMMENTS = 10


def _signed(value: float | None) -> str:
    if value is None:
        return "No data"
    return f"{value:+.1f}" if value else "0.0"


def _pct(value: float | None) -> str:
    return "No data" if value is None else f"{value:.1f}%"


def satisfaction_comments_latest(
    *, start: date, end: date, service_code: int | None = None, limit: int = LATEST_COMMENTS
) -> list[SatisfactionComment]:
    """The newest comments in the period (an indexed, bounded read of the comments only)."""
    from .rollups import day_bounds

    first, _ = day_bounds(start)
    _, last = day_bounds(end)
    comments = SatisfactionComment.objects.filter(created_at__gte=first, created_at__lt=last)
    if service_code is not None:
        comments = comments.filter(service_code=service_code)
    return list(comments.order_by("-created_at", "-pk")[:limit])


def satisfaction_section(measures, *, service_url=None) -> dict:
    """The context for ``interactions/dashboard/_satisfaction.html`` from one ``Measures``.

    For all services it adds a row per service (from the rollups, see
    :func:`~portal.interactions.measures.satisfaction_by_service`); ``service_url(code)``
    links each to that service's figures.
    """
    from .measures import satisfaction_by_service

    m = measures
    total = m.satisfaction_answers
    counts = m.satisfaction_counts
    points = [
        {
            "score": score,
            "label": label,
            "count": counts.get(score, 0),
            "percent": _pct(m.satisfaction_share(score)),
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
        "satisfied_text": _pct(m.satisfied_percent),
        "dissatisfied_text": _pct(m.dissatisfied_percent),
        "net_text": _signed(m.net_satisfaction),
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
                "satisfied_text": _pct(row["satisfied_percent"]),
                "net_text": _signed(row["net"]),
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
