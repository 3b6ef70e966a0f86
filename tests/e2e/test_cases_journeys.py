"""Cases in the browser: an officer works a resident's request from the queue, the resident
answers with a file, sees the resolution and reopens it; the officer filters and bulk-assigns."""

import re
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group

from forms_engine.models import Draft
from forms_engine.services import draft_create, form_version_current, submission_create
from portal.cases.models import Case, CaseAttachment
from tests.accounts.factories import StaffFactory, UserFactory
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make, team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    assert journey.path().startswith(next_path.split("?")[0]), journey.path()
    journey.check()


def _officer(team, name="Olu Officer"):
    officer = StaffFactory(full_name=name)
    officer.groups.add(Group.objects.get(name="Case officers"))
    team.members.add(officer)
    return officer


def _submitted_case(resident, team) -> Case:
    """A request sent through the forms engine, as a resident's submit does."""
    form = missed_bin_form(team=team, sla_working_days=5, sign_in="optional")
    draft = draft_create(version=form_version_current(form=form), user=resident)
    Draft.objects.filter(pk=draft.pk).update(
        answers={
            "bin_type": "Recycling",
            "address": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"},
            "collection_date": "2026-01-05",
        }
    )
    return submission_create(draft=Draft.objects.get(pk=draft.pk)).case


def _click(journey, role, name):
    journey.click_and_check(journey.page.get_by_role(role, name=name).first)


def _change_status(journey, label, message=""):
    page = journey.page
    page.locator("#status-form").get_by_label(label, exact=True).check()
    if message:
        page.locator("#status-form textarea[name=message]").fill(message)
    journey.click_and_check(page.locator("#status-form").get_by_role("button", name="Change status"))


def test_an_officer_asks_for_more_information_and_the_resident_replies_with_a_file_then_reopens(journey):
    team = team_make("Waste", "waste@council.example")
    officer = _officer(team)
    resident = UserFactory(full_name="Rae Resident")
    case = _submitted_case(resident, team)
    page = journey.page

    # The officer picks it up from the queue and asks for a photo.
    _sign_in(journey, officer, "/admin/cases/")
    assert page.get_by_role("link", name=case.reference).is_visible()
    _click(journey, "link", case.reference)
    assert page.get_by_text("Which bin was missed?").first.is_visible()  # the resident's answers
    _click(journey, "button", "Assign to me")
    _change_status(journey, "In progress")
    _change_status(journey, "Awaiting resident")
    assert page.get_by_text("Enter a message to the resident").first.is_visible()
    _change_status(journey, "Awaiting resident", "Please send a photo of the bin.")
    case.refresh_from_db()
    assert case.status == "awaiting_resident" and case.assignee == officer

    # The resident sees the update in My account and replies with a photo.
    _sign_in(journey, resident, "/my-account/")
    assert page.get_by_text("New update").first.is_visible()
    _click(journey, "link", "Report a missed bin")
    assert page.get_by_text("Please send a photo of the bin.").is_visible()
    page.get_by_label("Your message").fill("Here it is.")
    page.get_by_label("Attach files (optional)").set_input_files(
        files=[{"name": "bin.png", "mimeType": "image/png", "buffer": PNG}]
    )
    _click(journey, "button", "Send reply")
    assert page.get_by_text("Your reply has been sent").is_visible()
    assert page.get_by_role("link", name="bin.png").is_visible()
    case.refresh_from_db()
    assert case.status == "in_progress"
    attachment = CaseAttachment.objects.get(case=case)

    # The officer sees the file and resolves the case.
    _sign_in(journey, officer, f"/admin/cases/{case.pk}/")
    assert page.locator(f"a[href$='/files/{attachment.pk}/']").first.is_visible()
    _change_status(journey, "Resolved", "We emptied the bin on Tuesday.")

    # The resident sees the resolution first, and reopens it from the case page: it was not fixed.
    _sign_in(journey, resident, f"/my-account/cases/{case.reference}/")
    assert page.get_by_text("We emptied the bin on Tuesday.").first.is_visible()
    assert page.get_by_role("heading", name="Not fixed? Reopen your request").is_visible()
    _click(journey, "button", "Reopen request")
    assert page.get_by_text("Enter what was not fixed").first.is_visible()
    assert journey.page.title().startswith("Error:")
    page.get_by_label("What was not fixed?").fill("The recycling is still there.")
    _click(journey, "button", "Reopen request")
    assert page.get_by_text(re.compile("You have reopened request")).is_visible()
    case.refresh_from_db()
    assert case.status == "in_progress" and case.reopened_count == 1


