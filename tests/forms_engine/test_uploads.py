"""Uploads: checked by content and size, stored privately, served only to who may see them."""

from pathlib import Path

import pytest

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from forms_engine.models import Submission, Upload
from portal.lib.uploads import upload_check
from tests.accounts.factories import StaffFactory, UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import check_url, form_start, step_url
from tests.portal.cases.factories import officer_in, team_make
from tests.portal.documents import MB, docx, docx_bomb

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64
)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _file(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize("content", [ELF, MZ, b"#!/bin/sh\nrm -rf /\n"])
def test_a_renamed_program_is_not_a_photo(content):
    with pytest.raises(ValidationError) as error:
        upload_check(_file("photo.jpg", content), allowed_types=["jpg", "png", "pdf"], max_bytes=1024 * 1024)
    assert error.value.messages == ["The selected file must be a JPG, PNG or PDF"]


def test_size_and_empty_files_and_types_the_question_does_not_allow():
    with pytest.raises(ValidationError, match="must be smaller than 1MB"):
        upload_check(
            _file("big.png", PNG + b"\x00" * 1024 * 1024), allowed_types=["png"], max_bytes=1024 * 1024
        )
    with pytest.raises(ValidationError, match="The selected file is empty"):
        upload_check(_file("empty.png", b""), allowed_types=["png"], max_bytes=1024)
    with pytest.raises(ValidationError, match="must be a PDF"):
        upload_check(_file("image.pdf", PNG), allowed_types=["pdf"], max_bytes=1024 * 1024)
    assert upload_check(_file("scan.PNG", PNG), allowed_types=["png"], max_bytes=1024 * 1024) == (
        "image/png",
        "png",
    )
    assert upload_check(_file("letter", PDF), allowed_types=["pdf"], max_bytes=1024 * 1024) == (
        "application/pdf",
        "pdf",
    )


def _proof_form(**fields):
    return form_build(
        slug="parking-permit",
        title="Apply for a parking permit",
        steps=[
            step(
                "Proof of address",
                question("file", "proof", "Upload proof of address", allowed_types=["pdf", "jpg", "png"]),
                question("text", "reg", "Vehicle registration"),
            ),
            step("Anything else", question("text", "notes", required=False)),
        ],
        **fields,
    )


def _download_url(upload) -> str:
    return reverse("forms_engine:upload", kwargs={"pk": upload.pk})


def test_uploading_on_a_step_checks_the_file_and_keeps_a_good_one_through_other_errors(web):
    _proof_form()
    owner = UserFactory()
    web.force_login(owner)
    draft = form_start(web, "parking-permit")
    response = web.post(step_url(draft, 1), {"proof": _file("photo.jpg", ELF), "reg": "AB12 CDE"})
    html = response.content.decode()
    assert response.status_code == 200 and "The selected file must be a PDF, JPG or PNG" in html
    assert 'value="AB12 CDE"' in html
    assert not Upload.objects.exists()

    response = web.post(step_url(draft, 1), {"proof": _file("bill.png", PNG, "image/png"), "reg": ""})
    assert response.status_code == 200 and "Enter the vehicle registration" in response.content.decode()
    upload = Upload.objects.get()
    assert upload.original_name == "bill.png" and upload.content_type == "image/png" and upload.user == owner
    assert upload.file.name.endswith(".png") and "bill" not in upload.file.name
    assert "You uploaded" in response.content.decode() and "bill.png" in response.content.decode()
    # Private storage: outside the media directory that is served publicly.
    assert not Path(upload.file.path).is_relative_to(settings.MEDIA_ROOT)

    response = web.post(step_url(draft, 1), {"reg": "AB12 CDE"})
    assert response["Location"] == step_url(draft, 2)
    draft.refresh_from_db()
    assert draft.answers["proof"] == str(upload.pk)

    download = web.get(_download_url(upload))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="bill.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG

    # Replacing the file removes the old one.
    web.post(step_url(draft, 1), {"proof": _file("better.pdf", PDF, "application/pdf"), "reg": "AB12 CDE"})
    assert list(Upload.objects.values_list("original_name", flat=True)) == ["better.pdf"]


def test_other_residents_and_other_browsers_get_404_on_a_file(web):
    _proof_form(sign_in="optional")
    draft = form_start(web, "parking-permit")
    web.post(step_url(draft, 1), {"proof": _file("bill.png", PNG, "image/png"), "reg": "AB12 CDE"})
    upload = Upload.objects.get()
    assert upload.user is None
    assert web.get(_download_url(upload)).status_code == 200  # this browser's session owns it
    assert Client().get(_download_url(upload)).status_code == 404  # another anonymous browser
    other = Client()
    other.force_login(UserFactory())
    assert other.get(_download_url(upload)).status_code == 404
    staff = Client()
    staff.force_login(StaffFactory())
    assert staff.get(_download_url(upload)).status_code == 404  # staff without sight of the case


def test_staff_who_can_see_the_case_can_download_its_files(web):
    team = team_make()
    _proof_form(team=team)
    owner = UserFactory()
    web.force_login(owner)
    draft = form_start(web, "parking-permit")
    web.post(step_url(draft, 1), {"proof": _file("bill.png", PNG, "image/png"), "reg": "AB12 CDE"})
    web.post(step_url(draft, 2), {"notes": ""})
    web.post(check_url(draft))
    submission = Submission.objects.get()
    upload = Upload.objects.get()
    assert upload.submission == submission
    officer = Client()
    officer.force_login(officer_in(team))
    assert officer.get(_download_url(upload)).status_code == 200
    outsider = Client()
    outsider.force_login(officer_in(team_make("Parking")))
    assert outsider.get(_download_url(upload)).status_code == 404
    manager = StaffFactory()
    manager.groups.add(Group.objects.get(name="Service managers"))
    boss = Client()
    boss.force_login(manager)
    assert boss.get(_download_url(upload)).status_code == 200
    assert web.get(_download_url(upload)).status_code == 200  # still the resident's own


def test_a_file_can_be_removed_from_check_your_answers(web):
    _proof_form()
    web.force_login(UserFactory())
    draft = form_start(web, "parking-permit")
    web.post(step_url(draft, 1), {"proof": _file("bill.png", PNG, "image/png"), "reg": "AB12 CDE"})
    web.post(step_url(draft, 2), {"notes": ""})
    upload = Upload.objects.get()
    check = web.get(check_url(draft)).content.decode()
    remove_url = reverse(
        "forms_engine:remove_upload",
        kwargs={"slug": "parking-permit", "draft": draft.pk, "upload": upload.pk},
    )
    assert "bill.png" in check and remove_url in check
    assert "Are you sure you want to remove bill.png?" in web.get(remove_url).content.decode()
    response = web.post(remove_url)
    assert response["Location"] == check_url(draft)
    assert not Upload.objects.exists()
    draft.refresh_from_db()
    assert "proof" not in draft.answers
    assert "Not answered" in web.get(check_url(draft)).content.decode()
    other = Client()
    other.force_login(UserFactory())
    assert other.get(remove_url).status_code == 404


def test_a_zip_bomb_named_docx_is_refused_on_a_step_and_the_other_answers_are_kept(web):
    form_build(
        slug="letter",
        steps=[
            step(
                "Your letter",
                question("file", "letter", "Upload the letter", allowed_types=["pdf", "docx"], max_size_mb=5),
                question("text", "reg", "Vehicle registration"),
            )
        ],
    )
    web.force_login(UserFactory())
    draft = form_start(web, "letter")
    bomb = _file("letter.docx", docx_bomb(100 * MB), DOCX)
    response = web.post(step_url(draft, 1), {"letter": bomb, "reg": "AB12 CDE"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The selected file is too big once it is opened" in html
    assert 'value="AB12 CDE"' in html
    assert not Upload.objects.exists()
    # A real Word document goes through.
    response = web.post(step_url(draft, 1), {"letter": _file("letter.docx", docx(), DOCX), "reg": "AB12 CDE"})
    assert response.status_code == 302
    assert Upload.objects.get().content_type == DOCX


def test_a_file_over_the_questions_limit_is_refused_with_the_answers_kept(web):
    _proof_form()
    web.force_login(UserFactory())
    draft = form_start(web, "parking-permit")
    too_big = _file("scan.pdf", PDF + bytes(MB + MB // 2), "application/pdf")
    response = web.post(step_url(draft, 1), {"proof": too_big, "reg": "AB12 CDE"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The selected file must be smaller than 1MB" in html
    assert 'value="AB12 CDE"' in html
    assert not Upload.objects.exists()
