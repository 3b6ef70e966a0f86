"""A service manager reads Contact insights in the browser; every page passes axe-core."""

import os
from datetime import date, datetime, time

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record, interaction_record
from tests.accounts.factories import StaffFactory
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAY = date(2026, 3, 10)


def _events():
    officer = StaffFactory()
    when = timezone.make_aware(datetime.combine(DAY, time(12)))
    for avoidable, category in (
        (True, "progress_chasing"),
        (False, ""),
        (False, ""),
        (True, "clarification"),
    ):
        assisted_contact_record(
            staff=officer,
            channel=Channel.PHONE,
            service_code=524,
            reason_code="enquiry",
            avoidable=avoidable,
            avoidable_category=category,
            resolved_first_contact=True,
            occurred_at=when,
        )
    for kind in (InteractionType.FORM_START, InteractionType.FORM_START, InteractionType.FORM_SUBMIT):
        interaction_record(type=kind, journey="bulky-waste", service_code=524, occurred_at=when)
    interaction_record(type=InteractionType.PAGE_VIEW, service_code=524, occurred_at=when)
    rollup_build_day(day=DAY)


def test_a_service_manager_reads_and_downloads_contact_insights(journey):
    _events()
    manager = StaffFactory()
    manager.groups.add(Group.objects.get(name="Service managers"))
    page = journey.page
    page.goto(journey.base_url + "/accounts/login/?next=/admin/contact-insights/")
    sign_in(journey, manager, check=False)

    journey.goto("/admin/contact-insights/?start=2026-03-10&end=2026-03-10")
    assert page.get_by_role("heading", level=1, name="Contact insights").is_visible()
    journey.goto("/admin/form-statistics/")  # Reports > Form statistics, axe-checked
    assert page.get_by_role("heading", level=1, name="Form statistics").is_visible()
    journey.goto("/admin/contact-insights/?start=2026-03-10&end=2026-03-10")
    assert page.get_by_role(
        "img", name="Avoidable contacts by category: Progress chasing 25.0% (1 of 4)"
    ).count()
    assert "50.0%" in page.locator(".ci-card").first.inner_text()
    if os.environ.get("CONTACT_INSIGHTS_SCREENSHOT"):
        page.set_viewport_size({"width": 1280, "height": 7000})
        page.screenshot(path=os.environ["CONTACT_INSIGHTS_SCREENSHOT"], full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    assert download.value.suggested_filename == "contact-insights_2026-03-10_to_2026-03-10_all-services.csv"

    # every figure's one definition, a link away (axe-checked)
    page.get_by_role("link", name="How these figures are worked out").click()
    page.wait_for_url("**/contact-insights/definitions/")
    journey.check()
    assert page.get_by_role("heading", level=1, name="How these figures are worked out").is_visible()
    assert page.get_by_role("rowheader", name="Failed web contact (behavioural)").is_visible()
    page.go_back()

    page.get_by_role("link", name="Household waste - collection (524)").click()
    page.wait_for_url("**service=524**")
    journey.check()

    page.get_by_role("textbox", name="End date").fill("2026-03-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Show figures").click()
    journey.check()
    assert page.get_by_role(
        "link", name="The end date must be the same as or after the start date"
    ).is_visible()
