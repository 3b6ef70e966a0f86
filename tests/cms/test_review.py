"""Content review: live pages due for review, in the admin's Reports and on the dashboard."""

from datetime import timedelta

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from cms.models import (
    AccessibilityStatementPage,
    HomePage,
    NewsIndexPage,
    ServiceIndexPage,
    ServicePage,
    StandardPage,
)
from cms.selectors import pages_due_for_review
from tests.accounts.factories import StaffFactory, UserFactory
from tests.cms.factories import draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages():
    today = timezone.localdate()
    # The statutory pages every install starts with are due the day they are made: dated
    # later here, so the lists hold this test's pages alone.
    AccessibilityStatementPage.objects.update(review_by=today + timedelta(days=60))
    StandardPage.objects.filter(slug__in=["privacy", "cookies"]).update(review_by=today + timedelta(days=60))
    home = HomePage.objects.get()
    home.review_by = today + timedelta(days=30)
    home.save_revision().publish()
    bins = publish(home, ServiceIndexPage(title="Bins", slug="bins", review_by=today - timedelta(days=3)))
    return {
        "bins": bins,
        "today": publish(bins, ServicePage(title="Due today", slug="today", review_by=today)),
        "oldest": publish(
            home, StandardPage(title="Oldest", slug="oldest", body=[], review_by=today - timedelta(days=400))
        ),
        "future": publish(
            bins, ServicePage(title="Not yet", slug="not-yet", review_by=today + timedelta(days=1))
        ),
        "no_date": publish(home, NewsIndexPage(title="News", slug="news")),
        "draft": draft(
            bins, ServicePage(title="Draft only", slug="draft", review_by=today - timedelta(days=9))
        ),
    }


@pytest.fixture
def editor():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_due_pages_are_live_pages_dated_today_or_earlier_oldest_first(pages):
    due = list(pages_due_for_review())
    assert [p.title for p in due] == ["Oldest", "Bins", "Due today"]
    assert due[0].review_by == timezone.localdate() - timedelta(days=400)


def test_editors_see_the_report_in_the_reports_menu(client, pages, editor):
    client.force_login(editor)
    home = client.get("/admin/")
    assert "/admin/reports/pages-due-for-review/" in home.text
    response = client.get("/admin/reports/pages-due-for-review/")
    assert response.status_code == 200
    html = response.text
    assert html.index("Oldest") < html.index("Due today")
    assert "Not yet" not in html and "Draft only" not in html and ">News<" not in html
    assert "overdue" in html


def test_the_report_exports_as_csv(client, pages, editor):
    client.force_login(editor)
    response = client.get("/admin/reports/pages-due-for-review/", {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("Title,Review by")
    assert [line.split(",")[0] for line in lines[1:]] == ["Oldest", "Bins", "Due today"]


def test_the_dashboard_counts_pages_due(client, pages, editor):
    client.force_login(editor)
    html = client.get("/admin/").text
    assert "Content review" in html
    assert "3 pages due for review" in html


def test_staff_without_page_permissions_see_neither(client, pages):
    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name="Case officers"))
    client.force_login(officer)
    assert "pages-due-for-review" not in client.get("/admin/").text
    assert client.get("/admin/reports/pages-due-for-review/").status_code in (302, 403)


def test_residents_cannot_open_the_report(client, pages):
    client.force_login(UserFactory())
    response = client.get("/admin/reports/pages-due-for-review/")
    assert response.status_code == 302 and "/admin/" not in response["Location"].split("?")[0]


def test_the_csv_export_never_carries_a_formula(client, pages, editor):
    title = '=HYPERLINK("https://evil.example","x")'
    publish(pages["bins"], ServicePage(title=title, slug="formula", review_by=timezone.localdate()))
    client.force_login(editor)
    response = client.get("/admin/reports/pages-due-for-review/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert '"\'=HYPERLINK(""https://evil.example"",""x"")"' in body
