"""Signed, expiring links to a submission's files, for back offices that cannot sign in.

A link names the Upload by its id, signed with the site's secret (``TimestampSigner``, its own
salt) and good for ``FILE_LINK_MAX_AGE``. Anyone holding the link can fetch the file until
then, the way a back office fetches a webhook's or an email's files, so links only go to the
form's own destinations. A changed ``SECRET_KEY`` ends every link at once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from forms_engine.models import Upload

SALT = "integrations.file"
FILE_LINK_MAX_AGE = timedelta(days=7)


def file_token(upload: Upload) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(upload.pk))


def file_url(upload: Upload) -> str:
    """The absolute signed link to ``upload``, working for ``FILE_LINK_MAX_AGE``."""
    return settings.SITE_URL + reverse("integrations_file", kwargs={"token": file_token(upload)})


def upload_for_token(token: str) -> Upload | None:
    """The upload a link names, or None when it is forged, expired or the file has gone."""
    try:
        upload_id = signing.TimestampSigner(salt=SALT).unsign(token, max_age=FILE_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    try:
        return Upload.objects.filter(pk=upload_id, submission__isnull=False).first()
    except (ValueError, signing.BadSignature):
        return None
