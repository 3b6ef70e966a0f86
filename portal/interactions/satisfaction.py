"""Satisfaction with the outcome: recording the answers (the dashboard's section is ``portal.insights``).

An answer is one ``satisfaction`` interaction: ``outcome`` and ``extras["score"]`` hold the
score (1 very dissatisfied .. 5 very satisfied), so the daily rollups count it from the
grouped query they already run (metric ``satisfaction``, key = score). An optional comment
is personal data and lives in :class:`~portal.interactions.models.SatisfactionComment`.

Residents answer on the web (``portal.cases.services.satisfaction`` asks them once per case); staff
record answers given on the phone or face to face with the assisted-contact forms.
"""

from django.db import transaction
from django.utils import timezone

from .constants import (
    ASSISTED_CHANNELS,
    SATISFACTION_COMMENT_MAX_LENGTH,
    Channel,
    InteractionType,
    SatisfactionScore,
)
from .models import Interaction, SatisfactionComment
from .services import InteractionError, interaction_record, rollups_rebuild_request


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
        rollups_rebuild_request(timezone.localdate(occurred_at), window=False)
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


# Kept as the ``outcome`` of an answer that no longer counts (not a score, so no rollup counts it).
SUPERSEDED = "superseded"


@transaction.atomic
def satisfaction_supersede(*, case_reference: str, since=None) -> int:
    """Take a case's earlier answers out of the figures: the case was reopened, so the outcome
    they judged no longer stands (the resident is asked again at the next one).

    Each answer keeps its score in ``extras`` (with ``superseded: true``) but its ``outcome``
    becomes ``superseded``, which the daily rollups do not count; days older than the rollup
    job's window are rebuilt. ``since`` (the case's creation) bounds the search so the
    (type, time) index serves it. Returns how many answers were superseded.
    """
    if not case_reference:
        return 0
    answers = list(
        Interaction.objects.select_for_update()
        .filter(type=InteractionType.SATISFACTION, case_reference=case_reference)
        .filter(**({"occurred_at__gte": since} if since is not None else {}))
        .exclude(outcome=SUPERSEDED)
    )
    for interaction in answers:
        interaction.outcome = SUPERSEDED
        interaction.extras = {**(interaction.extras or {}), "superseded": True}
        interaction.save(update_fields=["outcome", "extras"])
    rollups_rebuild_request(*(timezone.localdate(answer.occurred_at) for answer in answers), window=False)
    return len(answers)
