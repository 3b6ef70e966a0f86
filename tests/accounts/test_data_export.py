"""A resident downloads everything held about them: built in the background, fetched by a signed link."""

import io
import json
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import DataExportStatus
from accounts.models import DataExport
from accounts.selectors import data_export_token
from accounts.services import (
    data_export_build,
    data_export_request,
    data_exports_resume,
    personal_data_housekeeping,
    profile_update,
)
from portal.interactions.constants import InteractionType
from portal.interactions.services import interaction_record
from portal.lib import personal_data as registry
from portal.lib.personal_data import ExportedData, ExportFile
from portal.notifications.services import notification_email_send
from tests.accounts.factories import TOTP_SECRET, UserFactory, mfa_totp_add
from tests.accounts.signin import reauthenticate, sign_in

pytestmark = pytest.mark.django_db


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _download_url(export) -> str:
    return reverse("data_export_download") + "?t=" + data_export_token(export=export)


def _resident_with_data():
    user = UserFactory(full_name="Riley Resident", email="riley@example.org")
    profile_update(
        user=user, phone="07700900982", address_line_1="1 High St", town="Anytown", postcode="AN1 1AA"
    )
    mfa_totp_add(user)
    notification_email_send(to=user.email, subject="Your bin collection", body_text="Hello Riley")
    interaction_record(type=InteractionType.SEARCH, user=user, path="/search/", outcome="results")
    return user


def test_asking_for_a_copy_builds_a_zip_in_the_background_and_emails_the_resident(web):
    user = _resident_with_data()
    sign_in(web, user)
    page = web.get(reverse("data_export"))
    assert page.status_code == 200
    assert "Get a copy of your data" in page.text

    response = web.post(reverse("data_export"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(web, url=response["Location"])  # the suspended request carries on afterwards
    export = DataExport.objects.get(user=user)
    assert export.status == DataExportStatus.READY
    assert any(m.subject == "Your data is ready to download" and m.to == [user.email] for m in mail.outbox)

    page = web.get(reverse("data_export"))
    assert "Ready" in page.text
    url = _download_url(export)
    assert url.split("?t=")[0] in page.text

    response = web.get(_link_from(page.text))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    archive = _zip(response)
    names = set(archive.namelist())
    assert {
        "profile.json",
        "email_addresses.json",
        "contact_preferences.json",
        "security.json",
        "emails.json",
        "activity.json",
        "about-this-download.json",
        "README.txt",
    } <= names

    profile = json.loads(archive.read("profile.json"))
    assert profile["full_name"] == "Riley Resident"
    assert profile["address"]["postcode"] == "AN1 1AA"
    assert json.loads(archive.read("email_addresses.json")) == [
        {"email": "riley@example.org", "verified": True, "primary": True}
    ]
    assert json.loads(archive.read("contact_preferences.json"))["how_we_contact_you"] == "email"
    security = json.loads(archive.read("security.json"))
    assert {item["type"] for item in security["two_step_verification"]} == {"totp", "recovery_codes"}
    # No secret of any kind leaves in the export.
    everything = b"".join(archive.read(name) for name in names).decode()
    assert TOTP_SECRET not in everything
    for authenticator in Authenticator.objects.filter(user=user):
        for value in authenticator.data.values():
            assert str(value) not in everything or value in (0, None)
    emails = json.loads(archive.read("emails.json"))
    assert any(e["subject"] == "Your bin collection" for e in emails)
    activity = json.loads(archive.read("activity.json"))
    assert any(event["what"] == "search" for event in activity)
    manifest = json.loads(archive.read("about-this-download.json"))
    assert manifest["account"] == "riley@example.org"


def _link_from(html: str) -> str:
    import re

    return (
        re.search(r'href="(/my-account/your-data/download/\?t=[^"]+)"', html).group(1).replace("&amp;", "&")
    )


def test_files_a_part_contributes_go_into_the_zip():
    user = UserFactory()

    def export(u):
        return ExportedData(
            data=[{"file": "files/uploads/photo.jpg"}],
            files=[
                ExportFile("photo.jpg", lambda: io.BytesIO(b"JPEGDATA")),
                ExportFile("../../etc/passwd", lambda: io.BytesIO(b"nope")),
            ],
        )

    registry.register(name="uploads", label="Files you uploaded", export=export)
    try:
        export_row = data_export_request(user=user)
        data_export_build(export_id=export_row.pk)
        export_row.refresh_from_db()
        with export_row.file.open("rb") as f:
            archive = zipfile.ZipFile(io.BytesIO(f.read()))
        assert archive.read("files/uploads/photo.jpg") == b"JPEGDATA"
        assert all(".." not in name and not name.startswith("/") for name in archive.namelist())
        assert "files/uploads/etc/passwd" in archive.namelist()
    finally:
        registry.unregister("uploads")


def test_a_link_only_works_for_its_own_account(client):
    owner, other = UserFactory(), UserFactory()
    export = data_export_request(user=owner)
    data_export_build(export_id=export.pk)
    url = _download_url(export)

    client.force_login(other)
    assert client.get(url).status_code == 404
    anonymous = Client()
    assert anonymous.get(url)["Location"].startswith(reverse("account_login"))
    client.force_login(owner)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "eyJlIjoiMSJ9:1abc:def"])
