"""Checking what people upload, written once for every app.

Three layers, cheapest first:

1. **The request's declared size**, before its body is read. A view that takes files says
   how many and how big (``upload_limit``); every other view takes no more than
   ``DATA_UPLOAD_MAX_MEMORY_SIZE`` of form data, and the admins up to
   ``PORTAL_ADMIN_UPLOAD_MAX_BYTES`` per file. ``portal.middleware.RequestInputMiddleware``
   answers 413 to a larger ``Content-Length`` without reading a byte of the body.
2. **Each file while it streams in** (``LimitedUploadHandler``, first in
   ``FILE_UPLOAD_HANDLERS``): past the view's file limit the bytes are no longer stored, and
   the form gets a file whose size says it is too big, so it shows the usual GOV.UK error and
   keeps the rest of the answers.
3. **Each file's content** (``upload_check``): its size as uploaded before anything is read,
   then its type from its signature (magic numbers), never its name; and zipped documents
   (DOCX, ODT) are opened as archives and refused when they are not the document they claim to
   be, are password protected, or would unpack to far more than was uploaded (a ZIP bomb).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import filetype

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

# The extensions editors can allow (forms_engine.blocks.UPLOAD_TYPES) and the MIME types
# the sniffer reports for each.
ALLOWED_MIME = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "heic": "image/heic",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
LABELS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "heic": "HEIC", "docx": "Word (DOCX)", "odt": "ODT"}
# Zipped office documents name their parts within the first few entries; read enough to see them.
SNIFF_BYTES = 64 * 1024

# Zipped documents: the parts a real one always has, and what it may unpack to. A DOCX of
# text and photos unpacks to a few times its size; 100 times is a ZIP bomb's signature.
ARCHIVE_PARTS = {
    "docx": frozenset({"[Content_Types].xml", "word/document.xml"}),
    "odt": frozenset({"mimetype", "content.xml"}),
}
ARCHIVE_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
ARCHIVE_MAX_RATIO = 100
ARCHIVE_MAX_MEMBERS = 1000
_READ_CHUNK = 256 * 1024


def types_text(types: list[str]) -> str:
    labels = [LABELS.get(t, t.upper()) for t in types]
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def size_text(max_bytes: int) -> str:
    megabytes = max_bytes / (1024 * 1024)
    return f"{megabytes:g}MB" if megabytes >= 1 else f"{max(max_bytes // 1024, 1)}KB"


def upload_check(file: File[bytes], *, allowed_types: list[str], max_bytes: int) -> tuple[str, str]:
    """The ``(content_type, extension)`` of an uploaded ``file`` if it is allowed.

    Raises ``ValidationError`` with a GOV.UK message when the file is empty or too large (from
    its size, before a byte is read), when its content is not one of ``allowed_types``
    (extensions such as ``"pdf"``), whatever its name says, or when a zipped document is
    password protected, is not really that document, or unpacks to far more than its size.
    """
    size = getattr(file, "size", None)
    if not size:
        raise ValidationError("The selected file is empty", code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"The selected file must be smaller than {size_text(max_bytes)}", code="too_big"
        )
    wrong_type = ValidationError(f"The selected file must be a {types_text(allowed_types)}", code="type")
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    kind = filetype.guess(head) if head else None
    if kind is None:
        raise wrong_type
    extension = "jpg" if kind.extension == "jpeg" else kind.extension
    if extension not in allowed_types or ALLOWED_MIME.get(extension) != kind.mime:
        raise wrong_type
    if extension in ARCHIVE_PARTS:
        try:
            archive_check(file, size=size, parts=ARCHIVE_PARTS[extension], allowed_types=allowed_types)
        finally:
            file.seek(0)
    return kind.mime, extension


def archive_check(file: File[bytes], *, size: int, parts: frozenset[str], allowed_types: list[str]) -> None:
    """Refuse a zipped document that is not what it claims, is encrypted, or is a ZIP bomb.

    The central directory is checked first (members, declared sizes); then every member is
    unpacked in chunks, never held whole, so a directory that lies about sizes is caught by
    its checksums and by the running total, never by filling memory or disk.
    """
    wrong_type = ValidationError(f"The selected file must be a {types_text(allowed_types)}", code="type")
    instead = " or as a PDF" if "pdf" in allowed_types else ""
    too_big = ValidationError(
        f"The selected file is too big once it is opened: save it again with smaller pictures{instead}, "
        "then upload it",
        code="unpacked_too_big",
    )
    limit = min(ARCHIVE_MAX_UNPACKED_BYTES, size * ARCHIVE_MAX_RATIO)
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if len(members) > ARCHIVE_MAX_MEMBERS:
                raise too_big
            if not parts <= {member.filename for member in members}:
                raise wrong_type
            if any(member.flag_bits & 0x1 for member in members):
                raise ValidationError("The selected file is password protected", code="password")
            if sum(member.file_size for member in members) > limit:
                raise too_big
            unpacked = 0
            for member in members:
                with archive.open(member) as part:
                    while chunk := part.read(_READ_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_big
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError, RuntimeError):
        # Damaged, truncated, a lying directory (bad checksum) or an unknown compression method.
        raise wrong_type from None


def file_sha256(file: File[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


# The request: declared size, and each file as it streams in ---------------------------------


@dataclass(frozen=True)
class UploadLimits:
    """What one request to a view may carry: ``files`` files of up to ``file_bytes`` each."""

    file_bytes: int = 0
    files: int = 0

    @property
    def request_bytes(self) -> int:
        """The largest body such a request can honestly have: its files and its form data."""
        return self.file_bytes * self.files + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


LimitsFor = UploadLimits | Callable[..., UploadLimits]
View = TypeVar("View", bound=Callable[..., Any])


def upload_limit(limits: LimitsFor) -> Callable[[View], View]:
    """Declare the files a view takes: an ``UploadLimits``, or a function of the request and the
    view's arguments that returns one (e.g. from the form step being answered).

    Put it outermost, so the middleware finds it on the view it resolves.
    """

    def decorate(view: View) -> View:
        view.upload_limits = limits  # type: ignore[attr-defined]  # a function attribute, read by limits_for_view
        return view

    return decorate


def limits_for_view(
    request: HttpRequest,
    view_func: Callable[..., Any],
    view_args: Sequence[Any],
    view_kwargs: dict[str, Any],
) -> UploadLimits:
    declared = getattr(view_func, "upload_limits", None)
    if declared is None:
        if request.path_info.startswith(settings.ADMIN_PATH_PREFIXES):
            return UploadLimits(file_bytes=settings.PORTAL_ADMIN_UPLOAD_MAX_BYTES, files=1)
        return UploadLimits()
    if callable(declared):
        return declared(request, *view_args, **view_kwargs)
    return declared


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class OversizedUpload(UploadedFile):
    """A file that went past its view's limit while streaming in: its real size, none of its bytes.

    The form sees an ordinary upload, so ``upload_check`` says it must be smaller.
    """

    def __init__(self, name: str | None, content_type: str | None, size: int) -> None:
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class LimitedUploadHandler(FileUploadHandler):
    """Stop storing a file once it passes the file limit of the view it was sent to.

    The bytes still arrive (the request's declared size was already checked), but past the
    limit they are dropped rather than passed to the handlers that keep them in memory or on
    disk, and the partial copy those handlers made is closed.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        limits = getattr(self.request, "upload_limits", None)
        self.limit = limits.file_bytes if limits is not None and limits.file_bytes else None
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.limit is None or self.received <= self.limit:
            return raw_data
        if not self.oversized:
            self.oversized = True
            assert self.request is not None  # Django passes the request to every upload handler
            for handler in self.request.upload_handlers:
                partial = getattr(handler, "file", None) if handler is not self else None
                if partial is not None:
                    partial.close()
        return None

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.oversized:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        return None
