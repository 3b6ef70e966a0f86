"""The daily job: drafts left idle become one ``form_abandon`` each; expired drafts go."""

from datetime import timedelta
from io import StringIO

import pytest

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from forms_engine.constants import DraftStatus
from forms_engine.housekeeping import drafts_abandoned_record, drafts_expired_delete
from forms_engine.models import Draft, FormVersion, Submission, Upload
from forms_engine.tasks import mark_abandoned_drafts
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory

from .factories import form_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    form = form_published(service_id=524)
    return FormVersion.objects.get(form=form)


def draft(version, *, hours_idle: float, user=None, submitted=False, step_number=2, **fields) -> Draft:
    step_id = version.schema["steps"][step_number - 1]["id"]
    made = Draft.objects.create(
        version=version, user=user, current_step=step_id, answers={"bin_type": "Green"}
    )
    changes = {"updated_at": timezone.now() - timedelta(hours=hours_idle)}
    if submitted:
        changes["submitted_at"] = timezone.now() - timedelta(hours=hours_idle)
        changes["status"] = DraftStatus.SUBMITTED
    changes.update(fields)
    Draft.objects.filter(pk=made.pk).update(**changes)
    made.refresh_from_db()
    return made


def upload(draft_obj, name="photo.png", **fields) -> Upload:
    item = Upload(draft=draft_obj, user=draft_obj.user, field_name="photo", original_name=name, **fields)
    item.content_type, item.size, item.sha256 = "image/png", 3, "0" * 64
    item.file.save(name, ContentFile(b"png"), save=False)
    item.save()
    return item


def abandons():
    return Interaction.objects.filter(type=InteractionType.FORM_ABANDON)


def test_idle_unsent_drafts_are_recorded_once(settings, version):
    settings.FORM_ABANDON_HOURS = 24
    resident = UserFactory()
    idle = draft(version, hours_idle=30, user=resident)
    draft(version, hours_idle=2)  # still being filled in
    draft(version, hours_idle=50, submitted=True)  # sent
    before = idle.updated_at

    assert drafts_abandoned_record() == 1
    event = abandons().get()
    assert event.journey == "missed-bin"
    assert event.service_code == 524
    assert event.user == resident
    assert event.step == idle.current_step
    assert event.extras["order"] == 2
    # counted against the starts of the day the draft was started, never the day it went idle
    assert event.extras["started"] == timezone.localdate(idle.created_at).isoformat()
    assert event.occurred_at == before + timedelta(hours=24)
    idle.refresh_from_db()
    assert idle.abandoned_recorded_at is not None
    assert idle.updated_at == before  # the draft's last activity is unchanged

    assert drafts_abandoned_record() == 0
    assert mark_abandoned_drafts.enqueue().return_value == {"abandoned": 0, "expired": 0}
    assert abandons().count() == 1


def test_the_abandon_hours_come_from_settings(settings, version):
    draft(version, hours_idle=5)
    settings.FORM_ABANDON_HOURS = 6
    assert drafts_abandoned_record() == 0
    settings.FORM_ABANDON_HOURS = 4
    assert drafts_abandoned_record() == 1


def test_expired_drafts_and_their_files_are_deleted(settings, version, django_capture_on_commit_callbacks):
    settings.FORM_DRAFT_DAYS = 30
    old = draft(version, hours_idle=31 * 24, abandoned_recorded_at=timezone.now())
    recent = draft(version, hours_idle=29 * 24)
    old_file = upload(old)
    recent_file = upload(recent, name="recent.png")
    sent = Submission.objects.create(version=version, answers={}, idempotency_key=old.idempotency_key)
    kept_file = upload(old, name="sent.png", submission=sent)
    storage = old_file.file.storage

    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_expired_delete() == 1

    assert not Draft.objects.filter(pk=old.pk).exists()
    assert Draft.objects.filter(pk=recent.pk).exists()
    assert not Upload.objects.filter(pk=old_file.pk).exists()
    assert not storage.exists(old_file.file.name)
    assert storage.exists(recent_file.file.name)
    kept_file.refresh_from_db()  # sent with a form: kept with the submission
    assert kept_file.draft is None and storage.exists(kept_file.file.name)


def test_the_daily_command_records_then_expires(settings, version, django_capture_on_commit_callbacks):
    settings.FORM_ABANDON_HOURS = 24
    settings.FORM_DRAFT_DAYS = 30
    draft(version, hours_idle=40 * 24)  # never recorded: counted before it goes
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("forms_daily", stdout=out)
    assert "Abandoned forms recorded: 1" in out.getvalue()
    assert "Expired drafts deleted: 1" in out.getvalue()
    assert abandons().count() == 1
    assert not Draft.objects.exists()
    out = StringIO()
    call_command("forms_daily", stdout=out)
    assert "Abandoned forms recorded: 0" in out.getvalue()
