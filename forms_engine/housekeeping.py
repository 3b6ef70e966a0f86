"""The forms engine's daily housekeeping: abandoned forms for the measures, and expired drafts.

Run by ``manage.py forms_daily`` (or the task ``forms_engine.tasks.mark_abandoned_drafts``).
Both steps are idempotent: running them again changes nothing.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.interactions.constants import InteractionType
from portal.interactions.services import interaction_record

from .models import Draft, Upload, draft_expiry_cutoff
from .stats import step_positions

logger = logging.getLogger(__name__)

# An upload that belongs to neither a draft nor a submission (its draft was deleted) is
# removed after this long.
ORPHAN_UPLOAD_HOURS = 24


def uploads_delete(uploads) -> int:
    """Delete upload rows now, and their files from private storage once the transaction commits."""
    uploads = list(uploads)
    if not uploads:
        return 0
    names = [upload.file.name for upload in uploads if upload.file]
    Upload.objects.filter(pk__in=[upload.pk for upload in uploads]).delete()
    storage = Upload._meta.get_field("file").storage

    def delete_files():
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete the form upload %s", name)

    transaction.on_commit(delete_files)
    return len(uploads)


def drafts_delete(drafts) -> int:
    """Delete drafts and the files given on them that no submission uses."""
    drafts = list(drafts)
    if not drafts:
        return 0
    ids = [draft.pk for draft in drafts]
    uploads_delete(Upload.objects.filter(draft_id__in=ids, submission__isnull=True))
    Draft.objects.filter(pk__in=ids).delete()
    return len(ids)


def drafts_abandoned_record(*, now=None) -> int:
    """Record one ``form_abandon`` interaction for each draft left idle longer than
    ``FORM_ABANDON_HOURS`` and never submitted; returns how many were recorded.

    Each draft is claimed by setting ``abandoned_recorded_at`` in the same transaction as
    its event, so a second run (or two at once) never records it twice. The event is
    dated when the draft became abandoned, and carries the step the person stopped at.
    A draft resumed after this stays counted as abandoned once.
    """
    now = now or timezone.now()
    idle = timedelta(hours=settings.FORM_ABANDON_HOURS)
    drafts = (
        Draft.objects.filter(
            updated_at__lt=now - idle, submitted_at__isnull=True, abandoned_recorded_at__isnull=True
        )
        .select_related("version__form")
        .order_by("updated_at")
    )
    recorded = 0
    for draft in drafts.iterator(chunk_size=500):
        with transaction.atomic():
            # update() leaves updated_at (auto_now) alone: the draft's last activity stays.
            claimed = Draft.objects.filter(pk=draft.pk, abandoned_recorded_at__isnull=True).update(
                abandoned_recorded_at=now
            )
            if not claimed:
                continue
            schema = draft.version.schema
            extras = {"version": draft.version.number, "idle_hours": settings.FORM_ABANDON_HOURS}
            if draft.current_step and (order := step_positions(schema).get(draft.current_step)):
                extras["order"] = order
            interaction_record(
                type=InteractionType.FORM_ABANDON,
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
    """Delete drafts untouched for ``FORM_DRAFT_DAYS`` (sent or not) and their uploads' files,
    and uploads left without a draft or a submission; returns how many drafts went."""
    now = now or timezone.now()
    expired = Draft.objects.filter(updated_at__lt=draft_expiry_cutoff(now))
    deleted = drafts_delete(expired.only("pk"))
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
