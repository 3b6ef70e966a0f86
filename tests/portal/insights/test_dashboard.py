"""Contact insights: the measures dashboard in the Wagtail admin."""

import csv
import html
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from wagtail.models import Site

from cms.models import CouncilSettings
from portal.insights import receivers
from portal.insights.figures import FIGURES
from portal.insights.measures import measures_for
from portal.insights.trend import trend
from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.models import DailyRollup, LgslService
from portal.interactions.rollups import rollup_build_day, rollup_month_build
from portal.interactions.services import assisted_contact_record, interaction_record
from portal.interactions.tasks import build_rollups
from tests.accounts.factories import StaffFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db

URL = "/admin/contact-insights/"
DAY = date(2026, 3, 10)
PERIOD = {"start": "2026-03-10", "end": "2026-03-10"}
WASTE, POTHOLES = 524, 557


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def at(hour: int = 12, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def manager(client):
    user = staff_in("Service managers")
    client.force_login(user)
    return user


@pytest.fixture
def contacts():
    """On DAY, household waste: 4 phone/face-to-face contacts, 1 avoidable (progress
    chasing), 3 resolved at first contact, and in each of those 3 staff submitted a form
    for the caller (3 transactions: 2 phone, 1 face to face); 4 forms started on the web,
    2 submitted (2 web transactions), 1 abandoned; 1 step completed. Potholes: 2 phone
    calls, both avoidable, completing nothing."""
    officer = staff_in("Case officers")
    # What forms_engine puts on every event of a draft started on DAY.
    started = {"started": DAY.isoformat()}

    def transaction(channel=Channel.WEB, staff=None, service=WASTE, hour=12):
        # As ``transaction_record`` records it (which takes no time): a form completed.
        interaction_record(
            type=InteractionType.TRANSACTION,
            channel=channel,
            staff=staff,
            service_code=service,
            journey="bulky-waste",
            outcome=Outcome.SUCCESS,
            extras={"kind": "form"},
            occurred_at=at(hour),
        )

    def contact(channel=Channel.PHONE, service=WASTE, avoidable=False, category="", resolved=True):
        if not avoidable:  # staff submitted a form for the caller in this contact
            transaction(channel, staff=officer, service=service)
        assisted_contact_record(
            staff=officer,
            channel=channel,
            service_code=service,
            reason_code="enquiry",
            avoidable=avoidable,
            avoidable_category=category,
            resolved_first_contact=resolved,
            occurred_at=at(),
        )

    contact(avoidable=True, category="progress_chasing", resolved=False)
    contact()
    contact()
    contact(channel=Channel.FACE_TO_FACE)
    contact(service=POTHOLES, avoidable=True, category="clarification")
    contact(service=POTHOLES, avoidable=True, category="progress_chasing")
    for _ in range(4):
        interaction_record(
            type=InteractionType.FORM_START,
            journey="bulky-waste",
            service_code=WASTE,
            extras=started,
            occurred_at=at(9),
        )
    interaction_record(
        type=InteractionType.FORM_STEP,
        journey="bulky-waste",
        step="items",
        service_code=WASTE,
        extras={**started, "first": True},
        occurred_at=at(9),
    )
    for _ in range(2):
        interaction_record(
            type=InteractionType.FORM_SUBMIT,
            journey="bulky-waste",
            service_code=WASTE,
            extras=started,
            occurred_at=at(10),
        )
        transaction(hour=10)
    interaction_record(
        type=InteractionType.FORM_ABANDON,
        journey="bulky-waste",
        service_code=WASTE,
        extras=started,
        occurred_at=at(11),
    )
    rollup_build_day(day=DAY)


def test_a_service_manager_sees_the_hand_counted_figures(client, manager, contacts):
    response = client.get(URL, {**PERIOD, "service": WASTE})
    assert response.status_code == 200
    page = text(response)
    assert "Household waste - collection (LGSL 524): 10 March 2026" in page
    # Avoidable: 1 of 4 assisted contacts = 25.0%
    assert "25.0% (1 of 4 assisted contacts)" in page
    # First contact resolution: 3 of 4 = 75.0%
    assert "75.0% (3 of 4 assisted contacts)" in page
    # Completion: 2 submitted of 4 started = 50.0%; abandonment 1 of 4 = 25.0%
    assert "50.0% (2 of 4 forms started)" in page
    assert "Forms abandoned 25.0% (1 of 4)" in page
    # Transactions: 2 web form submissions + 3 forms staff submitted in calls or visits
    # (the avoidable call completed nothing) = 5; digital take-up 2 of 5 = 40.0%
    assert "40.0% (2 of 5 transactions)" in page
    # The funnel: "items" completed by 1 of the form's 4 starts = 25.0%
    assert "bulky-waste items 25.0% (1 of 4)" in page
    # Costs at the default (benchmark) unit costs: web 2 × £0.15, phone 2 × £2.83, face to face 1 × £8.62
    assert "Web 2 £0.15 £0.30" in page
    assert "Telephone 2 £2.83 £5.66" in page
    assert "Face to face 1 £8.62 £8.62" in page
    # Total £14.58 over 5 transactions: average £2.916 -> £2.92
    assert "Total (channels with a unit cost) 5 £14.58" in page
    assert "Average cost per transaction £2.92" in page
    assert "Socitm 2012 benchmark" in page
    # Nothing to measure failed web contact against: no web visitors.
    assert "Behavioural measure: No data" in page
    assert "Download these figures (CSV)" in page
    # Only one service is shown, so no ranking of services.
    assert "Services with the most assisted contacts" not in page


def test_all_services_ranks_services_and_links_to_each(client, manager, contacts):
    response = client.get(URL, PERIOD)
    page = text(response)
    # All services: 3 avoidable of 6 assisted = 50.0%
    assert "All services: 10 March 2026" in page
    assert "50.0% (3 of 6 assisted contacts)" in page
    # Progress chasing: 2 of 6 = 33.3%
    assert "Progress chasing 2 33.3% (2 of 6)" in page
    assert "Services with the most assisted contacts" in page
    # Waste has 4 assisted contacts, potholes 2: waste first.
    assert page.index("Household waste - collection (524) 4 25.0% (1 of 4)") < page.index(
        "Potholes (557) 2 100.0% (2 of 2)"
    )
    content = response.content.decode()
    assert 'href="/admin/contact-insights/?start=2026-03-10&amp;end=2026-03-10&amp;service=524"' in content


def test_the_service_can_be_given_as_a_code_and_is_offered_first(client, manager, contacts):
    response = client.get(URL, {**PERIOD, "service": "557"})
    assert response.status_code == 200
    # Potholes: 2 avoidable of 2 = 100.0%
    assert "100.0% (2 of 2 assisted contacts)" in text(response)
    content = response.content.decode()
    assert '<optgroup label="Services with contact data">' in content
    with_data = content.split('<optgroup label="Services with contact data">')[1].split("</optgroup>")[0]
    assert 'value="524"' in with_data and 'value="557"' in with_data
    assert 'value="557" selected' in content


def test_an_empty_period_shows_no_data(client, manager, contacts):
    response = client.get(URL, {"start": "2025-01-01", "end": "2025-01-31"})
    assert response.status_code == 200
    page = text(response)
    assert "There is no data for this period yet" in page
    assert "Avoidable contact No data" in page
    assert "Digital take-up No data" in page
    assert "Average cost per transaction No data" in page
    assert "Searches with no results No data" in page
    assert "No contacts about a particular service in this period" in page
    # No percentage at all when nothing happened: 0 of 0 is "No data", never 0.0%.
    assert not re.search(r"[0-9]%", page)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-30", "end": "2026-03-10"}, "Enter a real start date"),
        ({"start": "yesterday", "end": "2026-03-10"}, "Enter a real start date"),
        ({"start": "2026-03-10", "end": "2026-13-01"}, "Enter a real end date"),
        ({"start": "", "end": "2026-03-10"}, "Enter a start date"),
        (
            {"start": "2026-03-10", "end": "2026-03-09"},
            "The end date must be the same as or after the start date",
        ),
        (
            {"start": "2024-03-09", "end": "2026-03-10"},
            "The period can be no longer than 2 years: choose a later start date or an earlier end date",
        ),
        ({**PERIOD, "service": "9999"}, "There is no service with LGSL code 9999"),
        ({**PERIOD, "service": "0"}, "There is no service with LGSL code 0"),
        ({**PERIOD, "service": "bins"}, "There is no service with LGSL code bins"),
        ({**PERIOD, "service": "99999999999999999999999"}, "There is no service with LGSL code"),
    ],
)
def test_bad_filters_show_the_form_with_an_error_and_no_figures(client, manager, contacts, params, message):
    for extra in ({}, {"format": "csv"}):
        response = client.get(URL, {**params, **extra})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        page = text(response)
        assert "There is a problem" in page
        assert page.count(message) == 2  # in the error summary and by the field
        assert "Download these figures" not in page
        assert "Avoidable contact by channel" not in page


