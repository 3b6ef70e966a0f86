"""Residents follow and act on their own cases in My account; nobody else's."""

import pytest

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import CaseAttachment, CaseEvent
from portal.cases.services import case_officer_message
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make
from tests.portal.documents import MB, docx_bomb

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_the_case_list_shows_open_cases_first_with_plain_words(client):
    resident = UserFactory()
    closed = case_make(resident=resident, status="resolved", title="Closed one")
    waiting = case_make(resident=resident, status="awaiting_resident", title="Waiting one")
    client.force_login(resident)
    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    text = response.text
    assert text.index("Waiting one") < text.index("Closed one")
    assert "Waiting for your reply" in text
    assert waiting.reference in text and closed.reference in text
    assert "New update" in text


def test_viewing_a_case_clears_its_unread_marker_and_records_a_case_view(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    assert case.has_unread
    client.force_login(resident)
    response = client.get(reverse("cases:detail", kwargs={"reference": case.reference}))
    assert response.status_code == 200
    case.refresh_from_db()
    assert not case.has_unread
    view = Interaction.objects.get(type="case_view")
    assert view.case_reference == case.reference
    assert view.user_id == resident.pk


def test_internal_notes_never_show_to_the_resident(client):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    case = case_make(resident=resident, team=team, status="in_progress")
    from portal.cases.services import case_note_add

    case_note_add(case=case, actor=officer, message="Secret staff note")
    client.force_login(resident)
    response = client.get(reverse("cases:detail", kwargs={"reference": case.reference}))
    assert "Secret staff note" not in response.text


def test_the_resident_replies_with_a_file_and_the_case_moves_on(web):
    team = team_make()
    resident = UserFactory()
    case = case_make(resident=resident, team=team, status="awaiting_resident")
    web.force_login(resident)
    response = web.post(
        reverse("cases:message", kwargs={"reference": case.reference}),
        {"message": "Here is the photo", "files": [_png()]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.content_type == "image/png"
    assert attachment.event.message == "Here is the photo"
    download = web.get(reverse("cases:attachment", kwargs={"reference": case.reference, "pk": attachment.pk}))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG


def test_a_file_that_is_not_what_it_claims_is_refused_and_the_message_kept(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="awaiting_resident")
    client.force_login(resident)
    fake = SimpleUploadedFile("photo.png", b"MZ this is an exe", content_type="image/png")
    response = client.post(
        reverse("cases:message", kwargs={"reference": case.reference}),
        {"message": "My typed words", "files": [fake]},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "My typed words" in response.text
    assert not CaseAttachment.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RESIDENT


def test_an_empty_message_is_an_error(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    client.force_login(resident)
    response = client.post(reverse("cases:message", kwargs={"reference": case.reference}), {"message": " "})
    assert "Enter your message" in response.text


def test_withdraw_needs_the_confirmation_page(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="submitted")
    client.force_login(resident)
    url = reverse("cases:withdraw", kwargs={"reference": case.reference})
    assert "Are you sure" in client.get(url).text
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert client.post(url, {"reason": "Fixed itself"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_withdraw_is_not_offered_once_work_has_started(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    client.force_login(resident)
    response = client.post(reverse("cases:withdraw", kwargs={"reference": case.reference}))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_reopen_needs_a_reason_and_works_within_the_limit(client, settings):
    resident = UserFactory()
    case = case_make(resident=resident, status="resolved")
    client.force_login(resident)
    url = reverse("cases:reopen", kwargs={"reference": case.reference})
    response = client.post(url, {"reason": ""})
    assert "Enter what was not fixed" in response.text
    response = client.post(url, {"reason": "Bin still not emptied"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.reopened_count == 1


def test_reopen_is_refused_after_the_limit(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from portal.cases.models import Case

    settings.CASE_REOPEN_DAYS = 5
    resident = UserFactory()
    case = case_make(resident=resident, status="resolved")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=6))
    client.force_login(resident)
    client.post(reverse("cases:reopen", kwargs={"reference": case.reference}), {"reason": "Still broken"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_officer_messages_and_status_changes_are_emailed_to_the_resident(django_capture_on_commit_callbacks):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory(email="resident@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_make(resident=resident, team=team, status="in_progress")
    # The forms engine acknowledges a signed-in resident's submission; the case tells them it moved.
    assert [m.subject for m in mail.outbox] == [f"Your request {case.reference}: in progress"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_officer_message(case=case, actor=officer, message="We will come on Tuesday")
    assert len(mail.outbox) == 1
    assert "We will come on Tuesday" in mail.outbox[0].body
    assert case.reference in mail.outbox[0].subject
    event = CaseEvent.objects.get(case=case, type=EventType.OFFICER_MESSAGE)
    assert event.data["notify"] == "email"
    assert event.notifications.get().case_id == case.pk


def test_a_resident_who_prefers_post_gets_a_letter_not_an_email(django_capture_on_commit_callbacks):
    resident = UserFactory(
        full_name="Ann Other", contact_preference="post", address_line_1="1 High St", postcode="AB1 2CD"
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = case_make(resident=resident, status="in_progress")
    assert mail.outbox == []
    event = case.events.filter(type=EventType.STATUS_CHANGE).get()
    assert event.data["notify"] == "letter"
    letter = event.notifications.get()
    assert letter.channel == "letter"
    assert letter.address_lines[0] == "Ann Other" and letter.address_lines[-1] == "AB1 2CD"
    assert letter.subject == f"Your request {case.reference}: in progress"


def test_the_residents_own_message_is_not_emailed_back_to_them(django_capture_on_commit_callbacks, client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    mail.outbox.clear()
    from portal.cases.services import case_message_send

    with django_capture_on_commit_callbacks(execute=True):
        case_message_send(case=case, user=resident, message="Any news?")
    assert mail.outbox == []
    case.refresh_from_db()
    assert not case.has_unread


def test_anonymous_tracking_link_shows_the_public_timeline_only(client):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=None, contact_email="anon@example.org", team=team, status="in_progress")
    from portal.cases.services import case_note_add

    case_note_add(case=case, actor=officer, message="Internal only")
    case_officer_message(case=case, actor=officer, message="Public words")
    response = client.get(reverse("cases:track", kwargs={"token": case.tracking_token}))
    assert response.status_code == 200
    assert "Public words" in response.text
    assert "Internal only" not in response.text
    assert response["X-Robots-Tag"].startswith("noindex")
    assert client.get(reverse("cases:track", kwargs={"token": "x" * 32})).status_code == 404


def test_the_tracking_link_is_emailed_for_an_anonymous_request(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_make(resident=None, contact_email="anon@example.org")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Follow your request {case.reference} online"
    assert case.tracking_token in mail.outbox[0].body


def test_a_signed_in_residents_case_is_not_on_a_tracking_link(client):
    case = case_make()
    assert client.get(reverse("cases:track", kwargs={"token": case.tracking_token})).status_code == 404


def test_my_account_lists_open_cases_with_unread_markers(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress", title="Fix my bin")
    case_make(resident=resident, status="rejected", title="Old closed one")
    client.force_login(resident)
    response = client.get(reverse("my_account"))
    assert response.status_code == 200
    assert "Fix my bin" in response.text
    assert "Old closed one" not in response.text
    assert "New update" in response.text
    assert case.reference in response.text


def test_a_zip_bomb_named_docx_is_refused_by_name_and_the_message_kept(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="awaiting_resident")
    client.force_login(resident)
    bomb = SimpleUploadedFile("report.docx", docx_bomb(100 * MB), content_type="application/octet-stream")
    response = client.post(
        reverse("cases:message", kwargs={"reference": case.reference}),
        {"message": "My typed words", "files": [_png(), bomb]},
    )
    assert response.status_code == 200
    assert "report.docx is too big once it is opened" in response.text
    assert "My typed words" in response.text
    assert not CaseAttachment.objects.exists()
