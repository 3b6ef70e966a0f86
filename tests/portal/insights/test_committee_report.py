"""The monthly "Channel shift and customer contact" report and its CSV pack.

Rollups are written directly (``DailyRollup`` rows); every figure is compared with what the
dashboard computes for the same period and service, and with hand-counted values.
"""

import csv
import html
import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.insights.dashboard import insights
from portal.insights.measures import measures_for
from portal.insights.models import MeasureTarget
from portal.insights.report import committee_report, last_full_month, trend_months
from portal.interactions.models import LgslService
from tests.accounts.factories import StaffFactory
from tests.portal.interactions.factories import rollup_make as rollup

pytestmark = pytest.mark.django_db

URL = "/admin/contact-insights/report/"
NOV = (date(2026, 11, 1), date(2026, 11, 30))
WASTE, POTHOLES = 524, 557
HEADLINE = ("avoidable", "failed_web", "digital", "completion", "fcr", "repeat")


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def manager(client):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Service managers"))
    client.force_login(user)
    return user


@pytest.fixture
def november():
    """November 2026: waste 12 assisted contacts (3 avoidable, 9 resolved first time, 2
    repeats); potholes 4 (4 avoidable). Transactions: 6 web, 2 phone. Satisfaction: 3 very
    satisfied, 1 satisfied, 1 dissatisfied. October: waste 10 assisted, 5 avoidable."""
    d = date(2026, 11, 5)
    rollup(d, "assisted_contacts", 12)
    rollup(d, "avoidable_contacts", 3, key="progress_chasing")
    rollup(d, "resolved_first_contact", 9)
    rollup(d, "repeat_contacts", 2)
    rollup(date(2026, 11, 30), "assisted_contacts", 4, service=POTHOLES)
    rollup(date(2026, 11, 30), "avoidable_contacts", 4, service=POTHOLES, key="clarification")
    rollup(d, "transactions", 6, channel="web")
    rollup(d, "transactions", 2, channel="phone")
    rollup(d, "satisfaction", 3, channel="web", key="5")
    rollup(d, "satisfaction", 1, channel="web", key="4")
    rollup(d, "satisfaction", 1, channel="web", key="2")
    rollup(date(2026, 10, 31), "assisted_contacts", 10)
    rollup(date(2026, 10, 31), "avoidable_contacts", 5, key="progress_chasing")
    rollup(date(2026, 12, 1), "assisted_contacts", 100)  # after the period: never counted


def test_the_report_has_the_dashboards_figures_and_the_hand_counted_ones(client, manager, november):
    MeasureTarget.objects.create(measure="avoidable", target=Decimal("30"), amber_margin=Decimal("5"))
    response = client.get(URL, {"month": "2026-11"})
    assert response.status_code == 200
    page = text(response)
    dashboard = insights(measures_for(start=NOV[0], end=NOV[1]))
    for key in HEADLINE:
        assert dashboard["headline"][key].full in page
    # Hand counted: avoidable 7 of 16 = 43.8%; FCR 9 of 16 = 56.3%; repeat 2 of 16 = 12.5%;
    # digital 6 of 8 = 75.0%; satisfied 4 of 5 = 80.0%; net (4 − 1) / 5 = +60.0.
    for expected in (
        "43.8% (7 of 16)",
        "56.3% (9 of 16)",
        "12.5% (2 of 16)",
        "75.0% (6 of 8)",
        "80.0% (4 of 5)",
        "+60.0",
    ):
        assert expected in page
    assert "Off target: 43.8% against a target of 30.0% or less" in page
    # October: 5 of 10 = 50.0%, the 31 days before.
    assert "Down 6.2 points from 50.0% (previous 30 days)" in page
    assert "Channel shift and customer contact: 1 November 2026 to 30 November 2026" in page


def test_twelve_month_rows_ending_with_the_period(manager, november):
    report = committee_report(start=NOV[0], end=NOV[1])
    assert [row["label"] for row in report["trend"]] == [
        "December 2025", "January 2026", "February 2026", "March 2026", "April 2026", "May 2026",
        "June 2026", "July 2026", "August 2026", "September 2026", "October 2026", "November 2026",
    ]  # fmt: skip
    october, nov = report["trend"][-2], report["trend"][-1]
    assert october["figures"][0].full == "50.0% (5 of 10)"
    assert nov["figures"][0].full == "43.8% (7 of 16)"
    for row in report["trend"]:
        dashboard = insights(measures_for(start=row["start"], end=row["end"]))
        assert [f.full for f in row["figures"]] == [dashboard["headline"][k].full for k in HEADLINE]
    assert trend_months(date(2026, 3, 15))[-1] == (date(2026, 3, 1), date(2026, 3, 15))
    assert trend_months(date(2026, 3, 15))[0] == (date(2025, 4, 1), date(2025, 4, 30))


def test_top_ten_services_by_avoidable_contacts(manager):
    codes = list(LgslService.objects.order_by("code").values_list("code", flat=True)[:12])
    for n, code in enumerate(codes):
        # Service n: n + 1 avoidable of 20 assisted contacts.
        rollup(date(2026, 11, 2), "assisted_contacts", 20, service=code)
        rollup(date(2026, 11, 2), "avoidable_contacts", n + 1, service=code, key="other")
    report = committee_report(start=NOV[0], end=NOV[1])
    assert [r.code for r in report["services"]] == list(reversed(codes))[:10]
    top = report["services"][0]
    assert top.avoidable.full == "60.0% (12 of 20)"
    dashboard = insights(measures_for(start=NOV[0], end=NOV[1], service_code=top.code))
    assert top.avoidable.full == dashboard["headline"]["avoidable"].full


