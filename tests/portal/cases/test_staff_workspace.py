"""Staff work cases in the Wagtail admin: who sees what, the queue, bulk actions and the case view."""

import pytest

from django.contrib.auth.models import Group
from django.core import mail

from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import Case, CaseEvent
from portal.cases.permissions import cases_visible_to_staff, staff_can_view_case
from portal.interactions.models import Interaction
from tests.accounts.factories import StaffFactory, UserFactory
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make
from tests.portal.notifications.factories import notification_retries_run

pytestmark = pytest.mark.django_db

QUEUE = "/admin/cases/"


def case_url(case, suffix=""):
    return f"/admin/cases/{case.pk}/{suffix}"


@pytest.fixture
def waste():
    return team_make("Waste", "waste@council.example")


@pytest.fixture
def roads():
    return team_make("Roads", "roads@council.example")


def test_officers_see_their_teams_cases_and_their_own_assignments(waste, roads):
    officer = officer_in(waste)
    mine = case_make(team=waste)
    theirs = case_make(team=roads)
    assigned = case_make(team=roads)
    Case.objects.filter(pk=assigned.pk).update(assignee=officer)
    assigned.refresh_from_db()
    assert set(cases_visible_to_staff(officer)) == {mine, assigned}
    assert staff_can_view_case(officer, mine)
    assert not staff_can_view_case(officer, theirs)
    assert staff_can_view_case(officer, assigned)


def test_service_managers_see_every_case_and_editors_none(waste, roads):
    cases = {case_make(team=waste), case_make(team=roads), case_make()}
    manager = staff_in("Service managers")
    editor = staff_in("Editors")
    assert set(cases_visible_to_staff(manager)) == cases
    assert list(cases_visible_to_staff(editor)) == []
    assert not any(staff_can_view_case(editor, case) for case in cases)
    assert list(cases_visible_to_staff(UserFactory())) == []


def test_an_officer_outside_the_team_is_refused_the_case_and_its_files(client, waste, roads):
    outsider = officer_in(roads)
    case = case_make(team=waste)
    client.force_login(outsider)
    assert client.get(case_url(case)).status_code == 404
    assert client.post(case_url(case), {"action": "assign_me"}).status_code == 404
    assert client.get(case_url(case, "contact/")).status_code == 404
    case.refresh_from_db()
    assert case.assignee is None


def test_editors_cannot_open_the_queue_or_a_case(client, waste):
    editor = staff_in("Editors")
    case = case_make(team=waste)
    client.force_login(editor)
    assert client.get(QUEUE).status_code in (302, 403)
    assert client.get(case_url(case)).status_code == 404
    response = client.get("/admin/")
    assert 'href="/admin/cases/"' not in response.text


def test_the_queue_filters_searches_and_marks_overdue(client, waste, roads):
    officer = officer_in(waste)
    manager = staff_in("Service managers")
    overdue = case_make(team=waste, title="Late bin")
    Case.objects.filter(pk=overdue.pk).update(due_on="2020-01-06")
    other = case_make(team=roads, title="Road hole", service_code=557)
    client.force_login(manager)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "Late bin" in response.text and "Road hole" in response.text
    assert "Overdue" in response.text
    assert "Road hole" not in client.get(QUEUE, {"team": waste.pk}).text
    assert "Late bin" not in client.get(QUEUE, {"service": 557}).text
    only_overdue = client.get(QUEUE, {"due": "overdue"}).text
    assert "Late bin" in only_overdue and "Road hole" not in only_overdue
    assert "Late bin" not in client.get(QUEUE, {"q": other.reference}).text
    assert "Late bin" in client.get(QUEUE, {"q": overdue.resident.email.upper()}).text

    client.force_login(officer)
    text = client.get(QUEUE).text
    assert "Late bin" in text and "Road hole" not in text


def test_the_queue_paginates(client, waste):
    manager = staff_in("Service managers")
    for _ in range(52):
        case_make(team=waste, sla=None)
    client.force_login(manager)
    first = client.get(QUEUE)
    assert "page 1 of 2" in first.text
    last = client.get(QUEUE, {"p": "last"})
    assert "page 2 of 2" in last.text


