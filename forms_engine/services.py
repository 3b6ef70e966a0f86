"""Publishing forms into frozen versions. (The resident-facing engine adds drafts and submit.)"""

from django.db import IntegrityError, transaction
from django.db.models import Max

from .models import FormVersion, ServiceForm
from .schema import schema_build


def form_version_current(*, form: ServiceForm) -> FormVersion | None:
    """The FormVersion of ``form``'s live revision, frozen the first time it is asked for.

    Returns None when the form is not live. Safe when two requests ask at once: the
    unique (form, revision) constraint decides, and the loser reads the winner's row.
    """
    if not form.live or form.archived or not form.live_revision_id:
        return None
    version = FormVersion.objects.filter(form=form, revision_id=form.live_revision_id).first()
    if version:
        return version
    live = form.live_revision.as_object()
    try:
        with transaction.atomic():
            number = (FormVersion.objects.filter(form=form).aggregate(n=Max("number"))["n"] or 0) + 1
            return FormVersion.objects.create(
                form=form, number=number, revision_id=form.live_revision_id, schema=schema_build(live)
            )
    except IntegrityError:
        return FormVersion.objects.get(form=form, revision_id=form.live_revision_id)
