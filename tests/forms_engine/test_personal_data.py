"""Forms in the resident's data export, and what happens to them when the account is deleted."""

import json
import zipfile
from datetime import timedelta

import pytest

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.archive import archive_write
from accounts.services import account_delete, personal_data_housekeeping
from forms_engine.models import Draft, FormVersion, Submission, Upload
from portal.cases.services import case_create
from portal.lib import personal_data as registry
from tests.accounts.factories import UserFactory

from .factories import form_published, q, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    form = form_published(
        title="Book a bulky waste collection",
        slug="bulky",
        steps=[
            step(
                "About you",
                q("text", "full_name", "Full name", prefill="full_name"),
                q("email", "email", "Email address"),
                q("phone", "phone", "Phone number", required=False),
            ),
            step("Where?", q("address", "address", "Collection address")),
            step("Photo", q("file", "photo", "A photo", required=False)),
        ],
    )
    return FormVersion.objects.get(form=form)


def upload(*, user, name, draft=None, submission=None) -> Upload:
    item = Upload(draft=draft, submission=submission, user=user, field_name="photo", original_name=name)
    item.content_type, item.size, item.sha256 = "image/png", 4, "0" * 64
    item.file.save(name, ContentFile(b"\x89PNG"), save=False)
    item.save()
    return item


ADDRESS = {"line_1": "1 High Street", "line_2": "", "town": "Anytown", "postcode": "AN1 1AA"}


@pytest.fixture
def resident(version):
    user = UserFactory(email="riley@example.org", full_name="Riley Resident")
    draft = Draft.objects.create(version=version, user=user, answers={"full_name": "Riley Resident"})
    upload(user=user, name="draft-photo.png", draft=draft)
    case = case_create(title="Book a bulky waste collection", reference_prefix="BWC", resident=user)
    submission = Submission.objects.create(
        version=version,
        user=user,
        case=case,
        contact_email="riley@example.org",
        answers={
            "full_name": "Riley Resident",
            "email": "riley@example.org",
            "phone": "07700 900123",
            "address": ADDRESS,
        },
        idempotency_key=draft.idempotency_key,
    )
    upload(user=user, name="sofa.png", submission=submission)
    return user


def _zip(user) -> zipfile.ZipFile:
    return zipfile.ZipFile(archive_write(user))


def test_the_export_has_drafts_sent_forms_and_files(resident):
    archive = _zip(resident)
    drafts = json.loads(archive.read("form_drafts.json"))
    assert drafts[0]["form"] == "Book a bulky waste collection"
    assert drafts[0]["answers"][0] == {
        "step": "About you",
        "question": "Full name",
        "answer": "Riley Resident",
    }
    photo = next(row for row in drafts[0]["answers"] if row["question"] == "A photo")
    assert photo["files"][0].endswith("/draft-photo.png")

    sent = json.loads(archive.read("form_submissions.json"))
    assert sent[0]["case_reference"].startswith("BWC-")
    assert sent[0]["contact_email"] == "riley@example.org"
    rows = {row["question"]: row for row in sent[0]["answers"]}
    assert rows["Collection address"]["answer"] == ADDRESS
    assert rows["A photo"]["files"][0].endswith("/sofa.png")

    files = json.loads(archive.read("form_uploads.json"))
    assert {f["name"] for f in files} == {"draft-photo.png", "sofa.png"}
    for listed in files:
        assert archive.read(listed["file"]) == b"\x89PNG"


def test_another_residents_forms_are_not_in_the_export(resident, version):
    other = UserFactory()
    archive = _zip(other)
    assert json.loads(archive.read("form_drafts.json")) == []
    assert json.loads(archive.read("form_submissions.json")) == []
    assert json.loads(archive.read("form_uploads.json")) == []


def test_deleting_the_account_deletes_drafts_and_keeps_sent_forms_without_contact_details(
    resident, django_capture_on_commit_callbacks
):
    draft_upload = Upload.objects.get(original_name="draft-photo.png")
    sent_upload = Upload.objects.get(original_name="sofa.png")
    storage = draft_upload.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=resident)

    assert not Draft.objects.exists()
    assert not Upload.objects.filter(pk=draft_upload.pk).exists()
    assert not storage.exists(draft_upload.file.name)

    submission = Submission.objects.get()
    assert submission.user is None
    assert submission.contact_email == ""
    assert submission.answers == {"address": ADDRESS}
    assert submission.case is not None
    sent_upload.refresh_from_db()
    assert sent_upload.user is None and storage.exists(sent_upload.file.name)


def test_the_deletion_page_sentences():
    parts = {part.name: part for part in registry.parts()}
    assert "deleted" in parts["form_drafts"].sentence("deleted")
    kept = parts["form_submissions"].sentence("kept")
    assert "6 years" in kept and "without your name, email address or phone number" in kept


def test_sent_forms_kept_without_an_account_are_purged_after_the_retention_period(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=resident)
    submission = Submission.objects.get()
    assert personal_data_housekeeping()["form_submissions"] == 0
    Submission.objects.filter(pk=submission.pk).update(submitted_at=timezone.now() - timedelta(days=7 * 366))
    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data_housekeeping()["form_submissions"] == 1
    assert not Submission.objects.exists()
    assert not Upload.objects.exists()