def test_a_forged_link_is_404(client, token):
    client.force_login(UserFactory())
    assert client.get(reverse("data_export_download") + "?t=" + token).status_code == 404


def test_a_link_stops_working_when_it_expires(client):
    user = UserFactory()
    export = data_export_request(user=user)
    data_export_build(export_id=export.pk)
    url = _download_url(export)
    client.force_login(user)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404
    # The signature expires too, whatever the database says.
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() + timedelta(days=30))
    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() + 8 * 86400):
        assert client.get(url).status_code == 404


def test_asking_twice_while_one_is_being_prepared_does_not_start_another():
    user = UserFactory()
    first = data_export_request(user=user)
    DataExport.objects.filter(pk=first.pk).update(status=DataExportStatus.PENDING)
    assert data_export_request(user=user).pk == first.pk


def test_only_the_latest_copy_is_kept():
    user = UserFactory()
    first = data_export_request(user=user)
    data_export_build(export_id=first.pk)
    second = data_export_request(user=user)
    data_export_build(export_id=second.pk)
    assert list(DataExport.objects.filter(user=user)) == [second]


def test_a_failing_build_is_retried_then_reported():
    user = UserFactory()
    export = DataExport.objects.create(user=user, expires_at=timezone.now() + timedelta(days=7))
    with mock.patch("accounts.services.archive_write", side_effect=OSError("disk full")):
        data_export_build(export_id=export.pk)
        # The immediate backend cannot defer a retry, and a failed attempt is not re-run at
        # once (portal.lib.retry): the housekeeping queues it again once its backoff is over.
        export.refresh_from_db()
        assert (export.status, export.attempts) == (DataExportStatus.PENDING, 1)
        assert data_exports_resume() == 0  # not overdue yet
        for _ in range(3):
            assert data_exports_resume(now=timezone.now() + timedelta(hours=2)) == 1
    export.refresh_from_db()
    assert export.status == DataExportStatus.FAILED
    assert export.attempts == 4
    assert "disk full" in export.last_error


def test_housekeeping_deletes_expired_copies_and_their_files(django_capture_on_commit_callbacks):
    user = UserFactory()
    export = data_export_request(user=user)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are gone
        assert personal_data_housekeeping()["data_exports"] == 1
    assert not DataExport.objects.exists()
    assert not storage.exists(name)


def test_exports_are_private_files():
    from django.conf import settings

    field = DataExport._meta.get_field("file")
    assert str(settings.MEDIA_ROOT) not in str(field.storage.location)


def test_the_housekeeping_command_reports_what_it_deleted():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("personal_data_housekeeping", stdout=out)
    assert "data_exports: 0 deleted" in out.getvalue()