def test_a_two_year_period_is_allowed(client, manager):
    response = client.get(URL, {"start": "2024-03-11", "end": "2026-03-10"})
    assert response.status_code == 200
    assert "There is a problem" not in text(response)
    # Two years are charted by month.
    assert "Page views per month" in text(response)


def test_the_default_period_is_the_last_30_full_days(client, manager):
    yesterday = timezone.localdate() - timedelta(days=1)
    for day, value in (
        (yesterday, 7),
        (yesterday - timedelta(days=29), 5),
        (yesterday - timedelta(days=30), 100),
    ):
        DailyRollup.objects.create(date=day, service_code=0, channel="web", metric="page_views", value=value)
    DailyRollup.objects.create(
        date=timezone.localdate(), service_code=0, channel="web", metric="page_views", value=50
    )
    for day in (yesterday, yesterday - timedelta(days=30), timezone.localdate()):
        rollup_month_build(first=day.replace(day=1))  # as rebuilding the days does
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert f'value="{(yesterday - timedelta(days=29)).isoformat()}"' in content
    assert f'value="{yesterday.isoformat()}"' in content
    # 7 + 5: not the day before the period, nor today.
    assert "Page views 12 " in text(response)
    for label in ("Last 7 days", "Last 30 days", "Last 12 months"):
        assert label in text(response)
    week_start = (yesterday - timedelta(days=6)).isoformat()
    assert f"?start={week_start}&amp;end={yesterday.isoformat()}" in content


