"""The forms engine's daily housekeeping: abandoned forms for the measures, and expired drafts.

Run by ``manage.py forms_daily`` (or the task ``forms_engine.tasks.mark_abandoned_drafts``).
Both steps are idempotent: running them again changes nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.interactions.constants import InteractionType
from portal.interactions.services import interaction_record

from .constants import DraftStatus
from .models import Draft, Upload, draft_expiry_cutoff
from .services import draft_transition, drafts_delete, uploads_delete
from .stats import step_positions

# An upload that belongs to neither a draft nor a submission (its draft was deleted) is
# removed after this long.
ORPHAN_UPLOAD_HOURS = 24


def drafts_abandoned_record(*, now=None) -> int:
    """Move each draft in progress left idle longer than ``FORM_ABANDON_HOURS`` to abandoned,
    recording one ``form_abandon`` interaction for it the first time; returns how many were recorded.

    Each draft is claimed by ``draft_transition`` (a compare-and-set on its state) in the same
    transaction as its event, so a second run (or two at once) never records it twice. The
    event is dated when the draft became abandoned, and carries the step the person stopped
    at. A draft resumed after this (in progress again) stays counted as abandoned once:
    left idle again, it becomes abandoned without a second event (``abandoned_recorded_at``).
    """
    now = now or timezone.now()
    idle = timedelta(hours=settings.FORM_ABANDON_HOURS)
    drafts = (
        Draft.objects.filter(status=DraftStatus.IN_PROGRESS, updated_at__lt=now - idle)
        .select_related("version__form")
        .order_by("updated_at")
    )
    recorded = 0
    for draft in drafts.iterator(chunk_size=500):
        with transaction.atomic():
            first = draft.abandoned_recorded_at is None
            # The writer's update() leaves updated_at (auto_now) alone: the last activity stays.
            moved = draft_transition(
                draft=draft, to=DraftStatus.ABANDONED, **({"abandoned_recorded_at": now} if first else {})
            )
            if not (moved and first):
                continue
            schema = draft.version.schema
            extras = {
                "version": draft.version.number,
                "idle_hours": settings.FORM_ABANDON_HOURS,
                # counted against the starts of the day the draft was started (docs/measures.md)
                "started": timezone.localdate(draft.created_at).isoformat(),
            }
            if draft.current_step and (order := step_positions(schema).get(draft.current_step)):
                extras["order"] = order
            # A draft an agent started for a caller is abandoned on the call's channel.
            assisted = (draft.progress or {}).get("assisted") or {}
            interaction_record(
                type=InteractionType.FORM_ABANDON,
                channel=assisted.get("channel"),
                staff=get_user_model().objects.filter(pk=assisted["staff"]).first() if assisted else None,
                user=draft.user,
                service_code=schema.get("service_code"),
                journey=draft.version.form.slug,
                step=draft.current_step,
                occurred_at=min(draft.updated_at + idle, now),
                extras=extras,
            )
            recorded += 1
    return recorded


@transaction.atomic
def drafts_expired_delete(*, now=None) -> int:
    """Move drafts untouched for ``FORM_DRAFT_DAYS`` (sent or not) to expired, then delete the
    expired drafts and their uploads' files, and uploads left without a draft or a submission;
    returns how many drafts went."""
    now = now or timezone.now()
    for draft in (
        Draft.objects.filter(updated_at__lt=draft_expiry_cutoff(now))
        .exclude(status=DraftStatus.EXPIRED)
        .only("pk", "status")
        .iterator(chunk_size=500)
    ):
        draft_transition(draft=draft, to=DraftStatus.EXPIRED)
    deleted = drafts_delete(Draft.objects.filter(status=DraftStatus.EXPIRED).only("pk"))
    uploads_delete(
        Upload.objects.filter(
            draft__isnull=True,
            submission__isnull=True,
            created_at__lt=now - timedelta(hours=ORPHAN_UPLOAD_HOURS),
        )
    )
    return deleted


def forms_housekeeping(*, now=None) -> dict[str, int]:
    """The daily job: abandoned drafts are recorded first, so none expires uncounted."""
    now = now or timezone.now()
    return {
        "abandoned": drafts_abandoned_record(now=now),
        "expired": drafts_expired_delete(now=now),
    }
