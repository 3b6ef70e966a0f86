"""The resident's list, the case page and the staff queue cost the same number of queries
whatever the number of cases and events."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.cases.services import case_message_send, case_note_add, case_officer_message
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    client.get(url)  # warm the per-process caches (site settings, menus) first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _busy_case(resident, team, officer, messages: int):
    case = case_make(resident=resident, team=team, status="in_progress")
    for n in range(messages):
        case_officer_message(case=case, actor=officer, message=f"Officer {n}")
        case_note_add(case=case, actor=officer, message=f"Note {n}")
        case_message_send(case=case, user=resident, message=f"Resident {n}")
    return case


def test_resident_case_list_and_my_account(client):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    client.force_login(resident)
    _busy_case(resident, team, officer, 1)
    urls = [reverse("cases:list"), reverse("my_account")]
    few = [_queries(client, url) for url in urls]
    for _ in range(6):
        _busy_case(resident, team, officer, 2)
    case_make(resident=resident, status="resolved")
    assert [_queries(client, url) for url in urls] == few


def test_resident_case_page(client):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    client.force_login(resident)
    small = _busy_case(resident, team, officer, 1)
    big = _busy_case(resident, team, officer, 8)
    from django.core.files.uploadedfile import SimpleUploadedFile

    for case in (small, big):
        upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
        upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
        case_message_send(case=case, user=resident, message="File", files=[upload])
    detail = lambda case: reverse("cases:detail", kwargs={"reference": case.reference})  # noqa: E731
    assert _queries(client, detail(small)) == _queries(client, detail(big))


def test_staff_queue_and_case_view(client):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    client.force_login(staff_in("Service managers"))
    small = _busy_case(resident, team, officer, 1)
    queue = "/admin/cases/"
    few = _queries(client, queue)
    big = _busy_case(resident, team, officer, 8)
    for n in range(8):
        case_make(team=team_make(f"Team {n}", f"t{n}@council.example"))
    assert _queries(client, queue) == few
    assert _queries(client, f"/admin/cases/{small.pk}/") == _queries(client, f"/admin/cases/{big.pk}/")

    client.force_login(officer)
    filtered = queue + "?status=in_progress&sort=-due"
    before = _queries(client, filtered)
    for _ in range(5):
        case_make(team=team, status="in_progress")
    assert _queries(client, filtered) == before
