"""Uploads are checked once, for every app (portal/lib/uploads.py): the request's declared size
before its body is read, each file as it streams in, and zipped documents by what they unpack to."""

import pytest

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from portal.lib.uploads import OversizedUpload, UploadLimits, upload_check
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import form_start, step_url
from tests.portal.cases.factories import case_make
from tests.portal.documents import MB, docx, docx_bomb, encrypted, understated

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_OR_PDF = ["pdf", "docx"]


def _check(content: bytes, *, allowed=WORD_OR_PDF, max_bytes=10 * MB):
    return upload_check(
        SimpleUploadedFile("letter.docx", content), allowed_types=allowed, max_bytes=max_bytes
    )


def _refusal(content: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        _check(content, **kwargs)
    return error.value


def test_a_real_word_document_is_accepted():
    assert _check(docx()) == (DOCX, "docx")


def test_a_zip_bomb_named_docx_is_refused():
    bomb = docx_bomb(100 * MB)  # about 100KB that would unpack to 100MB
    assert len(bomb) < 200 * 1024
    error = _refusal(bomb)
    assert error.code == "unpacked_too_big"
    assert error.messages == [
        "The selected file is too big once it is opened: save it again with smaller pictures or as a PDF, "
        "then upload it"
    ]


def test_a_document_that_unpacks_to_over_100_times_its_size_is_refused_under_the_total_limit():
    # 5MB of zeros packs into a few KB: under the 50MB total, but no real document does that.
    error = _refusal(docx(parts={"word/media/image1.png": bytes(5 * MB)}), allowed=["docx"])
    assert error.code == "unpacked_too_big"
    assert "or as a PDF" not in error.messages[0]  # only offered where a PDF is allowed


def test_a_directory_that_understates_what_a_part_unpacks_to_is_caught_when_unpacking():
    lying = understated(docx(parts={"word/media/image1.png": bytes(5 * MB)}), "word/media/image1.png", 1000)
    assert _refusal(lying).messages == ["The selected file must be a PDF or Word (DOCX)"]


def test_a_zip_that_is_not_really_a_word_document_is_refused():
    # Looks like one to the signature sniffer (its first part is [Content_Types].xml).
    assert _refusal(docx(document=False)).code == "type"


def test_a_password_protected_document_is_refused():
    error = _refusal(encrypted(docx()))
    assert (error.code, error.messages) == ("password", ["The selected file is password protected"])


def test_a_document_with_thousands_of_parts_is_refused():
    parts = {f"word/media/part{i}.xml": b"<a/>" for i in range(1001)}
    assert _refusal(docx(parts=parts)).code == "unpacked_too_big"


class Unreadable(SimpleUploadedFile):
    def read(self, *args):
        raise AssertionError("the file was read")


def test_the_size_is_checked_before_a_byte_is_read():
    big = Unreadable("big.pdf", b"")
    big.size = 50 * MB
    with pytest.raises(ValidationError, match="must be smaller than 10MB"):
        upload_check(big, allowed_types=["pdf"], max_bytes=10 * MB)


def test_a_file_past_the_views_limit_is_not_kept_while_it_streams_in():
    """Past the limit the bytes are dropped: the form gets the file's real size and none of it."""
    request = RequestFactory().post(
        "/", {"proof": SimpleUploadedFile("huge.pdf", b"%PDF-1.4\n" + bytes(3 * MB))}
    )
    request.upload_limits = UploadLimits(file_bytes=1 * MB, files=1)
    upload = request.FILES["proof"]
    assert isinstance(upload, OversizedUpload)
    assert upload.size == 3 * MB + 9
    assert upload.read() == b""
    with pytest.raises(ValidationError, match="must be smaller than 1MB"):
        upload_check(upload, allowed_types=["pdf"], max_bytes=1 * MB)
    # Within the limit, files come through whole, as before.
    request = RequestFactory().post("/", {"proof": SimpleUploadedFile("fine.pdf", b"%PDF-1.4\n")})
    request.upload_limits = UploadLimits(file_bytes=1 * MB, files=1)
    assert request.FILES["proof"].read() == b"%PDF-1.4\n"


# The request's declared size ---------------------------------------------------------------------


class Body:
    """A request body that would stream ``length`` bytes, counting what anyone reads of it."""

    def __init__(self, length: int):
        self.left = length
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        self.left -= size
        self.read_bytes += size
        return b"x" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _post_declaring(client, url: str, length: int):
    body = Body(length)
    response = client.generic(
        "POST",
        url,
        content_type="multipart/form-data; boundary=portal-boundary",
        **{"CONTENT_LENGTH": str(length), "wsgi.input": body},
    )
    return response, body


@pytest.mark.django_db
def test_a_form_step_refuses_a_request_bigger_than_its_questions_take_without_reading_it(client):
    form_build(
        slug="proof",
        steps=[step("Proof", question("file", "proof", "Upload proof", max_size_mb=10))],
    )
    client.force_login(UserFactory())
    draft = form_start(client, "proof")
    response, body = _post_declaring(client, step_url(draft, 1), 50 * MB)
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert "The file you selected is too big" in response.text
    assert "The file must be smaller than 10MB" in response.text


@pytest.mark.django_db
def test_a_case_message_takes_five_files_of_10mb_and_no_more(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="awaiting_resident")
    client.force_login(resident)
    url = reverse("cases:message", kwargs={"reference": case.reference})
    response, body = _post_declaring(client, url, 60 * MB)
    assert (response.status_code, body.read_bytes) == (413, 0)
    assert "Each file must be smaller than 10MB, and you can send up to 5 at a time" in response.text


@pytest.mark.django_db
def test_a_page_that_takes_no_files_refuses_a_large_body_without_reading_it(client):
    response, body = _post_declaring(client, reverse("account_login"), 5 * MB)
    assert (response.status_code, body.read_bytes) == (413, 0)
    assert "This page does not take files" in response.text
