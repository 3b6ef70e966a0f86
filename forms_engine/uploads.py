"""Checking files residents upload: by what the bytes are, not by what the name says.

The checks live in ``portal.lib.uploads`` (shared with case messages); this module keeps the
names the forms engine has always imported.
"""

from portal.lib.uploads import (
    ALLOWED_MIME,
    LABELS,
    SNIFF_BYTES,
    file_sha256,
    size_text,
    types_text,
    upload_check,
)

__all__ = ["ALLOWED_MIME", "LABELS", "SNIFF_BYTES", "file_sha256", "size_text", "types_text", "upload_check"]
