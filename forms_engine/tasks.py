from django.tasks import task

from .housekeeping import forms_housekeeping


@task
def mark_abandoned_drafts() -> dict[str, int]:
    """The forms' daily housekeeping as a task: record abandoned drafts as ``form_abandon``
    interactions, then delete expired drafts and their files. Idempotent."""
    return forms_housekeeping()