def test_the_csv_has_the_same_figures(client, manager, contacts):
    response = client.get(URL, {**PERIOD, "service": WASTE, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="contact-insights_2026-03-10_to_2026-03-10_lgsl-524.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["measure", "value", "numerator", "denominator", "unit"]
    by_measure = {row[0]: row[1:] for row in rows[1:]}
    assert by_measure["Period start"][0] == "2026-03-10"
    assert by_measure["Service"][0] == "Household waste - collection – Refuse (524)"
    assert by_measure["Avoidable contact"] == ["25.0", "1", "4", "%"]
    assert by_measure["Avoidable contact: Progress chasing"] == ["25.0", "1", "4", "%"]
    assert by_measure["Avoidable contact: Seeking clarification"] == ["0.0", "0", "4", "%"]
    assert by_measure["Avoidable contact by channel: Telephone"] == ["33.3", "1", "3", "%"]
    assert by_measure["Avoidable contact by channel: Letter"] == ["", "0", "0", "%"]
    assert by_measure["First contact resolution"] == ["75.0", "3", "4", "%"]
    assert by_measure["Failed web contact (behavioural)"] == ["", "0", "0", "%"]
    assert by_measure["Forms abandoned"] == ["25.0", "1", "4", "%"]
    assert by_measure["Digital take-up"] == ["40.0", "2", "5", "%"]
    assert by_measure["Transactions: Web"] == ["2", "", "", "count"]
    assert by_measure["Transactions: Telephone"] == ["2", "", "", "count"]
    assert by_measure["Completion rate"] == ["50.0", "2", "4", "%"]
    assert by_measure["Form step completed: bulky-waste / items"] == ["25.0", "1", "4", "%"]
    assert by_measure["Unit cost: Telephone"] == ["2.83", "", "", "GBP"]
    assert by_measure["Cost: Telephone"] == ["5.66", "2", "", "GBP"]
    assert by_measure["Cost: Email"] == ["", "0", "", "GBP"]
    assert by_measure["Cost: all channels with a unit cost"] == ["14.58", "5", "", "GBP"]
    assert by_measure["Average cost per transaction"] == ["2.92", "", "5", "GBP"]
    assert by_measure["Page views"] == ["0", "", "", "count"]
    assert by_measure["Bot requests"] == ["0", "", "", "count"]

    everything = client.get(URL, {**PERIOD, "format": "csv"})
    assert (
        'filename="contact-insights_2026-03-10_to_2026-03-10_all-services.csv"'
        in everything["Content-Disposition"]
    )
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(everything.content.decode("utf-8-sig")))}
    assert rows["Avoidable contact"] == ["50.0", "3", "6", "%"]


