"""Closing and reopening forms: what editors do besides editing and publishing.

A form's state is draft → live → archived (``ServiceForm.state``). Publishing is
Wagtail's (``ServiceForm.publish`` freezes each published revision into a FormVersion);
archiving is a flag on the form as a whole, kept out of revisions, so residents see the
closed page at once and publishing an edit never reopens the form by accident. An
archived form keeps its versions, drafts and submissions.
"""

from django.db import transaction

from wagtail.log_actions import log

from .models import ServiceForm
from .services import form_version_current

ARCHIVE_ACTION = "forms_engine.archive"
REOPEN_ACTION = "forms_engine.reopen"


class FormStateError(Exception):
    """A move the form's state does not allow; the message says why, for the editor."""


@transaction.atomic
def form_archive(*, form: ServiceForm, user=None) -> ServiceForm:
    """Close a live form: residents get its closed message instead of the questions.

    Drafts in progress stay (they can be resumed if the form is reopened); submissions
    and their cases are unaffected.
    """
    form = ServiceForm.objects.select_for_update().get(pk=form.pk)
    if form.archived:
        raise FormStateError("This form is already archived")
    if not form.live:
        raise FormStateError("Only a live form can be archived. This form has not been published")
    form.archived = True
    form.save(update_fields=["archived", "updated_at"])
    log(instance=form, action=ARCHIVE_ACTION, user=user)
    return form


@transaction.atomic
def form_reopen(*, form: ServiceForm, user=None) -> ServiceForm:
    """Open an archived form again with its live revision: the one live when it closed, or
    an edit published while it was closed (frozen into a version now)."""
    form = ServiceForm.objects.select_for_update().get(pk=form.pk)
    if not form.archived:
        raise FormStateError("This form is not archived")
    form.archived = False
    form.save(update_fields=["archived", "updated_at"])
    log(instance=form, action=REOPEN_ACTION, user=user)
    form_version_current(form=form)
    return form