def _pack(client, **params) -> dict[str, list[list[str]]]:
    response = client.get(URL, {**params, "format": "zip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    files = {}
    with zipfile.ZipFile(io.BytesIO(response.content)) as pack:
        for name in pack.namelist():
            files[name] = list(csv.reader(io.StringIO(pack.read(name).decode("utf-8-sig"))))
    return files


def test_the_csv_pack(client, manager, november):
    response = client.get(URL, {"month": "2026-11", "format": "zip"})
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="channel-shift-report_2026-11-01_to_2026-11-30_all-services.zip"'
    )
    files = _pack(client, month="2026-11")
    assert set(files) == {
        "headline.csv",
        "trend.csv",
        "avoidable_services.csv",
        "coverage.csv",
        "satisfaction.csv",
    }
    for rows in files.values():
        assert rows[0][:5] == ["measure", "value", "numerator", "denominator", "unit"]
    headline = {row[0]: row for row in files["headline.csv"][1:]}
    assert headline["Avoidable contact"][1:5] == ["43.8", "7", "16", "%"]
    assert headline["Digital take-up"][1:5] == ["75.0", "6", "8", "%"]
    dashboard = insights(measures_for(start=NOV[0], end=NOV[1]))
    for key in HEADLINE:
        figure = dashboard["headline"][key]
        assert headline[figure.label][:5] == [str(cell) for cell in figure.csv_row()]
    assert len(files["trend.csv"]) == 1 + 12 * 6
    november_avoidable = [
        r for r in files["trend.csv"] if r[5] == "November 2026" and r[0] == "Avoidable contact"
    ]
    assert november_avoidable[0][1:5] == ["43.8", "7", "16", "%"]
    services = files["avoidable_services.csv"][1:]
    assert [(r[6], r[1], r[2], r[3]) for r in services] == [
        (str(POTHOLES), "100.0", "4", "4"),
        (str(WASTE), "25.0", "3", "12"),
    ]
    satisfaction = {row[0]: row for row in files["satisfaction.csv"][1:]}
    assert satisfaction["Satisfied with the outcome"][1:5] == ["80.0", "4", "5", "%"]
    assert satisfaction["Net satisfaction"][1] == "60.0"
    assert files["coverage.csv"][1][0].startswith("Self-service coverage (KPI51)")


def test_the_csv_pack_is_formula_safe(client, manager):
    LgslService.objects.filter(code=WASTE).update(label="=HYPERLINK(1)")
    rollup(date(2026, 11, 2), "assisted_contacts", 2)
    rollup(date(2026, 11, 2), "avoidable_contacts", 1, key="other")
    files = _pack(client, month="2026-11")
    assert files["avoidable_services.csv"][1][5] == "'=HYPERLINK(1)"


def test_one_service_and_a_start_and_end(client, manager, november):
    response = client.get(URL, {"start": "2026-11-01", "end": "2026-11-15", "service": WASTE})
    assert response.status_code == 200
    page = text(response)
    dashboard = insights(measures_for(start=date(2026, 11, 1), end=date(2026, 11, 15), service_code=WASTE))
    assert dashboard["headline"]["avoidable"].full == "25.0% (3 of 12)"
    assert "25.0% (3 of 12)" in page
    assert "November 2026 (1 to 15 Nov)" in page
    assert "This report is for one service" in page


def test_the_default_is_the_last_full_month(client, manager):
    first, last = last_full_month()
    assert last == timezone.localdate().replace(day=1) - timedelta(days=1)
    assert first == last.replace(day=1)
    response = client.get(URL)
    assert response.status_code == 200
    assert f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y}" in text(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "Enter the month as a year and month, for example 2026-11"),
        ({"month": "November"}, "Enter the month as a year and month, for example 2026-11"),
        (
            {"start": "2026-11-10", "end": "2026-11-01"},
            "The end date must be the same as or after the start date",
        ),
        ({"start": "2026-11-10"}, "Enter both a start and an end date"),
        ({"month": "2026-11", "service": "999999"}, "There is no service with that LGSL code"),
    ],
)
def test_a_wrong_period_says_what_is_wrong(client, manager, params, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in text(response)


def test_the_dashboard_links_to_the_report_for_its_period(client, manager):
    response = client.get(
        "/admin/contact-insights/", {"start": "2026-11-01", "end": "2026-11-30", "service": WASTE}
    )
    assert 'href="/admin/contact-insights/report/?start=2026-11-01&amp;end=2026-11-30&amp;service=524"' in (
        response.content.decode()
    )
    assert "Committee report for this period" in text(response)


@pytest.mark.parametrize("group", ["Case officers", "Editors", "Finance"])
def test_only_those_who_read_contact_insights_see_the_report(client, group):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    assert client.get(URL, {"month": "2026-11"}).status_code == 403
    assert client.get(URL, {"month": "2026-11", "format": "zip"}).status_code == 403