def test_the_csv_link_keeps_the_filters(client, manager, contacts):
    content = client.get(URL, {**PERIOD, "service": WASTE}).content.decode()
    assert (
        'href="/admin/contact-insights/?start=2026-03-10&amp;end=2026-03-10&amp;service=524&amp;format=csv"'
        in content
    )


def test_a_name_in_the_csv_cannot_become_a_spreadsheet_formula(client, manager):
    LgslService.objects.create(code=990001, label='=HYPERLINK("http://example.com")')
    response = client.get(URL, {**PERIOD, "service": "990001", "format": "csv"})
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["Service"][0] == '\'=HYPERLINK("http://example.com") (990001)'


def test_unit_costs_say_whose_they_are(client, manager, contacts):
    assert "Socitm 2012 benchmark" in text(client.get(URL, PERIOD))
    site = Site.objects.get(is_default_site=True)
    CouncilSettings.objects.update_or_create(site=site, defaults={"cost_phone": Decimal("4.10")})
    page = text(client.get(URL, {**PERIOD, "service": WASTE}))
    assert "your council's figures" in page
    assert "Socitm 2012 benchmark" not in page
    assert "Telephone 2 £4.10 £8.20" in page
    # A service manager cannot change the settings, so is not sent there.
    assert "An administrator can change them" in page


def test_a_superuser_is_linked_to_the_cost_settings(client):
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    assert reverse("wagtailsettings:edit", args=["cms", "councilsettings"]) in response.content.decode()


def test_charts_are_described_and_backed_by_tables(client, manager, contacts):
    content = client.get(URL, PERIOD).content.decode()
    assert (
        'role="img" aria-label="Avoidable contacts by category: Progress chasing 33.3% (2 of 6);' in content
    )
    assert 'role="img" aria-label="Transactions by channel: Web 2;' in content
    assert "<caption>Avoidable contacts by category" in content
    assert "<caption>Transactions by channel</caption>" in content
    assert '<th scope="row">Progress chasing</th>' in content
    # The trend: one SVG per series, each with a title, and a table of the same figures.
    assert content.count("<svg viewBox=") == 3
    assert "<title>Assisted contacts per day, 10 March 2026: 6 in total; the highest was 6" in content
    assert "<summary>Show these figures as a table</summary>" in content
    assert "<caption>Page views, transactions and assisted contacts per day</caption>" in content
    assert '<th scope="row">Tue 10 Mar 2026</th>' in content
    assert "How this is calculated" in content


