"""Writes a data export ZIP from the registered personal data parts."""

import json
import posixpath
import re
import shutil
import tempfile
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from portal.lib import personal_data

MANIFEST_NAME = "about-this-download.json"
README_NAME = "README.txt"


def _safe_name(name: str) -> str:
    """A file name that stays inside its folder in the ZIP, whatever the upload was called."""
    name = posixpath.normpath("/" + name.replace("\\", "/")).lstrip("/")
    name = re.sub(r"[^\w.\- /]", "_", name)
    return name or "file"


def archive_write(user) -> tempfile.SpooledTemporaryFile:
    """Build the ZIP for ``user`` into a temporary file (in memory until it grows large).

    Each registered part becomes ``<name>.json``; files a part contributes go under
    ``files/<name>/``. A manifest lists the parts, and a README explains them.
    """
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the caller closes it
    created_at = timezone.now()
    contents = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in personal_data.parts():
            if part.export is None:
                continue
            exported = part.exported(user)
            archive.writestr(
                f"{part.name}.json",
                json.dumps(exported.data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            )
            files = []
            for exported_file in exported.files:
                path = f"files/{part.name}/{_safe_name(exported_file.name)}"
                with exported_file.open() as source, archive.open(path, "w") as target:
                    shutil.copyfileobj(source, target)
                files.append(path)
            contents.append({"file": f"{part.name}.json", "what": part.label, "files": files})
        manifest = {"account": user.email, "created_at": created_at, "contents": contents}
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))
        archive.writestr(
            README_NAME,
            render_to_string(
                "accounts/data_export_readme.txt", {"contents": contents, "created_at": created_at}
            ),
        )
    buffer.seek(0)
    return buffer
