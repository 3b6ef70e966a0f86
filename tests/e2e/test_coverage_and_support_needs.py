"""In the browser, with axe-core on every page: an officer records a caller's support needs on
a case and finds it with the queue's filter; a service manager reads self-service coverage."""

from datetime import date, datetime, time
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import SupportNeeds
from cms.models import HomePage, ServiceIndexPage, ServicePage
from portal.interactions.constants import Channel
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record
from tests.accounts.factories import StaffFactory, UserFactory
from tests.cms.factories import publish
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import form_build, question, step
from tests.portal.cases.factories import case_make, team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAY = date(2026, 3, 10)


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    journey.check()


def test_an_officer_records_support_needs_and_filters_the_queue(journey):
    team = team_make()
    officer = StaffFactory(full_name="Olu Officer")
    officer.groups.add(Group.objects.get(name="Case officers"))
    team.members.add(officer)
    resident = UserFactory(full_name="Ada Resident")
    case = case_make(resident=resident, team=team)
    other = case_make(team=team)
    page = journey.page

    _sign_in(journey, officer, f"/admin/cases/{case.pk}/")
    assert page.get_by_text("No extra support recorded for this resident").is_visible()
    journey.click_and_check(page.get_by_role("link", name="Record support needs"))

    page.get_by_role("checkbox", name="An interpreter").check()
    page.get_by_label("Details (optional)").fill("Her son joins calls")
    journey.click_and_check(page.get_by_role("button", name="Save support needs"))
    assert page.title().startswith("Error:")
    assert page.get_by_label("Details (optional)").input_value() == "Her son joins calls"
    page.get_by_role("link", name="Enter the language they need an interpreter for").click()
    page.get_by_label("If they need an interpreter, which language?").fill("Polish")
    journey.click_and_check(page.get_by_role("button", name="Save support needs"))

    assert page.locator(".case-support-tag").first.is_visible()
    assert page.get_by_role("link", name="An interpreter (Polish)").is_visible()
    assert page.get_by_text("Recorded by Olu Officer").is_visible()
    record = SupportNeeds.objects.get(user=resident)
    assert record.needs == ["interpreter"] and record.recorded_by == officer

    journey.goto("/admin/cases/")
    page.get_by_label("Extra support").select_option("yes")
    journey.click_and_check(page.get_by_role("button", name="Apply filters"))
    assert page.get_by_role("link", name=case.reference).is_visible()
    assert page.get_by_role("link", name=other.reference).count() == 0


def test_a_service_manager_reads_self_service_coverage(journey):
    home = HomePage.objects.get()
    services = publish(home, ServiceIndexPage(title="Services", slug="services"))
    form = form_build(slug="bulky", steps=[step("Items", question("text", "items"))])
    publish(services, ServicePage(title="Bulky waste", slug="bulky", service_id=528, start_form=form))
    potholes = publish(services, ServicePage(title="Report a pothole", slug="potholes", service_id=557))
    publish(
        services,
        ServicePage(
            title="Fly-tipping",
            slug="fly-tipping",
            service_id=587,
            not_suitable_online=True,
            not_suitable_online_reason="Officers inspect the site",
        ),
    )
    officer = StaffFactory()
    for _ in range(3):
        assisted_contact_record(
            staff=officer,
            channel=Channel.PHONE,
            service_code=557,
            reason_code="enquiry",
            avoidable=False,
            avoidable_category="",
            resolved_first_contact=True,
            occurred_at=timezone.make_aware(datetime.combine(DAY, time(12))),
        )
    rollup_build_day(day=DAY)
    manager = StaffFactory()
    manager.groups.add(Group.objects.get(name="Service managers"), Group.objects.get(name="Editors"))
    page = journey.page

    _sign_in(journey, manager, "/admin/contact-insights/")
    journey.goto("/admin/contact-insights/?start=2026-03-10&end=2026-03-10")
    assert page.get_by_role("heading", level=2, name="Self-service coverage").is_visible()
    backlog = page.get_by_role(
        "table", name="Services with no online route, by assisted contacts, 10 March 2026"
    )
    assert "Potholes" in backlog.inner_text() and "3" in backlog.inner_text()
    page.get_by_text("Services online in the portal (1)").click()
    assert page.get_by_role(
        "table", name="Services residents can complete with a form in the portal"
    ).is_visible()
    journey.check()
    with page.expect_navigation():
        backlog.get_by_role("link", name="Report a pothole").click()
    assert journey.path() == f"/admin/pages/{potholes.pk}/edit/"
    assert page.get_by_role("checkbox", name="Not suitable for online").count() == 1
