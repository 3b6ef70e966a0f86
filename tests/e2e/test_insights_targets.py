"""A service manager sets a target, sees it on Contact insights in words, and takes the
committee report and its CSV pack; every page passes axe-core."""

import csv
import io
import os
import zipfile
from datetime import date, datetime, time

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.insights.models import MeasureTarget
from portal.interactions.constants import Channel
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record
from tests.accounts.factories import StaffFactory
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAY = date(2026, 11, 10)


def _contacts():
    """10 November 2026, household waste: 4 phone calls, 1 avoidable (25.0%)."""
    officer = StaffFactory()
    when = timezone.make_aware(datetime.combine(DAY, time(12)))
    for n in range(4):
        assisted_contact_record(
            staff=officer,
            channel=Channel.PHONE,
            service_code=524,
            reason_code="enquiry",
            avoidable=n == 0,
            avoidable_category="progress_chasing" if n == 0 else "",
            resolved_first_contact=True,
            occurred_at=when,
        )
    rollup_build_day(day=DAY)


def test_a_service_manager_sets_a_target_and_takes_the_committee_report(journey):
    _contacts()
    manager = StaffFactory()
    manager.groups.add(Group.objects.get(name="Service managers"))
    page = journey.page
    page.goto(journey.base_url + "/accounts/login/?next=/admin/contact-insights/targets/")
    sign_in(journey, manager, check=False)

    # Set a target: a wrong one first, then the right one.
    journey.goto("/admin/contact-insights/targets/new/")
    page.locator("#id_measure").select_option(label="Avoidable contact")
    page.locator("#id_target").fill("120")
    page.locator("#id_amber_margin").fill("5")
    journey.click_and_check(page.get_by_role("button", name="Create"))
    assert page.get_by_text("A percentage target must be between 0 and 100").is_visible()
    page.locator("#id_target").fill("20")
    journey.click_and_check(page.get_by_role("button", name="Create"))
    assert MeasureTarget.objects.get().target == 20
    assert page.get_by_text("20.0% or less").first.is_visible()

    # The dashboard: the status in words, and the trend.
    journey.goto("/admin/contact-insights/?start=2026-11-01&end=2026-11-30")
    card = page.locator(".ci-card").filter(has=page.get_by_role("heading", name="Avoidable contact"))
    assert "Near target: 25.0% against a target of 20.0% or less" in card.inner_text()
    assert "Trend: No data for the previous 30 days" in card.inner_text()

    if os.environ.get("COMMITTEE_REPORT_SCREENSHOT"):
        page.screenshot(path=os.environ["COMMITTEE_REPORT_SCREENSHOT"].replace(".png", "-dashboard.png"))

    # The committee report for the same period.
    journey.click_and_check(page.get_by_role("link", name="Committee report for this period"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Channel shift and customer contact")
    headline = page.locator("section").filter(
        has=page.get_by_role("heading", name="Headline measures against targets")
    )
    assert "Near target: 25.0% against a target of 20.0% or less" in headline.inner_text()
    trend_rows = page.get_by_role("table", name="Headline measures by month").locator("tbody tr")
    assert trend_rows.count() == 12
    assert "25.0% (1 of 4)" in trend_rows.last.inner_text()

    if os.environ.get("COMMITTEE_REPORT_SCREENSHOT"):
        page.set_viewport_size({"width": 1280, "height": 3000})
        page.screenshot(path=os.environ["COMMITTEE_REPORT_SCREENSHOT"], full_page=True)
        page.emulate_media(media="print")
        page.screenshot(
            path=os.environ["COMMITTEE_REPORT_SCREENSHOT"].replace(".png", "-print.png"), full_page=True
        )
        page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV pack (zip)").click()
    assert (
        download.value.suggested_filename == "channel-shift-report_2026-11-01_to_2026-11-30_all-services.zip"
    )
    with zipfile.ZipFile(download.value.path()) as pack:
        assert set(pack.namelist()) == {
            "headline.csv",
            "trend.csv",
            "avoidable_services.csv",
            "coverage.csv",
            "satisfaction.csv",
        }
        headline = list(csv.reader(io.StringIO(pack.read("headline.csv").decode("utf-8-sig"))))
    assert headline[0][:5] == ["measure", "value", "numerator", "denominator", "unit"]
    assert ["Avoidable contact", "25.0", "1", "4", "%"] in [row[:5] for row in headline]
