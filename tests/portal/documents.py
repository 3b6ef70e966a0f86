"""Zipped documents for upload tests, built for real with ``zipfile``: a small genuine DOCX, and
ZIP bombs dressed as one."""

import io
import struct
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
)

MB = 1024 * 1024


def docx(
    *, text: str = "Proof of address", parts: dict[str, bytes] | None = None, document: bool = True
) -> bytes:
    """A Word document, as Word writes one: the content types first, then the parts.

    ``parts`` adds members (name: content), compressed like the rest.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        if document:
            archive.writestr("word/document.xml", DOCUMENT.format(text=text))
        else:
            archive.writestr("word/styles.xml", "<w:styles/>")
        for name, content in (parts or {}).items():
            with archive.open(name, "w", force_zip64=len(content) > 2**31) as member:
                member.write(content)
    return buffer.getvalue()


def zeros_member(size: int) -> bytes:
    return bytes(size)


def docx_bomb(unpacked_bytes: int = 200 * MB) -> bytes:
    """A DOCX whose picture is ``unpacked_bytes`` of zeros: a few hundred KB that would unpack to
    hundreds of MB (written in chunks, never held whole)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", DOCUMENT.format(text="Nothing to see"))
        chunk = bytes(MB)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as member:
            for _ in range(unpacked_bytes // MB):
                member.write(chunk)
    return buffer.getvalue()


def understated(archive_bytes: bytes, member: str, declared: int) -> bytes:
    """``archive_bytes`` with ``member``'s uncompressed size in the central directory rewritten
    to ``declared``: a directory that lies, so only unpacking shows the real size."""
    data = bytearray(archive_bytes)
    name = member.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, declared)
            return bytes(data)
        at += 4
    raise ValueError(member)


def encrypted(archive_bytes: bytes) -> bytes:
    """``archive_bytes`` with every member marked as encrypted (general purpose flag bit 0)."""
    data = bytearray(archive_bytes)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            flags = struct.unpack_from("<H", data, at + flag_at)[0]
            struct.pack_into("<H", data, at + flag_at, flags | 0x1)
            at += 4
    return bytes(data)