def test_bulk_assign_and_bulk_status_report_each_refusal(web, waste):
    manager = staff_in("Service managers")
    officer = officer_in(waste)
    a, b = case_make(team=waste), case_make(team=waste)
    closed = case_make(team=waste, status="rejected")
    web.force_login(manager)
    response = web.post(
        QUEUE, {"action": "assign", "assignee": officer.pk, "cases": [a.pk, b.pk]}, follow=True
    )
    assert "Assigned 2 cases" in response.text
    assert set(Case.objects.filter(assignee=officer)) == {a, b}

    response = web.post(
        QUEUE, {"action": "status", "to": "in_progress", "cases": [a.pk, closed.pk]}, follow=True
    )
    assert "Changed the status of 1 case" in response.text
    assert f"{closed.reference}: A case that is rejected cannot be moved" in response.text
    a.refresh_from_db()
    assert a.status == CaseStatus.IN_PROGRESS


def test_bulk_actions_need_a_choice_and_cases(client, waste):
    manager = staff_in("Service managers")
    client.force_login(manager)
    response = client.post(QUEUE, {"action": "assign"})
    assert "Select at least one case" in response.text
    assert "Choose an officer or a team" in response.text


def test_the_case_view_offers_only_allowed_moves_and_requires_a_message(web, waste):
    officer = officer_in(waste)
    case = case_make(team=waste, status="in_progress")
    web.force_login(officer)
    page = web.get(case_url(case)).text
    assert 'value="awaiting_resident"' in page and 'value="resolved"' in page
    assert 'value="withdrawn"' not in page and 'value="submitted"' not in page
    response = web.post(case_url(case), {"action": "status", "to": "awaiting_resident", "message": ""})
    assert response.status_code == 200
    assert "Enter a message to the resident" in response.text
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    response = web.post(
        case_url(case), {"action": "status", "to": "awaiting_resident", "message": "Send a photo please"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RESIDENT
    assert mail.outbox[-1].subject.endswith("waiting for your reply")


def test_assign_note_and_message_from_the_case_view(web, waste):
    officer = officer_in(waste)
    case = case_make(team=waste)
    web.force_login(officer)
    web.post(case_url(case), {"action": "assign_me"})
    web.post(case_url(case), {"action": "note", "message": "Called the crew"})
    web.post(case_url(case), {"action": "message", "message": "Crew booked"})
    case.refresh_from_db()
    assert case.assignee == officer
    types = list(case.events.values_list("type", "public"))
    assert (EventType.ASSIGNMENT, False) in types
    assert (EventType.INTERNAL_NOTE, False) in types
    assert (EventType.OFFICER_MESSAGE, True) in types
    page = web.get(case_url(case)).text
    assert "Called the crew" in page and "Internal" in page
    assert "Messages to the resident" in page and "Delivered" in page


def test_a_failed_email_shows_on_the_case_and_does_not_block_the_change(web, waste, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.portal.cases.failing_mail.FailingBackend"}}
    officer = officer_in(waste)
    case = case_make(team=waste)
    web.force_login(officer)
    response = web.post(case_url(case), {"action": "status", "to": "in_progress"})
    assert response.status_code == 302
    notification_retries_run()  # each retry, once it is due (portal.lib.retry)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    page = web.get(case_url(case)).text
    assert "Technical failure" in page
    assert "case-failure" in page


def test_record_an_assisted_contact_against_the_case(client, waste):
    officer = officer_in(waste)
    case = case_make(team=waste)
    client.force_login(officer)
    assert client.get(case_url(case, "contact/")).status_code == 200
    response = client.post(
        case_url(case, "contact/"),
        {
            "channel": "phone",
            "service_code": "524",
            "reason_code": "8",
            "avoidable": "yes",
            "avoidable_category": "progress_chasing",
            "resolved_first_contact": "yes",
            "notes": "Asked for an update",
        },
    )
    assert response.status_code == 302, response.text[:3000]
    contact = Interaction.objects.get(type="assisted_contact")
    assert contact.case_reference == case.reference
    assert contact.user_id == case.resident_id
    event = CaseEvent.objects.get(case=case, type=EventType.ASSISTED_CONTACT)
    assert not event.public and event.data["interaction"] == contact.pk


def test_a_contact_whose_timeline_entry_fails_is_not_recorded_at_all(client, waste, monkeypatch):
    officer = officer_in(waste)
    case = case_make(team=waste)
    client.force_login(officer)

    def broken(**fields):
        raise RuntimeError("the timeline cannot be written")

    monkeypatch.setattr(CaseEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        client.post(
            case_url(case, "contact/"),
            {
                "channel": "phone",
                "service_code": "524",
                "reason_code": "8",
                "avoidable": "no",
                "resolved_first_contact": "yes",
                "notes": "Asked for an update",
            },
        )
    # One transaction: no contact in the log without its entry on the case.
    assert not Interaction.objects.filter(type="assisted_contact").exists()


def test_the_contact_form_shows_errors(client, waste):
    officer = officer_in(waste)
    case = case_make(team=waste)
    client.force_login(officer)
    response = client.post(case_url(case, "contact/"), {"channel": ""})
    assert "Choose how the resident contacted the council" in response.text


def test_staff_download_a_residents_attachment_only_when_they_see_the_case(client, waste, roads):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.cases.services import case_message_send

    resident = UserFactory()
    case = case_make(resident=resident, team=waste, status="awaiting_resident")
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
    upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
    case_message_send(case=case, user=resident, message="Here", files=[upload])
    attachment = case.attachments.get()
    url = case_url(case, f"files/{attachment.pk}/")
    client.force_login(officer_in(roads))
    assert client.get(url).status_code == 404
    client.force_login(officer_in(waste))
    assert client.get(url).status_code == 200


def test_team_admin_is_for_service_managers(client):
    manager = staff_in("Service managers")
    officer = staff_in("Case officers")
    client.force_login(manager)
    response = client.post(
        "/admin/case-teams/new/",
        {"name": "Parking", "email": "parking@council.example", "members": [officer.pk]},
    )
    assert response.status_code == 302, response.text[:2000]
    from portal.cases.models import Team

    assert list(Team.objects.get(name="Parking").members.all()) == [officer]
    client.force_login(officer)
    assert client.get("/admin/case-teams/new/").status_code in (302, 403)


def test_a_staff_member_without_case_permission_cannot_act(client, waste):
    group = Group.objects.create(name="Case readers")
    from django.contrib.auth.models import Permission

    group.permissions.add(Permission.objects.get(codename="access_admin"))
    reader = StaffFactory()
    reader.groups.add(group)
    case = case_make(team=waste)
    client.force_login(reader)
    assert client.get(case_url(case)).status_code == 404


def test_the_admin_home_shows_a_case_workers_cases_not_page_counts(client, waste):
    """Officers land on their own workload: open cases assigned to them, overdue and due soon,
    each linking to the queue filtered to the same cases; no page counts for non-editors."""
    officer = officer_in(waste)
    mine = case_make(team=waste)
    Case.objects.filter(pk=mine.pk).update(assignee=officer)
    overdue = case_make(team=waste)
    Case.objects.filter(pk=overdue.pk).update(due_on="2020-01-06")
    case_make(team=waste)  # due in 10 working days: neither overdue nor due soon
    resolved = case_make(team=waste, status="resolved")
    Case.objects.filter(pk=resolved.pk).update(assignee=officer, due_on="2020-01-06")
    case_make(team=team_make("Roads", "roads@council.example"))  # not the officer's team
    Case.objects.filter(team__name="Roads").update(due_on="2020-01-06")

    client.force_login(officer)
    response = client.get("/admin/")
    assert response.status_code == 200
    page = " ".join(response.text.split())
    assert "Your cases" in page
    assert '<a href="/admin/cases/?assignee=me"><strong>1</strong> case assigned to you and open</a>' in page
    assert '<a href="/admin/cases/?due=overdue"><strong>1</strong> case overdue</a>' in page
    assert '<a href="/admin/cases/?due=soon"><strong>0</strong> cases due within 2 working days</a>' in page
    assert "w-summary__list" not in response.text  # no page, image or document counts
    # The links lead to the same cases.
    assert overdue.reference in client.get(QUEUE, {"due": "overdue"}).text
    assert mine.reference in client.get(QUEUE, {"assignee": "me"}).text


def test_editors_keep_the_page_counts_and_get_no_case_panel(client):
    editor = staff_in("Editors")
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Your cases" not in response.text
    assert "w-summary__list" in response.text
