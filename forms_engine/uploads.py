"""Checking files residents upload: by what the bytes are, not by what the name says.

A program renamed ``photo.jpg`` is still a program: ``filetype`` reads the file's
signature (magic numbers), and only the types the question allows get through. The
stored file is named after what it really is, and the resident's own file name is
kept only as text.
"""

import hashlib

import filetype

from django.core.exceptions import ValidationError

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


def types_text(types: list[str]) -> str:
    labels = [LABELS.get(t, t.upper()) for t in types]
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def _size_text(max_bytes: int) -> str:
    megabytes = max_bytes / (1024 * 1024)
    return f"{megabytes:g}MB" if megabytes >= 1 else f"{max_bytes // 1024}KB"


def upload_check(file, *, allowed_types: list[str], max_bytes: int) -> tuple[str, str]:
    """The ``(content_type, extension)`` of an uploaded ``file`` if it is allowed.

    Raises ``ValidationError`` with a GOV.UK message when the file is empty, too large,
    or its content is not one of ``allowed_types`` (extensions such as ``"pdf"``,
    ``"jpg"``), whatever its name says.
    """
    size = getattr(file, "size", None)
    if not size:
        raise ValidationError("The selected file is empty", code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"The selected file must be smaller than {_size_text(max_bytes)}", code="too_big"
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
    return kind.mime, extension


def file_sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