def test_the_dashboard_never_reads_the_raw_interaction_log(client, manager, contacts):
    for params in ({**PERIOD, "service": WASTE}, PERIOD, {**PERIOD, "format": "csv"}, {}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.status_code == 200
        assert queries.captured_queries
        assert not [q["sql"] for q in queries.captured_queries if "interactions_interaction" in q["sql"]]


def test_case_officers_get_403_and_no_menu_item(client):
    client.force_login(staff_in("Case officers"))
    response = client.get(URL, PERIOD)
    assert response.status_code == 403
    assert "Contact insights are for service managers" in text(response)
    assert "Avoidable contact" not in text(response)
    assert client.get(URL, {**PERIOD, "format": "csv"}).status_code == 403
    assert "contact-insights" not in client.get("/admin/").content.decode()


def test_service_managers_have_a_menu_item(client, manager):
    home = client.get("/admin/").content.decode()
    assert "contact-insights" in home
    assert URL in home


def test_residents_and_visitors_never_see_the_dashboard(client, contacts):
    response = client.get(URL, PERIOD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(UserFactory())
    response = client.get(URL, PERIOD)
    assert response.status_code in (302, 403)
    assert b"Avoidable contact" not in response.content


def test_staff_with_only_admin_access_get_403(client):
    client.force_login(staff_in("Editors"))
    assert client.get(URL).status_code == 403


def test_long_periods_are_charted_by_week_then_by_month():
    # Page views of 1, 2, 3 ... on each of 100 days from Monday 5 January 2026.
    first = date(2026, 1, 5)
    for n in range(100):
        DailyRollup.objects.create(
            date=first + timedelta(days=n), service_code=0, channel="web", metric="page_views", value=n + 1
        )
    for month in range(1, 5):
        rollup_month_build(first=date(2026, month, 1))  # as rebuilding the days does
    weekly = trend(measures_for(start=first, end=first + timedelta(days=99)))
    assert weekly["unit"] == "week"
    assert len(weekly["rows"]) == 15  # 14 full weeks and 2 days
    assert weekly["rows"][0]["label"] == "Week from 5 Jan 2026"
    assert weekly["rows"][0]["page_views"] == sum(range(1, 8))  # 28
    assert weekly["rows"][-1]["label"] == "Week from 13 Apr 2026 to 14 Apr"
    assert sum(row["page_views"] for row in weekly["rows"]) == sum(range(1, 101))

    monthly = trend(measures_for(start=date(2025, 12, 20), end=date(2026, 6, 30)))
    assert monthly["unit"] == "month"
    assert [row["label"] for row in monthly["rows"][:2]] == ["December 2025 (20 to 31 Dec)", "January 2026"]
    # January: days 1..27 of the series (5 to 31 January).
    assert monthly["rows"][1]["page_views"] == sum(range(1, 28))
    assert sum(row["page_views"] for row in monthly["rows"]) == sum(range(1, 101))
    chart = monthly["charts"][0]
    assert len(chart["columns"]) == 7
    assert chart["summary"].startswith(
        "Page views per month, 20 December 2025 to 30 June 2026: 5,050 in total"
    )


def test_the_rollup_job_warms_the_dashboard_figures(monkeypatch):
    """The log's task and daily command say the rollups changed; Contact insights warms its cache."""
    warmed = []
    monkeypatch.setattr(receivers, "dashboard_figures_warm", lambda: warmed.append("warmed"))
    call_command("interactions_daily", "--no-purge", stdout=StringIO())
    assert warmed == ["warmed"]
    build_rollups.enqueue()
    assert warmed == ["warmed", "warmed"]


def test_the_funnel_bars_are_as_long_as_the_percentages_they_show(client, manager):
    """A bar's length is its label's percentage of the form's starts, not its count: 2 of 2
    starts (100.0%) is drawn longer than 3 of 4 (75.0%), though 2 completions are fewer."""
    for journey_, starts, completions in (("bulky-waste", 4, 3), ("missed-bin", 2, 2)):
        for _ in range(starts):
            interaction_record(
                type=InteractionType.FORM_START, journey=journey_, service_code=WASTE, occurred_at=at(9)
            )
        for _ in range(completions):
            interaction_record(
                type=InteractionType.FORM_STEP,
                journey=journey_,
                step="items",
                service_code=WASTE,
                occurred_at=at(9),
            )
    rollup_build_day(day=DAY)

    content = client.get(URL, PERIOD).content.decode()
    chart = content[content.index("Form funnel: the share of starts") :]
    chart = chart[: chart.index("</table>")]
    rows = re.findall(
        r'ci-bars__label">([^<]+)</span>.*?width: ([0-9.]+)%.*?ci-bars__value">([0-9.]+)%', chart, re.S
    )
    assert [(label, float(text)) for label, _, text in rows] == [
        ("bulky-waste: items", 75.0),
        ("missed-bin: items", 100.0),
    ]
    widths = {label: float(width) for label, width, _ in rows}
    assert widths == {"bulky-waste: items": 75.0, "missed-bin: items": 100.0}
    # Monotonic: ordered by the labelled percentage, the bars never get shorter.
    by_share = sorted(rows, key=lambda row: float(row[2]))
    assert [float(w) for _, w, _ in by_share] == sorted(float(w) for _, w, _ in by_share)


def test_how_these_figures_are_worked_out_lists_every_figure_from_the_table(client, manager):
    response = client.get(reverse("insights_definitions"))
    assert response.status_code == 200
    page = response.content.decode()
    for figure in FIGURES:
        assert f'id="figure-{figure.key}"' in page and escape(figure.hint) in page
    assert "Two accounts on one shared computer" in page
    dashboard = client.get(URL, PERIOD).content.decode()
    assert f'href="{reverse("insights_definitions")}"' in dashboard


def test_how_these_figures_are_worked_out_is_for_those_who_see_the_dashboard(client):
    client.force_login(staff_in("Case officers"))
    assert client.get(reverse("insights_definitions")).status_code == 403