def test_the_officer_filters_the_queue_and_assigns_in_bulk(journey):
    waste = team_make("Waste", "waste@council.example")
    roads = team_make("Roads", "roads@council.example")
    manager = StaffFactory(full_name="Mo Manager")
    manager.groups.add(Group.objects.get(name="Service managers"))
    colleague = _officer(waste, "Cal Colleague")
    bins = [case_make(team=waste, title=f"Missed bin {n}") for n in range(3)]
    hole = case_make(team=roads, title="Pothole on the high street", service_code=557)
    Case.objects.filter(pk=bins[0].pk).update(due_on="2020-01-06")
    page = journey.page

    # The admin home leads with the workload: one case is overdue.
    _sign_in(journey, manager, "/admin/")
    _click(journey, "link", re.compile(r"^1 case overdue"))
    assert journey.path() == "/admin/cases/?due=overdue"
    assert page.get_by_role("link", name=bins[0].reference).is_visible()
    assert not page.get_by_role("link", name=bins[1].reference).count()
    journey.goto("/admin/cases/")
    assert page.locator(".case-overdue-tag").first.is_visible()
    page.get_by_label("Team").first.select_option(label="Waste")
    _click(journey, "button", "Apply filters")
    assert "team=" in journey.path()
    assert not page.get_by_text("Pothole on the high street").is_visible()
    for case in bins[:2]:
        page.get_by_label(f"Select {case.reference}").check()
    page.get_by_label("Assign", exact=True).check()
    page.locator("#bulk-assignee").select_option(label="Cal Colleague")
    _click(journey, "button", "Apply to selected cases")
    assert page.get_by_text(re.compile("Assigned 2 cases")).is_visible(), page.locator("main").inner_text()[
        :3000
    ]
    assert set(Case.objects.filter(assignee=colleague)) == set(bins[:2])
    assert hole.assignee is None


def test_an_anonymous_requester_replies_from_the_tracking_link_then_adds_the_request_to_an_account(journey):
    team = team_make("Waste", "waste@council.example")
    case = case_make(contact_email="rae@example.com", team=team, status="awaiting_resident")
    page = journey.page

    # The tracking link from the email: the resident replies without an account.
    journey.goto(f"/track/{case.tracking_token}/")
    _click(journey, "button", "Send reply")
    assert page.get_by_text("Enter your message").first.is_visible()
    page.get_by_label("Your message").fill("The bin is the green one by the gate.")
    _click(journey, "button", "Send reply")
    assert page.get_by_text("Your reply has been sent").is_visible()
    case.refresh_from_db()
    assert case.status == "in_progress"

    # Later they sign up with the same (verified) email: My account offers to add the request.
    resident = UserFactory(email="rae@example.com", full_name="Rae Resident")
    _sign_in(journey, resident, "/my-account/")
    assert page.get_by_text("We found 1 request made with your email address").is_visible()
    _click(journey, "link", "Add it to your account")
    assert page.get_by_role("heading", name="We found 1 request made with your email address").is_visible()
    _click(journey, "button", "Add it to my account")
    assert page.get_by_text("1 request added to your account").is_visible()
    case.refresh_from_db()
    assert case.resident == resident
    _click(journey, "link", case.title)
    assert page.get_by_text("The bin is the green one by the gate.").is_visible()


def test_a_rejected_request_leads_with_the_reason_and_the_resident_asks_for_a_review(journey):
    resident = UserFactory(full_name="Rae Resident")
    case = case_make(resident=resident, status="rejected")
    Case.objects.filter(pk=case.pk).update(outcome="This road is privately owned.")
    page = journey.page
    _sign_in(journey, resident, f"/my-account/cases/{case.reference}/")
    assert page.get_by_role("heading", name="We closed your request without taking action").is_visible()
    page.get_by_label("Why should we look at this again?").fill("The council adopted it last year.")
    _click(journey, "button", "Ask for a review")
    assert page.get_by_text(re.compile("You have asked for a review")).is_visible()
    case.refresh_from_db()
    assert case.status == "in_progress"
