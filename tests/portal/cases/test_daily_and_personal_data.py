"""The daily deadline email to each team, and cases in the data export and account deletion."""

import json
import zipfile
from datetime import date

import pytest

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.services import account_delete
from portal.cases.models import Case, CaseAttachment
from portal.cases.services import case_message_send
from portal.lib import personal_data as registry
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db


def test_each_team_gets_its_cases_about_to_breach(django_capture_on_commit_callbacks):
    waste = team_make("Waste", "waste@council.example")
    roads = team_make("Roads", "roads@council.example")
    team_make("Quiet", "quiet@council.example")
    late = case_make(team=waste, title="Late bin")
    soon = case_make(team=waste, title="Soon bin")
    later = case_make(team=waste, title="Later bin")
    paused = case_make(team=roads, title="Paused hole", status="awaiting_resident")
    Case.objects.filter(pk=late.pk).update(due_on=date(2026, 11, 18))
    Case.objects.filter(pk=soon.pk).update(due_on=date(2026, 11, 24))  # Tuesday: within 2 working days
    Case.objects.filter(pk=later.pk).update(due_on=date(2026, 11, 30))
    Case.objects.filter(pk=paused.pk).update(due_on=date(2026, 11, 18))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cases_daily", "--date", "2026-11-23")  # a Monday
    assert [m.to for m in mail.outbox] == [["waste@council.example"]]
    body = mail.outbox[0].body
    assert "Late bin" in body and "Soon bin" in body
    assert "Later bin" not in body
    assert mail.outbox[0].subject == "Waste: 1 overdue, 1 due within 2 working days"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cases_daily", "--date", "2026-11-23")
    assert len(mail.outbox) == 1  # once a day


def test_the_task_runs_the_same_job():
    from portal.cases.tasks import send_deadline_digests

    assert send_deadline_digests.enqueue().return_value == 0


def _with_attachment(resident):
    case = case_make(resident=resident, status="awaiting_resident")
    upload = SimpleUploadedFile("photo.pdf", b"%PDF-1.4\n%%EOF\n")
    upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
    case_message_send(case=case, user=resident, message="My words", files=[upload])
    return case


def test_the_export_has_the_public_timeline_and_files():
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    case = _with_attachment(resident)
    Case.objects.filter(pk=case.pk).update(team=team)
    case.refresh_from_db()
    from portal.cases.services import case_note_add

    case_note_add(case=case, actor=officer, message="Internal words")
    part = next(p for p in registry.parts() if p.name == "cases")
    exported = part.exported(resident)
    text = json.dumps(exported.data, default=str)
    assert case.reference in text and "My words" in text
    assert "Internal words" not in text
    assert len(exported.files) == 1
    assert exported.files[0].open().read().startswith(b"%PDF")
    assert zipfile  # the ZIP itself is built by accounts (tested there)


def test_deleting_the_account_keeps_the_case_anonymised():
    resident = UserFactory(full_name="Ada Resident")
    case = _with_attachment(resident)
    name = CaseAttachment.objects.get().file.name
    account_delete(user=resident)
    case.refresh_from_db()
    assert case.resident is None
    assert case.contact_email == "" and case.contact_name == ""
    assert not CaseAttachment.objects.exists()
    assert not case.events.filter(message="My words").exists()
    assert case.events.count() >= 3
    part = next(p for p in registry.parts() if p.name == "cases")
    assert "kept" in part.sentence("kept") and "years" in part.sentence("kept")
    assert name


def test_cases_kept_without_an_account_are_purged_after_the_retention_period(settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import personal_data_housekeeping
    from portal.cases.models import CaseEvent

    settings.PORTAL_RETENTION_YEARS = 6
    long_ago = timezone.now() - timedelta(days=365 * 7)
    old_anonymous = case_make(resident=None, contact_email="a@example.org", status="resolved")
    old_with_account = case_make(status="resolved")
    recent_anonymous = case_make(resident=None, contact_email="b@example.org", status="resolved")
    still_open = case_make(resident=None, contact_email="c@example.org", status="in_progress")
    Case.objects.filter(pk__in=[old_anonymous.pk, old_with_account.pk]).update(closed_at=long_ago)
    Case.objects.filter(pk=still_open.pk).update(created_at=long_ago)

    counts = personal_data_housekeeping()

    assert counts["cases"] == 1
    remaining = set(Case.objects.values_list("pk", flat=True))
    assert remaining == {old_with_account.pk, recent_anonymous.pk, still_open.pk}
    assert not CaseEvent.objects.filter(case_id=old_anonymous.pk).exists()


def test_a_purged_case_waits_for_its_kept_form_submission():
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from forms_engine.models import Submission
    from forms_engine.services import form_version_current
    from portal.cases.personal_data import _purge
    from tests.forms_engine.factories import missed_bin_form

    case = case_make(resident=None, contact_email="a@example.org", status="resolved")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=3000))
    submission = Submission.objects.create(
        version=form_version_current(form=missed_bin_form()),
        case=case,
        answers={},
        idempotency_key=uuid.uuid4(),
    )
    cutoff = timezone.now() - timedelta(days=2000)
    assert _purge(cutoff) == 0  # the kept submission still points at it
    submission.delete()  # what the submissions part does once it, too, is past the cutoff
    assert _purge(cutoff) == 1
    assert not Case.objects.filter(pk=case.pk).exists()
